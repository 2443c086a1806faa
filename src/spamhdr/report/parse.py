"""Message (or bare header block) → one :class:`SpamReport` per scanner block, topmost first.

Input: any :data:`~spamhdr._mail.MessageSource` or a parsed
:class:`~spamhdr.headers.HeaderBlock`, and :class:`~spamhdr.options.Options`. Output: a list
of frozen reports with defects and consistency findings. Invariants: for any ``bytes``
input the only exception is spamhdr's own (:class:`~spamhdr.errors.InputError` for an
unreadable source, or for the first defect under ``Options(strict=True)``); upstream
blocks are reported separately, never merged (spec headers-and-delivery.md §9 item 7);
producers are parsed through a dispatch table (STYLE.md point 12).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spamhdr._mail import MessageSource, message_bytes, text_parts
from spamhdr.errors import InputError
from spamhdr.headers import HeaderBlock, parse_header_block
from spamhdr.options import DEFAULT_OPTIONS, Options
from spamhdr.report._draft import Draft
from spamhdr.report.amavis import build_amavis
from spamhdr.report.attribute import ScannerBlock, attribute_blocks
from spamhdr.report.body_report import REPORT_MARKER, BodyReport, parse_body_report
from spamhdr.report.consistency import check_report
from spamhdr.report.exim import build_exim
from spamhdr.report.model import Producer, SpamReport
from spamhdr.report.other import build_other
from spamhdr.report.rspamd import build_rspamd
from spamhdr.report.spamassassin import build_spamassassin

__all__ = ["parse_reports", "reports_from_header_block"]

#: producer → the parser that fills a draft from that producer's fields.
PRODUCER_PARSERS: dict[Producer, Callable[[Draft], None]] = {
    "spamassassin": build_spamassassin,
    "amavis": build_amavis,
    "rspamd": build_rspamd,
    "exim": build_exim,
    "other": build_other,
}

_MARKER_BYTES = REPORT_MARKER.encode("ascii")


def parse_reports(
    source: MessageSource | HeaderBlock, options: Options = DEFAULT_OPTIONS
) -> list[SpamReport]:
    """Read every spam-scanner report of a message.

    Args:
        source: a whole message (bytes, str text, ``os.PathLike``, binary file,
            ``email.message.Message``) or an already parsed header block.
        options: limits and strictness; ``strict=True`` turns the first defect into an
            :class:`~spamhdr.errors.InputError`.

    Returns:
        one report per scanner block, topmost first (``position`` 0); an empty list when
        the message carries no scanner header.

    Raises:
        InputError: the source cannot be read, or (strict mode only) a defect was found.
    """
    if isinstance(source, HeaderBlock):
        return reports_from_header_block(source, options)
    data = message_bytes(source)
    block = parse_header_block(data, max_bytes=options.max_header_bytes)
    return reports_from_header_block(block, options, body=data[block.body_offset :], data=data)


def reports_from_header_block(
    block: HeaderBlock,
    options: Options = DEFAULT_OPTIONS,
    *,
    body: bytes = b"",
    data: bytes = b"",
) -> list[SpamReport]:
    """The reports of an already parsed header block (``body``: for SA's body report)."""
    memo: dict[str, Any] = {}
    drafts = [_draft(found, options, memo) for found in attribute_blocks(block, options, memo)]
    _attach_body_report(drafts, body, data, options)
    reports: list[SpamReport] = []
    for draft in drafts:
        report = draft.freeze()
        findings = check_report(report)
        if findings:
            report = draft.freeze(findings)
        if options.strict and report.defects:
            raise InputError(f"{report.producer} block {report.position}: {report.defects[0]}")
        reports.append(report)
    return reports


def _draft(found: ScannerBlock, options: Options, memo: dict[str, Any]) -> Draft:
    draft = Draft(found.producer, found.position, found.fields, options, memo=memo)
    PRODUCER_PARSERS[found.producer](draft)
    return draft


def _attach_body_report(drafts: list[Draft], body: bytes, data: bytes, options: Options) -> None:
    """Merge SpamAssassin's text report (report_safe wrapper, ``-t``) into its block.

    Only the topmost SpamAssassin block can own it, and only when the report's
    ``(X points, Y required)`` agrees with that block's ``X-Spam-Status`` — a report quoted
    in a forwarded message must not be mistaken for this scanner's.
    """
    owner = next((d for d in drafts if d.producer == "spamassassin"), None)
    if owner is None or not body:
        return
    scratch = Draft("spamassassin", 0, (), options)
    report: BodyReport | None = None
    if _MARKER_BYTES in body:
        report = parse_body_report(body.decode("utf-8", "replace"), scratch)
    elif b"x-spam-type=original" in body:
        # report_safe wrapper whose report part was re-encoded by a later relay
        for part in text_parts(data):
            report = parse_body_report(part, scratch)
            if report is not None:
                break
    if report is None:
        return
    if owner.score is not None and (
        abs(owner.score - report.score) > 1e-9
        or (owner.required is not None and abs(owner.required - report.required) > 1e-9)
    ):
        owner.defects.append(
            f"body report ({report.score} points, {report.required} required) does not match "
            f"X-Spam-Status; not merged"
        )
        return
    owner.defects.extend(scratch.defects)
    if owner.score is None:
        owner.score, owner.required = report.score, report.required
    owner.merge_tests(report.tests, rounded=True)
