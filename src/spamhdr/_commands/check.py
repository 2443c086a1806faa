"""``spamhdr check``: run SpamAssassin's header and meta rules on messages.

Loads the rule configuration once, compiles it once, then checks every input in order.
Human output shows each hit with its score, description and the header value it matched
(the match marked with ``»…«``); ``--json`` writes one JSON Lines record per message.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

from tabulate import tabulate

from spamhdr._commands._common import (
    Progress,
    add_anonymize_option,
    add_json_option,
    add_rule_path_options,
    emit_json,
    emit_text,
    iter_message_inputs,
    print_input_error,
)
from spamhdr.anonymize import widen_to_regions
from spamhdr.engine import CheckResult, RuleHit, RuleSet, check_message, compile_ruleset
from spamhdr.errors import EXIT_FAILURE, EXIT_OK, SpamhdrError, UsageError
from spamhdr.options import DEFAULT_OPTIONS, Options
from spamhdr.rules import Config, load_config, resolve_rule_paths

__all__ = ["register", "run"]

_SHOWN_VALUE = 100  # characters of a matched header value shown around the match


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="run SpamAssassin header and meta rules on messages",
        description="Check messages with SpamAssassin's header and meta rules, as SpamAssassin "
        "4.0.1 does with local tests only and Bayes off (body, uri and eval rules are "
        "reported as not evaluated). INPUT is a message file, '-', a Maildir, a directory of "
        "message files, or with --mbox an mbox file.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT")
    add_json_option(parser, "one JSON object per message (JSON Lines)")
    add_rule_path_options(parser)
    parser.add_argument(
        "--score-set",
        type=int,
        choices=(0, 1, 2, 3),
        default=None,
        help="SpamAssassin score set (default 0: no Bayes, no network)",
    )
    parser.add_argument("--mbox", action="store_true", help="read INPUT files as mbox")
    cache = parser.add_mutually_exclusive_group()
    cache.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where compiled Hyperscan databases are kept between runs (with the optional "
        "hyperscan package; default $XDG_CACHE_HOME/spamhdr or ~/.cache/spamhdr)",
    )
    cache.add_argument(
        "--no-cache", action="store_true", help="compile the databases every run, write no file"
    )
    add_anonymize_option(parser)
    parser.set_defaults(handler=run)


def cache_dir(args: argparse.Namespace) -> Path | None:
    """The Hyperscan database cache of this run, or None.

    A cache saves the ~1-2 s of database compilation a run of the stock rules otherwise
    starts with. Its files are Hyperscan's own serialized databases, named by a hash of
    every pattern and the library version (any rule change means other files), and are
    loaded only when the current user owns them and nobody else can write them or their
    directory (``spamhdr.engine.multipattern``): loading runs no code.
    """
    if args.no_cache:
        return None
    if args.cache_dir:
        return Path(args.cache_dir)
    base = os.environ.get("XDG_CACHE_HOME") or (
        str(Path.home() / ".cache") if os.environ.get("HOME") else ""
    )
    return Path(base) / "spamhdr" / "hyperscan" if base else None


def result_record(label: str, result: CheckResult) -> dict[str, Any]:
    """The ``--json`` record of one message (schema in docs/check.md)."""
    return {
        "file": label,
        "score": result.score,
        "required": result.required,
        "is_spam": result.is_spam,
        "hits": [
            {"name": h.name, "type": h.type, "score": h.score, "value": h.value}
            for h in result.hits
        ],
        "subtests": list(result.subtests),
        "not_evaluated": list(result.not_evaluated),
        "x_spam_status": result.x_spam_status,
        "defects": list(result.defects),
    }


def _shown_match(hit: RuleHit, anonymize: bool = False) -> str:
    """The tested header value with the match marked ``»…«``, shortened around it.

    With ``anonymize`` the marks are moved out of any address they would cut, so the
    masking applied to the whole output still recognises (and masks) it.
    """
    if hit.subject is None:
        return ""
    text = hit.subject.decode("utf-8", "replace")
    if hit.span is None:
        shown = text.replace("\n", "\\n")
        return shown if len(shown) <= _SHOWN_VALUE else shown[:_SHOWN_VALUE] + "…"
    start = len(hit.subject[: hit.span[0]].decode("utf-8", "replace"))
    end = start + len(hit.subject[hit.span[0] : hit.span[1]].decode("utf-8", "replace"))
    if anonymize:
        start, end = widen_to_regions(text, start, end)
    before, inside, after = text[:start], text[start:end], text[end:]
    room = max(10, (_SHOWN_VALUE - len(inside)) // 2)
    before = ("…" + before[-room:]) if len(before) > room else before
    after = (after[:room] + "…") if len(after) > room else after
    return f"{before}»{inside}«{after}".replace("\n", "\\n")


def incomplete_metas(config: Config, score_set: int) -> frozenset[str]:
    """Metas that read, directly or through other metas, a rule spamhdr does not run.

    Their result is SpamAssassin's for a run where those rules did not run (as in the
    header+meta oracle), which can differ from a full SpamAssassin run: the human output
    marks them so a postmaster does not over-read them.
    """
    rules = config.rules
    memo: dict[str, bool] = {}

    def reads_unrun(name: str, seen: frozenset[str]) -> bool:
        if name in memo:
            return memo[name]
        rule = rules.get(name)
        if rule is None or name in seen:
            return False
        if rule.type != "meta":
            unrun = rule.type != "header" or rule.operator not in ("=~", "!~", "exists")
            return unrun and rule.score(score_set) != 0
        found = any(reads_unrun(dep, seen | {name}) for dep in rule.dependencies)
        memo[name] = found
        return found

    return frozenset(
        n for n, r in rules.items() if r.type == "meta" and reads_unrun(n, frozenset())
    )


def render_result(
    label: str,
    result: CheckResult,
    ruleset: RuleSet,
    incomplete: frozenset[str] = frozenset(),
    anonymize: bool = False,
) -> str:
    """Human output for one message."""
    lines = [f"== {label}"]
    if result.hits:
        rows = []
        marked = False
        for hit in result.hits:
            value = f" ×{hit.value:g}" if hit.value != 1 else ""
            star = " *" if hit.name in incomplete else ""
            marked = marked or bool(star)
            describe = ruleset.descriptions.get(hit.name) or ""
            total = hit.score * hit.value if hit.type == "header" else hit.score
            rows.append([hit.name + value + star, f"{total:g}", describe])
            if hit.type == "header" and hit.spec is not None:
                rows.append(["", "", f"  {hit.spec}: {_shown_match(hit, anonymize)}"])
        lines.append(tabulate(rows, headers=["rule", "score", "description"], tablefmt="simple"))
        if marked:
            lines.append(
                "* reads rules spamhdr does not evaluate (body, uri, eval): "
                "as SpamAssassin when those did not run"
            )
    else:
        lines.append("no scored rule hit")
    verdict = "spam" if result.is_spam else "not spam"
    lines.append(f"total {result.score:g} against required {result.required:.1f}: {verdict}")
    lines.append(f"X-Spam-Status: {result.x_spam_status}")
    if result.subtests:
        lines.append(f"sub-rules hit ({len(result.subtests)}): {', '.join(result.subtests)}")
    if result.not_evaluated:
        lines.append(
            f"{len(result.not_evaluated)} rules not evaluated (body, uri, full, eval and "
            "network rules; spamhdr runs header and meta rules only)"
        )
    lines.extend(f"defect: {d}" for d in result.defects)
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    options: Options = DEFAULT_OPTIONS
    if args.score_set is not None:
        options = Options(score_set=args.score_set)
    paths = resolve_rule_paths(args.rules, args.site, args.prefs)
    config = load_config(paths, options)
    ruleset = compile_ruleset(config, options, cache_dir=cache_dir(args))
    incomplete = incomplete_metas(config, options.score_set)
    if not ruleset.bands and not ruleset.metas:
        raise UsageError("the selected rule configuration has no header or meta rules")
    status = EXIT_OK
    progress = Progress(err)
    for item in iter_message_inputs(args.inputs, mbox=args.mbox):
        progress.step()
        if item.data is None:
            status = EXIT_FAILURE
            reason = item.error or "cannot be read"
            if args.json:
                emit_json(out, {"file": item.label, "error": reason}, anonymize=args.anonymize)
            print_input_error(err, item.label, reason, anonymize=args.anonymize)
            continue
        try:
            result = check_message(ruleset, item.data, options)
        except SpamhdrError as exc:
            status = EXIT_FAILURE
            if args.json:
                emit_json(out, {"file": item.label, "error": str(exc)}, anonymize=args.anonymize)
            print_input_error(err, item.label, str(exc), anonymize=args.anonymize)
            continue
        if args.json:
            emit_json(out, result_record(item.label, result), anonymize=args.anonymize)
        else:
            emit_text(
                out,
                render_result(item.label, result, ruleset, incomplete, args.anonymize),
                anonymize=args.anonymize,
            )
    progress.close()
    return status
