"""``spamhdr deliver``: where does this message go, and why (per recipient and mailbox).

``spamhdr deliver [--json] [--policies FILE] --rcpt ADDR ... [--sender ADDR] [--score N]
[--ispconfig-version V] [--backend amavis|rspamd] MESSAGE`` prints the decision chain;
``spamhdr deliver sieve --ispconfig-version V --move-junk y|a|n`` prints the Sieve scripts
ISPConfig installs for a mailbox. A message file literally named ``sieve`` must be given as
``./sieve``.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any, TextIO

from tabulate import tabulate

from spamhdr._commands._common import add_anonymize_option, add_json_option, emit_json, emit_text
from spamhdr._mail import read_input_file
from spamhdr.deliver.decide import DeliveryReport, RecipientDecision, decide_delivery
from spamhdr.deliver.decide import default_policies as _defaults
from spamhdr.deliver.document import parse_policy_document
from spamhdr.deliver.model import MailUser, PolicySet, parse_version, version_family
from spamhdr.deliver.sieve import render_scripts
from spamhdr.errors import InputError, UsageError

__all__ = ["load_policies", "register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "deliver",
        help="simulate ISPConfig delivery: policy, amavis/rspamd, aliases, Sieve, folder",
        description="Decide, per recipient and final mailbox, what ISPConfig's mail stack "
        "does with a message: policy row, levels, headers, subject, destiny, Sieve Junk "
        "rule and folder. 'spamhdr deliver sieve --ispconfig-version V --move-junk y|a|n' "
        "prints the Sieve scripts ISPConfig installs.",
    )
    add_json_option(parser, "one JSON object with a 'recipients' list")
    add_anonymize_option(parser)
    parser.add_argument("--policies", metavar="FILE", help="policy document (TOML or JSON)")
    parser.add_argument(
        "--rcpt",
        action="append",
        metavar="ADDR",
        default=[],
        help="envelope recipient (repeatable)",
    )
    parser.add_argument(
        "--sender",
        metavar="ADDR",
        help="envelope sender (default: Return-Path, else From; '' = <>)",
    )
    parser.add_argument(
        "--authenticated",
        action="store_true",
        help="the sender authenticated (SASL) or is in mynetworks: under rspamd, "
        "milter_headers adds no spam headers",
    )
    parser.add_argument(
        "--score",
        type=float,
        metavar="N",
        help="spam score (default: the message's topmost scanner report)",
    )
    add_setting_options(parser)
    parser.add_argument(
        "--move-junk",
        choices=("y", "a", "n"),
        help="with 'sieve': the mailbox's move_junk setting (default y)",
    )
    parser.add_argument(
        "--mailbox",
        metavar="ADDR",
        help="with 'sieve' and --policies: render this mailbox's scripts",
    )
    parser.add_argument(
        "message",
        nargs="*",
        metavar="MESSAGE",
        help="the message file ('-' for stdin), or the word 'sieve'",
    )
    parser.set_defaults(handler=run)


def add_setting_options(parser: argparse.ArgumentParser) -> None:
    """``--ispconfig-version`` and ``--backend`` (shared with ``whatif``)."""
    parser.add_argument(
        "--ispconfig-version",
        metavar="V",
        help="ISPConfig release, e.g. 3.1.14, 3.2.4, 3.2.11 (default: the document's, else 3.2.11)",
    )
    parser.add_argument(
        "--backend",
        choices=("amavis", "rspamd"),
        help="content filter (default: the document's, else amavis)",
    )


def load_policies(path: str | None, version: str | None, backend: str | None) -> PolicySet:
    """Read a policy document (or the defaults) and apply command-line overrides."""
    if path is None:
        policies = _defaults()
    else:
        raw = read_input_file(path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("policy document is not UTF-8", path) from None
        policies = parse_policy_document(text, path)
    changes: dict[str, Any] = {}
    if version is not None:
        parse_version(version)
        changes["ispconfig_version"] = version
    if backend is not None:
        changes["backend"] = backend
    if changes:
        policies = replace(policies, server=replace(policies.server, **changes))
    return policies


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.message == ["sieve"] and (args.move_junk is not None or not args.rcpt):
        return _run_sieve(args, out)
    if args.move_junk is not None or args.mailbox is not None:
        raise UsageError("--move-junk and --mailbox belong to 'spamhdr deliver sieve'")
    if len(args.message) != 1:
        raise UsageError("spamhdr deliver: give exactly one MESSAGE (or 'sieve')")
    if not args.rcpt:
        raise UsageError("spamhdr deliver: at least one --rcpt ADDR is required")
    policies = load_policies(args.policies, args.ispconfig_version, args.backend)
    label = args.message[0]
    data = _read_message(label)
    report = decide_delivery(
        data,
        policies,
        tuple(args.rcpt),
        score=args.score,
        sender=args.sender,
        authenticated=args.authenticated,
    )
    if args.json:
        emit_json(out, report.to_json(), anonymize=args.anonymize)
    else:
        emit_text(out, render_report(report, label), anonymize=args.anonymize)
    return 0


def _read_message(label: str) -> bytes:
    if label == "-":
        import sys

        return sys.stdin.buffer.read()
    return read_input_file(label)


def _run_sieve(args: argparse.Namespace, out: TextIO) -> int:
    policies = load_policies(args.policies, args.ispconfig_version, None)
    family = version_family(policies.server.version)
    user: MailUser | None = None
    if args.mailbox is not None:
        user = policies.mailbox(args.mailbox)
        if user is None:
            raise UsageError(f"no mail_user row for {args.mailbox} in the policy document")
    if user is None:
        user = MailUser(mailuser_id=0, email="user@example.com")
    if args.move_junk is not None:
        user = replace(user, move_junk=args.move_junk)
    scripts = render_scripts(family, user)
    parts = [
        f"# ISPConfig {policies.server.ispconfig_version} (rule family {family}), "
        f"move_junk = {user.move_junk}"
    ]
    if family == "3.1" and user.move_junk == "a":
        parts.append("# note: 'a' does not exist before 3.2; the 3.1 template treats it as 'n'")
    for script in scripts.scripts:
        parts.append(f"\n### {script.name} ({script.role})\n{script.text.rstrip()}")
    emit_text(out, "\n".join(parts))
    return 0


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def render_report(report: DeliveryReport, label: str) -> str:
    """The human table: one block per recipient, one row per step."""
    blocks = [
        f"{label}: {report.backend}, ISPConfig {report.ispconfig_version} (Sieve rule "
        f"{report.family}), score {report.score:g} ({report.score_source}), envelope sender "
        f"<{report.sender}>"
    ]
    for decision in report.recipients:
        blocks.append(_render_recipient(decision))
    return "\n\n".join(blocks)


def _render_recipient(d: RecipientDecision) -> str:
    policy = "none (static settings)"
    if d.policy is not None:
        policy = (
            f'{d.policy.name or "(unnamed)"} (id {d.policy.id}) via "{d.policy.matched_key}"'
            f", priority {d.policy.priority}"
        )
    headers = "\n".join(f"{n}: {v}" for n, v in d.headers_added) or "(none)"
    rows: list[tuple[str, str]] = [
        ("policy", policy),
        ("local", _yes(d.local)),
        ("category", d.category),
        ("tagged", _yes(d.tagged)),
        ("headers added", headers),
        ("subject", d.subject if d.subject is not None else "(none)"),
        (
            "destiny",
            d.destiny + ("" if d.dsn is None else f" (DSN {'sent' if d.dsn else 'not sent'})"),
        ),
        ("quarantined", _yes(d.quarantined)),
        ("cluster", str(d.cluster)),
    ]
    for delivery in d.deliveries:
        where = (
            delivery.folder
            if delivery.folder is not None
            else ("not evaluated" if not delivery.evaluated else "(not stored here)")
        )
        if len(delivery.folders) > 1:
            where += " (also " + ", ".join(delivery.folders[1:]) + ")"
        rows.append(
            (f"→ {delivery.mailbox}", f"{where}; POP3 visible: {_yes(delivery.pop3_visible)}")
        )
    if not d.deliveries:
        rows.append(("deliveries", "none"))
    table = tabulate(rows, tablefmt="plain")
    reasons = "\n".join(f"  - {r}" for r in d.reasons)
    return f"recipient {d.recipient}\n{table}\n  why:\n{reasons}"
