"""``spamhdr rules dump``: the effective rule inventory, one entry per rule name.

``spamhdr rules dump [--json] [--type T]... [--rules DIR]... [--site DIR] [--prefs FILE]
[PATH...]`` loads the configuration (PATHs read as if appended to the site directory) and
prints every rule sorted by name. ``--json``: one object per rule per line with the keys
``name type header modifiers operator pattern flags if_unset expression eval tflags
priority scores describe source`` (issue 3); scores as Perl prints them (15 significant
digits). Rule text stands for the files' bytes:
code points U+0080–U+00FF are bytes 0x80–0xFF (as in SpamAssassin's own dumps).
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from spamhdr._commands._common import add_json_option, add_rule_path_options, emit_json
from spamhdr.errors import EXIT_OK
from spamhdr.rules import RULE_TYPES, Rule, RulePaths, load_config, resolve_rule_paths

__all__ = ["register", "rule_to_json", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "rules",
        help="inspect the compiled SpamAssassin rule set",
        description="Inspect SpamAssassin rules as SpamAssassin 4.0.1 compiles them.",
    )
    actions = parser.add_subparsers(dest="rules_command", metavar="ACTION")
    dump = actions.add_parser(
        "dump",
        help="print the effective rule inventory",
        description="Print every effective rule: type, target header and modifiers, "
        "operator, pattern after ReplaceTags, flags, if-unset, tflags, priority, the four "
        "scores, describe and source file:line.",
    )
    add_json_option(dump, "one JSON object per rule per line")
    add_rule_path_options(dump)
    dump.add_argument(
        "--type",
        action="append",
        choices=RULE_TYPES,
        metavar="TYPE",
        help="only rules of this type (repeatable): " + ", ".join(RULE_TYPES),
    )
    dump.add_argument("paths", nargs="*", metavar="PATH", help="extra rule files")
    dump.set_defaults(handler=run)
    parser.set_defaults(handler=_usage(parser))


def _usage(parser: argparse.ArgumentParser) -> Any:
    def handler(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        parser.error("an action is required: dump")

    return handler


def _perl_number(value: float) -> float:
    """A score as Perl prints it (15 significant digits): a relative score ``(0.001)`` added
    to 2.739 is the double 2.7399999999999998 in Perl and Python alike; Perl shows 2.74."""
    return float(f"{value:.15g}")


def rule_to_json(rule: Rule) -> dict[str, object]:
    """The ``spamhdr rules dump --json`` record of one rule."""
    return {
        "name": rule.name,
        "type": rule.type,
        "header": rule.header,
        "modifiers": list(rule.modifiers),
        "operator": rule.operator,
        "pattern": rule.pattern,
        "flags": rule.flags,
        "if_unset": rule.if_unset,
        "expression": rule.expression,
        "eval": rule.eval,
        "tflags": rule.tflags,
        "priority": rule.priority,
        "scores": [_perl_number(score) for score in rule.scores],
        "describe": rule.describe,
        "source": rule.source,
    }


def _text(rule: Rule) -> str:
    if rule.type == "meta":
        what = rule.expression or ""
    elif rule.operator == "exists":
        what = f"exists:{rule.header}"
    elif rule.operator == "eval":
        what = f"eval:{rule.eval}"
    elif rule.pattern is not None:
        target = f"{rule.header_spec} {rule.operator} " if rule.header else ""
        what = f"{target}/{rule.pattern}/{rule.flags or ''}"
        if rule.if_unset is not None:
            what += f" [if-unset: {rule.if_unset}]"
    else:
        what = ""
    if len(what) > 160:
        what = what[:157] + "..."
    scores = " ".join(f"{s:g}" for s in rule.scores)
    extras = []
    if rule.tflags:
        extras.append(f"tflags={rule.tflags}")
    if rule.priority:
        extras.append(f"priority={rule.priority}")
    tail = f" [{' '.join(extras)}]" if extras else ""
    return f"{rule.name}\t{rule.type}\t{scores}\t{what}{tail}\t{rule.source}"


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    base = resolve_rule_paths(args.rules, args.site, args.prefs)
    paths = RulePaths(base.rules_dirs, base.site_dir, base.prefs, tuple(args.paths))
    config = load_config(paths)
    wanted = set(args.type) if args.type else None
    for name in sorted(config.rules):
        rule = config.rules[name]
        if wanted is not None and rule.type not in wanted:
            continue
        if args.json:
            emit_json(out, rule_to_json(rule))
        else:
            out.write(_text(rule) + "\n")
    return EXIT_OK
