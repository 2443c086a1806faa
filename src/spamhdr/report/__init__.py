"""Spam-scanner reports: parse the headers SpamAssassin, amavis, rspamd and Exim write.

``parse_reports(message)`` returns one :class:`SpamReport` per scanner block, topmost
first, each with its defects and consistency findings; ``explain_report`` turns a report
and rule descriptions into rows for display. See ``docs/explain.md``.
"""

from __future__ import annotations

from spamhdr.report.consistency import check_report, sa_display_score, sa_stars
from spamhdr.report.model import PRODUCERS, Finding, Producer, SpamReport, TestHit, Verdict
from spamhdr.report.parse import parse_reports, reports_from_header_block

__all__ = [
    "PRODUCERS",
    "Finding",
    "Producer",
    "SpamReport",
    "TestHit",
    "Verdict",
    "check_report",
    "parse_reports",
    "reports_from_header_block",
    "sa_display_score",
    "sa_stars",
]
