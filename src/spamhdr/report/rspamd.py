"""rspamd header block → :class:`SpamReport` (spec headers-and-delivery.md §4, §1).

Input: the fields of one block attributed to rspamd: ``X-Spamd-Result``, ``X-Spamd-Bar``,
``X-Rspamd-Action``/``-Score``/``-Report``/``-Bar``/``-Server``/``-Queue-Id``/
``-Pre-Result``, ``X-Spam`` (Yes), the short ``X-Spam-Status: Yes, score=7.42``, and the
site-specific ``X-Spam-Level``/``X-Spam-Score``/``X-Spam-Flag`` that travel with them.
Output: a filled draft. Invariants: ``True``/``False`` of ``X-Spamd-Result`` is kept as
``rejected`` and is never read as a verdict (False ≠ ham, spec §0); the second number is
``reject_threshold``, never ``required``; the verdict comes from ``X-Spam-Status``, else
the action, else ``X-Spam``/``X-Spam-Flag``.
"""

from __future__ import annotations

from collections.abc import Callable

from spamhdr.headers import HeaderField
from spamhdr.report._draft import Draft, field_value
from spamhdr.report.grammar import (
    RSPAMD_RESULT_HEAD,
    RSPAMD_SCORE_2DP,
    RSPAMD_SCORE_HEADER,
    RSPAMD_SYMBOL,
)
from spamhdr.report.model import TestHit
from spamhdr.report.status import split_status

__all__ = ["NOT_SPAM_ACTIONS", "build_rspamd", "parse_symbols"]

#: Actions after which rspamd writes ``X-Spam-Status: No`` (milter_headers.lua, spec §4.2).
NOT_SPAM_ACTIONS = ("no action", "greylist")


def parse_symbols(text: str, draft: Draft) -> list[TestHit]:
    """Read ``NAME(score)[options]`` symbols (``X-Spamd-Result`` items, Haraka's report).

    Options are split on commas only after the outer brackets are removed (spec §4.1).
    """
    hits: list[TestHit] = []
    for found in draft.finditer(RSPAMD_SYMBOL, text):
        options_text = found.group("options")
        options: tuple[str, ...] = ()
        if options_text:
            options = tuple(o.strip() for o in options_text.split(",") if o.strip())
        hits.append(TestHit(found.group("name"), float(found.group("score")), None, None, options))
    return hits


def _result(header: HeaderField, draft: Draft) -> None:
    what = "X-Spamd-Result"
    value = field_value(header)
    head = draft.match(RSPAMD_RESULT_HEAD, value)
    if head is None:
        draft.defects.append(f"{what}: no 'default: True|False [score / reject]' head")
        rest = value
    else:
        word = head.group("verdict")
        if word in ("True", "False"):
            draft.rejected = word == "True"
        else:
            draft.defects.append(f"{what}: {word!r} is neither True nor False")
        score_text = head.group("score")
        result_score = float(score_text)
        if draft.score is None:
            draft.score = result_score
        if RSPAMD_SCORE_2DP.fullmatch(score_text) is None:
            draft.defects.append(f"{what}: score {score_text!r} does not have two decimals")
        draft.reject_threshold = float(head.group("reject"))
        rest = value[head.end() :]
    symbols = parse_symbols(rest, draft)
    if rest.strip() and not symbols:
        draft.defects.append(f"{what}: no NAME(score) symbols found")
    for hit in symbols:
        draft.merge_test(hit)


def _status(header: HeaderField, draft: Draft) -> None:
    what = "X-Spam-Status"
    parts = split_status(field_value(header), draft)
    if parts.yesno is not None and parts.yesno.lower() in ("yes", "no"):
        draft.verdict = "spam" if parts.yesno.lower() == "yes" else "ham"
    else:
        draft.defects.append(f"{what}: no Yes/No at the start")
    score = parts.get("score")
    if score is not None:
        # X-Spam-Status' score= is the report score whenever there is one (issue 2 §3)
        draft.score = draft.number(score, f"{what} score")
        if RSPAMD_SCORE_2DP.fullmatch(score) is None:
            draft.defects.append(f"{what}: rspamd writes score=%.2f, found {score!r}")
    for word in parts.words:
        draft.defects.append(f"{what}: unexpected text {word[:40]!r}")


def _action(header: HeaderField, draft: Draft) -> None:
    draft.action = field_value(header)


def _score(header: HeaderField, draft: Draft) -> None:
    value = field_value(header)
    found = draft.match(RSPAMD_SCORE_HEADER, value)
    if found is None:
        draft.defects.append(f"{header.name}: {value[:40]!r} is not a number")
        return
    number = float(found.group("score"))
    if header.name.lower() == "x-spam-score":
        draft.x_spam_score = number
    elif draft.score is None:
        draft.score = number
    if found.group("second") is not None and draft.reject_threshold is None:
        # mailbox.org "-0.25 / 15.00 / 15.00": the last number is the reject threshold
        last = found.group("third") or found.group("second")
        draft.reject_threshold = float(last)


def _report(header: HeaderField, draft: Draft) -> None:
    for hit in parse_symbols(field_value(header), draft):
        draft.merge_test(hit)


def _bar(header: HeaderField, draft: Draft) -> None:
    draft.bar = field_value(header)


def _level(header: HeaderField, draft: Draft) -> None:
    draft.level = field_value(header)


def _x_spam(header: HeaderField, draft: Draft) -> None:
    # the proxy's spam_header for action "add header" (spec §4.3)
    value = field_value(header)
    if draft.flag is None:
        draft.flag = value


def _flag(header: HeaderField, draft: Draft) -> None:
    # not written by rspamd itself; sites add it (real-rspamd-suse-…-x-spam-flag-no)
    draft.flag = field_value(header)


def _ignore(header: HeaderField, draft: Draft) -> None:
    """Fields that belong to the block but carry nothing the report models."""


FIELD_PARSERS: dict[str, Callable[[HeaderField, Draft], None]] = {
    "x-spam-status": _status,
    "x-spamd-result": _result,
    "x-rspamd-action": _action,
    "x-rspamd-score": _score,
    "x-spam-score": _score,
    "x-rspamd-report": _report,
    "x-spamd-bar": _bar,
    "x-rspamd-bar": _bar,
    "x-spam-level": _level,
    "x-spam": _x_spam,
    "x-spam-flag": _flag,
    "x-rspamd-server": _ignore,
    "x-rspamd-queue-id": _ignore,
    "x-rspamd-pre-result": _ignore,
}

_ORDER = {"x-spam-status": 0, "x-spamd-result": 1, "x-rspamd-score": 2}


def build_rspamd(draft: Draft) -> None:
    """Fill ``draft`` from its rspamd fields.

    The score precedence is X-Spam-Status, then X-Spamd-Result, then X-Rspamd-Score.
    """
    for header in sorted(draft.fields, key=lambda f: _ORDER.get(f.name.lower(), 9)):
        parser = FIELD_PARSERS.get(header.name.lower())
        if parser is not None:
            parser(header, draft)
    if draft.verdict is None and draft.action is not None:
        draft.verdict = "ham" if draft.action.strip().lower() in NOT_SPAM_ACTIONS else "spam"
    if draft.verdict is None and draft.rejected:
        draft.verdict = "spam"  # True means the action was reject
    if draft.verdict is None and draft.flag is not None:
        word = draft.flag.strip().lower()
        if word in ("yes", "no"):
            draft.verdict = "spam" if word == "yes" else "ham"
    if draft.score is None and draft.x_spam_score is not None:
        draft.score = draft.x_spam_score
