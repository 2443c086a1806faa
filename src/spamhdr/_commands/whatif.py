"""``spamhdr whatif``: re-decide a mail collection under one or two policy documents.

``spamhdr whatif [--json] --policies A [--against B] --rcpt ADDR INPUT...`` reads every
message (Maildir, directory, mbox — a file starting with an mbox ``From `` line — or a
single message), takes each message's score from its own topmost scanner report, decides
delivery for each ``--rcpt`` under A (and B), prints counts per outcome and lists the
messages whose outcome changes. ``--plot FILE.png`` draws the score histogram with each
document's levels (needs matplotlib: ``pip install 'spamhdr[plot]'``).
"""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any, TextIO

from tabulate import tabulate

from spamhdr._commands._common import (
    Progress,
    add_anonymize_option,
    add_json_option,
    emit_json,
    emit_text,
    iter_message_inputs,
    print_input_error,
)
from spamhdr._commands.deliver import add_setting_options, load_policies
from spamhdr.deliver.decide import decide_delivery, outcome_rank, score_from_message
from spamhdr.deliver.lookup import lookup_policy
from spamhdr.deliver.model import PolicySet
from spamhdr.deliver.rspamd import decide_rspamd
from spamhdr.errors import EXIT_FAILURE, EXIT_OK, UsageError

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "whatif",
        help="re-decide a Maildir/mbox/directory under other policies and compare",
        description="Re-decide every message for the given recipients under a policy "
        "document (and a second one with --against); print counts per outcome and the "
        "messages whose outcome changes.",
    )
    add_json_option(parser, "one JSON object with counts and changes")
    add_anonymize_option(parser)
    parser.add_argument("--policies", required=True, metavar="A", help="policy document A")
    parser.add_argument("--against", metavar="B", help="policy document B to compare with")
    parser.add_argument(
        "--rcpt",
        action="append",
        metavar="ADDR",
        required=True,
        help="envelope recipient (repeatable)",
    )
    add_setting_options(parser)
    parser.add_argument("--plot", metavar="FILE.png", help="draw the score histogram")
    parser.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="Maildir, directory, mbox file or message file"
    )
    parser.set_defaults(handler=run)


def _expand(inputs: list[str]) -> Any:
    for label in inputs:
        is_mbox = False
        try:
            with open(label, "rb") as handle:
                is_mbox = handle.read(5) == b"From "
        except OSError:
            pass
        yield from iter_message_inputs([label], mbox=is_mbox)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.plot:
        _require_matplotlib()  # fail before reading a whole mail collection
    docs: list[tuple[str, PolicySet]] = [
        (args.policies, load_policies(args.policies, args.ispconfig_version, args.backend))
    ]
    if args.against:
        docs.append(
            (args.against, load_policies(args.against, args.ispconfig_version, args.backend))
        )
    if len(docs) == 2 and docs[0][0] == docs[1][0]:
        docs[1] = (docs[1][0] + " (B)", docs[1][1])
    recipients = tuple(args.rcpt)
    counts = {name: Counter[str]() for name, _p in docs}
    changes: list[dict[str, object]] = []
    scores: list[float] = []
    failed = unscored = total = 0
    progress = Progress(err)
    for item in _expand(args.inputs):
        progress.step()
        if item.data is None:
            failed += 1
            print_input_error(err, item.label, item.error or "unreadable", anonymize=args.anonymize)
            continue
        try:
            score, _source = score_from_message(item.data)
        except UsageError:
            unscored += 1
            continue
        total += 1
        scores.append(score)
        outcomes: list[dict[str, str]] = []
        for name, policies in docs:
            report = decide_delivery(item.data, policies, recipients, score=score)
            per = {r.recipient: r.outcome for r in report.recipients}
            for outcome in per.values():
                counts[name][outcome] += 1
            outcomes.append(per)
        if len(outcomes) == 2:
            for rcpt in recipients:
                a, b = outcomes[0][rcpt], outcomes[1][rcpt]
                if a != b:
                    direction = "harsher" if outcome_rank(b) > outcome_rank(a) else "milder"
                    changes.append(
                        {
                            "message": item.label,
                            "recipient": rcpt,
                            "score": score,
                            "a": a,
                            "b": b,
                            "change": direction,
                        }
                    )
    progress.close()
    if args.plot:
        _plot(args.plot, scores, docs, recipients)
    result = {
        "messages": total,
        "unscored": unscored,
        "failed": failed,
        "recipients": list(recipients),
        "policies": [
            {
                "document": name,
                "counts": dict(sorted(counts[name].items(), key=lambda kv: outcome_rank(kv[0]))),
            }
            for name, _p in docs
        ],
        "changed": changes,
    }
    if args.json:
        emit_json(out, result, anonymize=args.anonymize)
    else:
        emit_text(out, _render(result, docs), anonymize=args.anonymize)
    return EXIT_FAILURE if failed else EXIT_OK


