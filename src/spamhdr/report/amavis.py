"""amavis header block → :class:`SpamReport` (spec headers-and-delivery.md §3).

Input: the fields of one block attributed to amavis (``X-Spam-Status`` with
``tagged_above=``/``tests=[…]``, ``X-Spam-Flag`` YES/NO, ``X-Spam-Score``, ``X-Spam-Level``,
``X-Spam-Report``, ``X-Virus-Scanned``, ``X-Quarantine-ID``, ``X-Amavis-Alert``). Output: a
filled draft. Invariants: ``score`` is ``score=`` as written (``x`` → None), ``x_spam_score``
is kept apart because amavis raises it to 64 for blacklisted senders and lowers it to 0 for
whitelisted ones (§3.3); ``tests`` keep the raw SpamAssassin scores of ``tests=[…]``.
"""

from __future__ import annotations

from collections.abc import Callable

from spamhdr.headers import HeaderField
from spamhdr.report._draft import Draft, field_value
from spamhdr.report.grammar import AMAVIS_NUMBER
from spamhdr.report.spamassassin import (
    apply_autolearn,
    parse_terse_report,
    parse_tests_scores,
)
from spamhdr.report.status import split_status

__all__ = ["build_amavis"]

_LISTED = {"BLACKLISTED": "blacklisted", "WHITELISTED": "whitelisted"}


def _number(text: str, draft: Draft, what: str) -> float | None:
    value = draft.number(text, what)
    if value is not None and AMAVIS_NUMBER.fullmatch(text) is None:
        draft.defects.append(f"{what}: {text!r} is not amavis' 0+sprintf('%.3f') form")
    return value


def _status(header: HeaderField, draft: Draft) -> None:
    what = "X-Spam-Status"
    parts = split_status(field_value(header), draft)
    if parts.yesno is not None and parts.yesno.lower() in ("yes", "no"):
        draft.verdict = "spam" if parts.yesno.lower() == "yes" else "ham"
    else:
        draft.defects.append(f"{what}: no Yes/No at the start")
    score = parts.get("score")
    if score is None:
        draft.defects.append(f"{what}: no score=")
    elif score == "x":
        # no spam score exists (spec §3.2); X-Spam-Score then says 0 (0+undef), which
        # is not a score amavis computed, so it must not stand in for this one
        draft.score_absent = True
    else:
        draft.score = _number(score, draft, f"{what} score")
    tagged = parts.get("tagged_above")
    if tagged is not None:
        draft.tagged_above = _number(tagged, draft, f"{what} tagged_above")
    required = parts.get("required")
    if required is not None:
        draft.required = _number(required, draft, f"{what} required")
    tests = parts.get("tests")
    if tests is None:
        draft.defects.append(f"{what}: no tests=[…]")
    else:
        if parts.unclosed:
            draft.defects.append(f"{what}: tests=[ list is not closed")
        body = tests[1:-1] if tests.endswith("]") else tests[1:]
        for hit in parse_tests_scores(body, draft, f"{what} tests"):
            draft.add_test(hit)  # SA's TESTSSCORES repeats tflags-multiple rules
    apply_autolearn(parts, draft, what)
    for word in parts.words:
        if word in _LISTED:
            if draft.listed is not None and draft.listed != _LISTED[word]:
                draft.defects.append(f"{what}: both BLACKLISTED and WHITELISTED")
            draft.listed = _LISTED[word]
        else:
            draft.defects.append(f"{what}: unexpected text {word[:40]!r}")
    if parts.get("version") is not None:
        draft.version = parts.get("version")


def _flag(header: HeaderField, draft: Draft) -> None:
    draft.flag = field_value(header)
    if draft.flag not in ("YES", "NO"):
        draft.defects.append(f"X-Spam-Flag: amavis writes YES or NO, found {draft.flag[:40]!r}")


def _score(header: HeaderField, draft: Draft) -> None:
    draft.x_spam_score = _number(field_value(header), draft, "X-Spam-Score")


def _level(header: HeaderField, draft: Draft) -> None:
    draft.level = field_value(header)


def _report(header: HeaderField, draft: Draft) -> None:
    draft.merge_tests(parse_terse_report(header.text, draft), rounded=True)


def _ignore(header: HeaderField, draft: Draft) -> None:
    """Fields that belong to the block but carry nothing the report models."""


#: header name (lower case) → parser (STYLE.md point 12).
FIELD_PARSERS: dict[str, Callable[[HeaderField, Draft], None]] = {
    "x-spam-status": _status,
    "x-spam-flag": _flag,
    "x-spam-score": _score,
    "x-spam-level": _level,
    "x-spam-report": _report,
    "x-virus-scanned": _ignore,  # "Debian amavis at example.com" (spec §3.1)
    "x-quarantine-id": _ignore,
    "x-amavis-alert": _ignore,
}


def build_amavis(draft: Draft) -> None:
    """Fill ``draft`` from its amavis fields (``X-Spam-Status`` first, for test order)."""
    ordered = sorted(draft.fields, key=lambda f: f.name.lower() != "x-spam-status")
    for header in ordered:
        parser = FIELD_PARSERS.get(header.name.lower())
        if parser is not None:
            parser(header, draft)
    if draft.verdict is None and draft.flag is not None and draft.flag.upper() in ("YES", "NO"):
        draft.verdict = "spam" if draft.flag.upper() == "YES" else "ham"
    if (
        draft.score is None
        and draft.x_spam_score is not None
        and draft.listed is None
        and not draft.score_absent
    ):
        draft.score = draft.x_spam_score
