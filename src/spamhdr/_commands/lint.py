"""``spamhdr lint``: check SpamAssassin rule files the way ``spamassassin --lint`` does.

``spamhdr lint [--json] [--context] [--rules DIR]... [--site DIR] [--prefs FILE] [FILE...]``
loads the configuration the rule path options select (default: the installed SpamAssassin
configuration, else spamhdr's shipped rules) plus each FILE as if it were appended to the
site directory, and prints one diagnostic per line (``path:line:col: severity: message
[kind]``) and a summary. ``--json`` prints one object per diagnostic per line:
``{"file", "line", "col", "severity", "kind", "message"}``.

Exit status: 0 when there are no errors (warnings allowed), 1 when there are errors.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from spamhdr._commands._common import add_json_option, add_rule_path_options, emit_json
from spamhdr.errors import EXIT_FAILURE, EXIT_OK
from spamhdr.rules import RulePaths, load_config, resolve_rule_paths

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="check SpamAssassin rule files like 'spamassassin --lint'",
        description="Load the SpamAssassin configuration (and FILEs, read as if appended "
        "to the site directory) exactly as SpamAssassin 4.0.1 does and report every "
        "problem it would report, with file, line and column. Exit status 1 when there "
        "are errors.",
    )
    add_json_option(parser, "one JSON object per diagnostic per line")
    add_rule_path_options(parser)
    parser.add_argument(
        "--context",
        action="store_true",
        help="also show the offending line and a caret under each diagnostic",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="extra rule files to check")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    base = resolve_rule_paths(args.rules, args.site, args.prefs)
    paths = RulePaths(base.rules_dirs, base.site_dir, base.prefs, tuple(args.files))
    config = load_config(paths, lint=True)
    errors = sum(1 for d in config.diagnostics if d.is_error)
    warnings = len(config.diagnostics) - errors
    for diagnostic in config.diagnostics:
        if args.json:
            emit_json(out, diagnostic.to_json())
        else:
            out.write(diagnostic.render(caret=args.context) + "\n")
    if not args.json:
        read = ", ".join(str(p) for p in paths.all_paths())
        out.write(
            f"lint: {errors} error{'s' * (errors != 1)}, {warnings} "
            f"warning{'s' * (warnings != 1)} ({len(config.rules)} rules from {read})\n"
        )
    return EXIT_FAILURE if errors else EXIT_OK
