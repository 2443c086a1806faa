"""``spamhdr explain``: why did each scanner score this message like this?

Edge module: reads files, loads rule descriptions, prints (tabulate is used only here).
Per input file: every scanner report (producer, verdict, score against required and tag
level), a table of tests (name, score, share of all points moved, description), a one-line
"why", then findings and defects. ``--json`` prints one JSON object per input file.

Inputs that are not mail: an empty file, or one whose first line (after an mbox ``From ``
line) is not a header field, or that has no header field at all. They get a one-line error
naming the file; the other files are still processed; the exit status is then 1.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from tabulate import tabulate

from spamhdr._commands._common import (
    add_anonymize_option,
    add_json_option,
    add_rule_path_options,
    emit_json,
    emit_text,
    iter_message_inputs,
    print_input_error,
)
from spamhdr.errors import EXIT_FAILURE, EXIT_OK, SpamhdrError
from spamhdr.headers import HeaderBlock, parse_header_block
from spamhdr.options import DEFAULT_OPTIONS
from spamhdr.report.explain import Explanation, RuleLookup, explain_report, report_to_json
from spamhdr.report.model import SpamReport
from spamhdr.report.parse import reports_from_header_block

__all__ = ["non_mail_reason", "register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="explain the spam-scanner headers of messages",
        description="Explain the SpamAssassin, amavis, rspamd and Exim headers of each "
        "message: verdict, score against required, each test's share and description, "
        "and consistency findings. Descriptions missing from the message come from "
        "SpamAssassin rule files (--rules, else the installed SpamAssassin, else spamhdr's "
        "shipped rules).",
    )
    parser.add_argument(
        "inputs", nargs="+", metavar="FILE", help="message files, directories, Maildirs or -"
    )
    parser.add_argument(
        "--mbox", action="store_true", help="read FILE as an mbox (messages labelled FILE:N)"
    )
    add_json_option(parser, "one JSON object per input file")
    add_anonymize_option(parser)
    add_rule_path_options(parser)
    parser.set_defaults(handler=run)


def non_mail_reason(data: bytes, block: HeaderBlock) -> str | None:
    """Why ``data`` is not a mail message, or None when it is one (see module docstring)."""
    if not data.strip():
        return "not a mail message: the input is empty"
    if not block.fields:
        return "not a mail message: no header field found"
    first = 2 if block.mbox_from is not None else 1
    if any(d.startswith(f"line {first}: not a header field") for d in block.defects):
        return "not a mail message: it does not start with a header field"
    return None


class _LazyRules:
    """Rule descriptions loaded on first need (loading a full rule set takes a while)."""

    def __init__(self, args: argparse.Namespace, err: TextIO) -> None:
        self._args = args
        self._err = err
        self._loaded = False
        self._config: RuleLookup | None = None

    def get(self) -> RuleLookup | None:
        if not self._loaded:
            self._loaded = True
            self._config = _load_rules(self._args, self._err)
        return self._config


def _load_rules(args: argparse.Namespace, err: TextIO) -> RuleLookup | None:
    """Rule descriptions and scores from :mod:`spamhdr.rules` (the .cf compiler).

    ``--rules`` (file or directory, repeatable), else the installed SpamAssassin, else the
    shipped ``rules/``. Returns None — descriptions then come from the message only — when
    the rules cannot be loaded; the reason is printed once on stderr.
    """
    from spamhdr.rules import load_config, resolve_rule_paths

    try:
        paths = resolve_rule_paths(args.rules, args.site, args.prefs)
        config: RuleLookup = load_config(paths, DEFAULT_OPTIONS)
    except SpamhdrError as exc:
        print(f"spamhdr: note: rule descriptions unavailable: {exc}", file=err)
        return None
    return config


def _needs_rules(reports: list[SpamReport]) -> bool:
    return any(
        hit.description is None or hit.score is None
        for report in reports
        if report.producer in ("spamassassin", "amavis", "exim", "other")
        for hit in report.tests
    )


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _headline(report: SpamReport, total: int) -> str:
    where = "topmost block" if report.position == 0 else f"block {report.position + 1} of {total}"
    if report.position > 0:
        where += ", upstream of the blocks above"
    verdict = {"spam": "SPAM", "ham": "not spam", None: "no verdict"}[report.verdict]
    return f"[{report.position}] {report.producer} ({where}): {verdict}"


def _score_line(report: SpamReport) -> str:
    parts = [f"score {_num(report.score)}"]
    if report.required is not None:
        parts.append(f"required {_num(report.required)}")
    if report.tagged_above is not None:
        parts.append(f"tag level {_num(report.tagged_above)}")
    if report.reject_threshold is not None:
        parts.append(f"reject threshold {_num(report.reject_threshold)}")
    if report.x_spam_score is not None and report.x_spam_score != report.score:
        parts.append(f"X-Spam-Score {_num(report.x_spam_score)}")
    if report.action is not None:
        parts.append(f"action {report.action}")
    if report.listed is not None:
        parts.append(report.listed)
    line = ", ".join(parts)
    extras = []
    if report.autolearn is not None:
        force = f" (force {report.autolearn_force})" if report.autolearn_force else ""
        extras.append(f"autolearn {report.autolearn}{force}")
    if report.version is not None:
        extras.append(f"version {report.version}")
    return line + ("; " + ", ".join(extras) if extras else "")


def _table(explanation: Explanation) -> str:
    rows = []
    for row in explanation.rows:
        score = _num(row.score)
        if row.score_from_rules:
            score += " (rules)"
        elif row.rounded:
            score = "~" + score
        share = "" if row.share is None else f"{row.share * 100:+.1f}%"
        description = row.description or ""
        if row.description_from_rules:
            description += " (rules)"
        rows.append([row.name, score, share, description])
    return tabulate(
        rows,
        headers=["test", "score", "share", "description"],
        tablefmt="simple",
        disable_numparse=True,
    )


def _render_text(label: str, reports: list[SpamReport], explanations: list[Explanation]) -> str:
    lines = [f"== {label}"]
    if not reports:
        lines.append("no spam-scanner headers found")
        return "\n".join(lines) + "\n"
    for report, explanation in zip(reports, explanations, strict=True):
        lines.append(_headline(report, len(reports)))
        lines.append("  " + _score_line(report))
        lines.append("  headers: " + ", ".join(report.header_names))
        if explanation.rows:
            lines.extend("  " + line for line in _table(explanation).splitlines())
        lines.append("  why: " + explanation.why)
        if report.findings:
            lines.append("  findings:")
            lines.extend(f"    - {finding}" for finding in report.findings)
        if report.defects:
            lines.append("  defects:")
            lines.extend(f"    - {defect}" for defect in report.defects)
        if any(row.rounded for row in explanation.rows):
            lines.append("  (~: SpamAssassin's rounded report column; do not add them up)")
        lines.append("")
    return "\n".join(lines)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Explain every input; returns 0, or 1 when some input could not be used."""
    status = EXIT_OK
    rules = _LazyRules(args, err)
    options = DEFAULT_OPTIONS
    for item in iter_message_inputs(args.inputs, mbox=args.mbox):
        if item.data is None:
            print_input_error(err, item.label, item.error or "unreadable", anonymize=args.anonymize)
            status = EXIT_FAILURE
            continue
        block = parse_header_block(item.data, max_bytes=options.max_header_bytes)
        reason = non_mail_reason(item.data, block)
        if reason is not None:
            print_input_error(err, item.label, reason, anonymize=args.anonymize)
            status = EXIT_FAILURE
            continue
        reports = reports_from_header_block(
            block, options, body=item.data[block.body_offset :], data=item.data
        )
        lookup = rules.get() if _needs_rules(reports) else None
        explanations = [explain_report(r, lookup, score_set=options.score_set) for r in reports]
        if args.json:
            obj = {
                "file": item.label,
                "reports": [
                    report_to_json(r, e) for r, e in zip(reports, explanations, strict=True)
                ],
            }
            emit_json(out, obj, anonymize=args.anonymize)
        else:
            emit_text(
                out, _render_text(item.label, reports, explanations), anonymize=args.anonymize
            )
    return status
