"""The one error root of spamhdr, and the exit codes the CLI maps errors to.

Recoverable problems in input (a malformed header, a rule line SpamAssassin would skip)
are *defects* or *diagnostics* recorded on a result, not exceptions (STYLE.md point 7).
An exception means unusable input or API misuse, and every exception spamhdr raises
derives from :class:`SpamhdrError`, so callers can catch one type.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "InputError",
    "PolicyError",
    "RuleFileError",
    "SourcePosition",
    "SpamhdrError",
    "UsageError",
    "render_caret",
]

#: Every input was processed and nothing failed.
EXIT_OK = 0
#: At least one input could not be processed (the others were), or lint found errors.
EXIT_FAILURE = 1
#: The command line itself was wrong.
EXIT_USAGE = 2


@dataclass(frozen=True, slots=True)
class SourcePosition:
    """A place in a text file: 1-based line, 1-based column (None when unknown)."""

    file: str
    line: int
    col: int | None = None

    def __str__(self) -> str:
        if self.col is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.col}"


def render_caret(line_text: str, col: int | None) -> str:
    """Return ``line_text`` and, below it, a caret under 1-based column ``col``.

    Tabs before the column are kept so the caret lines up in a terminal.
    """
    shown = line_text.rstrip("\r\n")
    if col is None:
        return shown
    prefix = "".join(ch if ch == "\t" else " " for ch in shown[: max(col - 1, 0)])
    return f"{shown}\n{prefix}^"


class SpamhdrError(Exception):
    """Root of every exception spamhdr raises on purpose.

    Attributes:
        exit_code: the CLI exit status this error maps to.
    """

    exit_code: int = EXIT_FAILURE


class UsageError(SpamhdrError):
    """The API or the command line was used wrongly (bad option value, missing argument)."""

    exit_code = EXIT_USAGE


class InputError(SpamhdrError):
    """An input cannot be used at all: unreadable file, not a mail message, wrong type.

    Args:
        message: what is wrong, without the source name.
        source: the file name or other label of the input, when known.
    """

    def __init__(self, message: str, source: str | None = None) -> None:
        self.source = source
        self.reason = message
        super().__init__(f"{source}: {message}" if source else message)


class RuleFileError(SpamhdrError):
    """A rule configuration cannot be loaded at all (e.g. no readable rules directory).

    Problems inside rule files are diagnostics on the load result, not this exception.
    """


class PolicyError(SpamhdrError):
    """A policy document is unusable; ``position`` names the place in the document."""

    def __init__(self, message: str, position: str | None = None) -> None:
        self.position = position
        super().__init__(f"{position}: {message}" if position else message)
