"""Exim ``spam =`` ACL headers → :class:`SpamReport` (spec headers-and-delivery.md §1).

Input: the ``X-Spam_*`` fields of one block::

    X-Spam_score_int: -20
    X-Spam_score: -2.1
    X-Spam_bar: --
    X-Spam_report: (-2.1 / 5.0 requ) BAYES_00=-1.9, DKIM_SIGNED=0.1, …
     SPF_PASS=-0.001 autolearn=ham autolearn_force=no
    X-Spam_action: no action
                (real-multi-scanner-rspamd-sender-side-plus-exim-spamassassin-list-side)

Output: a filled draft. Invariants: the score is ``X-Spam_score`` (Exim's ``%.1f`` of
spamd's score), else the report's; the report may also be SpamAssassin's full text report
(corpus rspamd/fws_fp.eml) or its terse form, both read with the SpamAssassin readers.
"""

from __future__ import annotations

from collections.abc import Callable

from spamhdr.headers import HeaderField
from spamhdr.report._draft import Draft, field_value
from spamhdr.report.body_report import REPORT_MARKER, parse_body_report
from spamhdr.report.grammar import EXIM_REPORT_HEAD
from spamhdr.report.spamassassin import apply_autolearn, parse_terse_report, parse_tests_scores
from spamhdr.report.status import split_status

__all__ = ["build_exim"]


def _score(header: HeaderField, draft: Draft) -> None:
    draft.score = draft.number(field_value(header), header.name)


def _score_int(header: HeaderField, draft: Draft) -> None:
    value = field_value(header)
    try:
        draft.score_int = int(value)
    except ValueError:
        draft.defects.append(f"{header.name}: {value[:40]!r} is not an integer")


def _bar(header: HeaderField, draft: Draft) -> None:
    draft.bar = field_value(header)


def _action(header: HeaderField, draft: Draft) -> None:
    draft.action = field_value(header)


def _report(header: HeaderField, draft: Draft) -> None:
    what = header.name
    value = field_value(header)
    head = draft.match(EXIM_REPORT_HEAD, value)
    if head is not None:
        report_score = float(head.group("score"))
        draft.required = float(head.group("required"))
        rest = value[head.end() :]
        # "A=1, B=2 autolearn=ham autolearn_force=no": the list ends at the first key=
        cut = rest.find(" autolearn=")
        items, tail = (rest[:cut], rest[cut:]) if cut >= 0 else (rest, "")
        draft.merge_tests(parse_tests_scores(items, draft, what))
        if tail:
            apply_autolearn(split_status("x, " + tail.strip(), draft), draft, what)
        if draft.score is None:
            draft.score = report_score
        return
    if REPORT_MARKER in header.text:
        report = parse_body_report(header.text, draft)
        if report is not None:
            draft.required = report.required
            if draft.score is None:
                draft.score = report.score
            draft.merge_tests(report.tests, rounded=True)
        return
    draft.merge_tests(parse_terse_report(header.text, draft), rounded=True)


FIELD_PARSERS: dict[str, Callable[[HeaderField, Draft], None]] = {
    "x-spam_score": _score,
    "x-spam_score_int": _score_int,
    "x-spam_bar": _bar,
    "x-spam_report": _report,
    "x-spam_action": _action,
}


def build_exim(draft: Draft) -> None:
    """Fill ``draft`` from its Exim fields; the verdict is score ≥ required when known."""
    for header in sorted(draft.fields, key=lambda f: f.name.lower() != "x-spam_score"):
        parser = FIELD_PARSERS.get(header.name.lower())
        if parser is not None:
            parser(header, draft)
    if draft.score is not None and draft.required is not None:
        draft.verdict = "spam" if draft.score >= draft.required else "ham"