def _render(result: dict[str, Any], docs: list[tuple[str, PolicySet]]) -> str:
    outcomes = sorted({o for p in result["policies"] for o in p["counts"]}, key=outcome_rank)
    rows = [[p["document"], *[p["counts"].get(o, 0) for o in outcomes]] for p in result["policies"]]
    lines = [
        f"{result['messages']} messages × {len(result['recipients'])} recipient(s); "
        f"{result['unscored']} without a scanner score skipped, {result['failed']} unreadable",
        tabulate(rows, headers=["document", *outcomes], tablefmt="simple"),
    ]
    if len(docs) == 2:
        changed = result["changed"]
        lines.append(f"\n{len(changed)} outcome(s) change from A to B:")
        if changed:
            lines.append(tabulate(
                [[c["message"], c["recipient"], f"{c['score']:g}", c["a"], c["b"]]
                 for c in changed],
                headers=["message", "recipient", "score", "A", "B"], tablefmt="simple",
            ))  # fmt: skip
    return "\n".join(lines)


def _levels(policies: PolicySet, rcpt: str) -> list[tuple[str, float]]:
    if policies.server.backend == "rspamd":
        verdict = decide_rspamd(policies, (rcpt,), "", 0.0, subject=None)
        return [(name, value) for name, value in verdict.actions if value is not None]
    lookup = lookup_policy(rcpt, policies)
    out = []
    for label, field in (
        ("tag", "spam_tag_level"),
        ("tag2", "spam_tag2_level"),
        ("kill", "spam_kill_level"),
    ):
        value = lookup.get(field)
        if isinstance(value, (int, float)):
            out.append((label, float(value)))
    return out


def _require_matplotlib() -> None:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError(
            "--plot needs matplotlib, which is not installed: pip install 'spamhdr[plot]'"
        )


def _plot(
    path: str, scores: list[float], docs: list[tuple[str, PolicySet]], rcpts: tuple[str, ...]
) -> None:
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib, which is not installed: pip install 'spamhdr[plot]'"
        ) from None
    fig, ax = plt.subplots(figsize=(9, 4.5))
    if scores:
        low, high = min(scores), max(scores)
        ax.hist([min(max(s, -20.0), 80.0) for s in scores], bins=60, color="#888888")
        ax.set_xlim(max(min(low, 0.0), -20.0) - 1, min(max(high, 10.0), 80.0) + 1)
    styles = ["-", "--"]
    colors = {
        "tag": "#1f77b4",
        "tag2": "#ff7f0e",
        "kill": "#d62728",
        "greylist": "#2ca02c",
        "add header": "#ff7f0e",
        "rewrite subject": "#9467bd",
        "reject": "#d62728",
    }
    for index, (_name, policies) in enumerate(docs):
        for label, value in _levels(policies, rcpts[0]):
            ax.axvline(
                value,
                linestyle=styles[index % 2],
                color=colors.get(label, "black"),
                label=f"{'AB'[index]}: {label} {value:g}",
            )
    ax.set_xlabel(f"score (levels for {rcpts[0]})")
    ax.set_ylabel("messages")
    ax.legend(fontsize="small")
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc}") from None
    finally:
        plt.close(fig)
