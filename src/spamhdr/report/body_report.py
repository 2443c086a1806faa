"""SpamAssassin's text report ("Content analysis details") → score, required and rows.

Grammar (spec headers-and-delivery.md §2.5; PerMsgStatus.pm ``_SUMMARY_``)::

    report  = intro preview points-line table
    points  = "Content analysis details:" *SP "(" score " points, " required " required)"
    table   = " pts rule name" … NL "----" … NL *row
    row     = score SP name-padded-to-22 SP [area ": "] description *( NL 28SP text )

Input: the decoded text of a message body, a text part, or a header value that carries
the report (Exim's ``X-Spam_report``, corpus rspamd/fws_fp.eml). Output: a
:class:`BodyReport` or None when the text has no report. Invariants: pure, never raises;
rows keep report order (SpamAssassin's hit order); descriptions lose the area prefix,
wrapped lines are joined with one space, ``[…]`` lines become details.
"""

from __future__ import annotations

from dataclasses import dataclass

from spamhdr.report._draft import Draft
from spamhdr.report.grammar import BODY_REPORT_POINTS, BODY_REPORT_ROW
from spamhdr.report.model import TestHit
from spamhdr.report.spamassassin import split_area, split_details

__all__ = ["REPORT_MARKER", "BodyReport", "parse_body_report"]

#: The text that identifies a report; used as a cheap pre-check on raw bytes too.
REPORT_MARKER = "Content analysis details:"


@dataclass(frozen=True, slots=True)
class BodyReport:
    """The "Content analysis details" part of a SpamAssassin report.

    Attributes:
        score: the display score of the ``(X points, Y required)`` line.
        required: the required score of that line.
        spam: True for "has identified", False for "has NOT identified", None if absent.
        tests: the table rows in report order.
    """

    score: float
    required: float
    spam: bool | None
    tests: tuple[TestHit, ...]


def parse_body_report(text: str, draft: Draft) -> BodyReport | None:
    """Find and read the first SpamAssassin text report in ``text`` (see module grammar)."""
    marker = text.find(REPORT_MARKER)
    if marker < 0:
        return None
    points = draft.search(BODY_REPORT_POINTS, text, marker)
    if points is None or points.start() != marker:
        draft.defects.append("body report: no '(X points, Y required)' after its heading")
        return None
    intro = text[max(0, marker - 2000) : marker]
    spam: bool | None = None
    if "has NOT identified" in intro:
        spam = False
    elif "has identified" in intro:
        spam = True
    lines = text[points.end() :].replace("\r\n", "\n").split("\n")
    index = 0
    # skip to the dashes line under " pts rule name  description"
    while index < len(lines) and not lines[index].strip().startswith("----"):
        if index > 6:
            draft.defects.append("body report: no table under 'Content analysis details'")
            return BodyReport(
                float(points.group("score")), float(points.group("required")), spam, ()
            )
        index += 1
    index += 1
    hits: list[TestHit] = []
    name: str | None = None
    score = 0.0
    desc: list[str] = []
    details: list[str] = []

    def flush() -> None:
        if name is not None:
            area, description = split_area(" ".join(desc).strip())
            hits.append(TestHit(name, score, description, area, (), tuple(details)))

    while index < len(lines):
        line = lines[index].rstrip()
        index += 1
        if not line.strip():
            break
        indent = len(line) - len(line.lstrip())
        row = draft.match(BODY_REPORT_ROW, line) if indent <= 5 else None
        if row is not None:
            flush()
            name, score = row.group("name"), float(row.group("score"))
            desc, details = [], []
            if row.group("rest"):
                desc.append(row.group("rest").strip())
            continue
        stripped = line.strip()
        if name is None:
            draft.defects.append(f"body report: cannot read row {stripped[:40]!r}")
            continue
        chunks = split_details(stripped, draft)
        if chunks is not None or details:
            details.extend(chunks if chunks is not None else (stripped,))
        else:
            desc.append(stripped)
    flush()
    return BodyReport(
        float(points.group("score")), float(points.group("required")), spam, tuple(hits)
    )
