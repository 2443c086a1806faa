"""The ``spamhdr`` command line: one sub-command per job, dispatched through a table.

``main(argv)`` is testable in-process and never lets a traceback reach the user.

Exit codes (documented in README.md and ``spamhdr --help``):

* 0 — every input was processed (and, for ``lint``, no errors were found);
* 1 — at least one input failed (named on stderr; the others were processed), or lint
  found errors;
* 2 — usage error (bad option, missing argument);
* 3 — internal error (a bug in spamhdr: please report it with the input that caused it);
* 130 — interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from spamhdr.errors import EXIT_USAGE, SpamhdrError, UsageError

__all__ = ["EXIT_INTERNAL", "EXIT_INTERRUPTED", "main"]

EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

# Sub-command name → module under spamhdr._commands that defines ``register(subparsers)``.
# Each module adds its parser and sets ``handler=run`` with
# ``run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int``.
_COMMAND_MODULES = {
    "explain": "spamhdr._commands.explain",
    "lint": "spamhdr._commands.lint",
    "rules": "spamhdr._commands.rules",
    "check": "spamhdr._commands.check",
    "deliver": "spamhdr._commands.deliver",
    "whatif": "spamhdr._commands.whatif",
}

_EPILOG = """exit status: 0 all inputs processed; 1 some input failed (the others were
processed) or lint found errors; 2 usage error; 3 internal error; 130 interrupted."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of exiting, so main() returns."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every sub-command whose module is present."""
    parser = _Parser(
        prog="spamhdr",
        description="Explain spam-scanner headers, run SpamAssassin header and meta rules, "
        "and simulate ISPConfig-style delivery.",
        epilog=_EPILOG,
    )
    parser.add_argument("--version", action=_VersionAction)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in _COMMAND_MODULES.values():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


class _VersionAction(argparse.Action):
    """``--version``: the package version and which build runs (``spamhdr._build``),
    computed only when asked (the build check imports the engine)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **_: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and build, and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        from spamhdr._build import build_name

        sys.stdout.write(f"spamhdr {_version()} ({build_name()})\n")  # as argparse's version
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spamhdr")
    except PackageNotFoundError:
        return "unknown"


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line.

    Args:
        argv: the arguments without the program name (default ``sys.argv[1:]``).
        out: where results go (default stdout).
        err: where errors and progress go (default stderr).

    Returns:
        the exit status (see the module docstring).
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(list(argv) if argv is not None else None)
        except SystemExit as exc:  # --help and --version exit through argparse
            return int(exc.code or 0)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(err)
            return EXIT_USAGE
        return int(handler(args, out, err))
    except SpamhdrError as exc:
        print(f"spamhdr: error: {exc}", file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        print("spamhdr: interrupted", file=err)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `spamhdr check ... | head`): not an error of ours.
        return 0
    except Exception as exc:  # the promise: never a traceback for the user
        print(
            f"spamhdr: internal error: {type(exc).__name__}: {exc} "
            "(please report this with the input that caused it)",
            file=err,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
