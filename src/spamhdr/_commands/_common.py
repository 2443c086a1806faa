"""Pieces every sub-command shares: input discovery, output, anonymizing, progress.

Input forms (``check``, ``explain``, ``whatif``): a message file (always one message, even
when it starts with an mbox ``From `` line, as SpamAssassin treats it), ``-`` for stdin, a
Maildir (a directory with ``cur/`` or ``new/``), any other directory (its files, recursively,
in sorted path order, hidden files skipped), or with ``--mbox`` an mbox file whose messages
are labelled ``PATH:N`` (1-based).
"""

from __future__ import annotations

import argparse
import json
import mailbox
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from spamhdr._mail import read_input_file
from spamhdr.anonymize import anonymize_text, anonymize_value
from spamhdr.errors import InputError

__all__ = [
    "MessageInput",
    "Progress",
    "add_anonymize_option",
    "add_json_option",
    "add_rule_path_options",
    "emit_json",
    "emit_text",
    "iter_message_inputs",
    "print_input_error",
]


def add_json_option(
    parser: argparse.ArgumentParser, what: str = "one JSON object per line"
) -> None:
    parser.add_argument("--json", action="store_true", help=f"machine output: {what}")


def add_anonymize_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--anonymize",
        action="store_true",
        help="mask IP addresses and e-mail local parts in all output",
    )


def add_rule_path_options(parser: argparse.ArgumentParser) -> None:
    """The rule path options every rule-reading command shares (see spamhdr.rules)."""
    group = parser.add_argument_group("rule paths")
    group.add_argument(
        "--rules",
        action="append",
        metavar="DIR",
        default=None,
        help="default rules directory (repeatable); default: the installed SpamAssassin "
        "rules, else spamhdr's shipped rules",
    )
    group.add_argument("--site", metavar="DIR", default=None, help="site rules directory")
    group.add_argument("--prefs", metavar="FILE", default=None, help="user preferences file")


def emit_text(out: TextIO, text: str, *, anonymize: bool = False) -> None:
    """Write human output, masked when ``anonymize`` is set."""
    out.write(anonymize_text(text) if anonymize else text)
    if not text.endswith("\n"):
        out.write("\n")


def emit_json(out: TextIO, obj: Any, *, anonymize: bool = False) -> None:
    """Write one JSON Lines record, masked when ``anonymize`` is set."""
    if anonymize:
        obj = anonymize_value(obj)
    out.write(json.dumps(obj, ensure_ascii=False, allow_nan=False) + "\n")


def print_input_error(err: TextIO, label: str, reason: str, *, anonymize: bool = False) -> None:
    """The one-line message for an input that could not be processed."""
    line = f"spamhdr: {label}: {reason}"
    print(anonymize_text(line) if anonymize else line, file=err)


@dataclass(frozen=True, slots=True)
class MessageInput:
    """One message to process: its label for output and its bytes, or why it failed."""

    label: str
    data: bytes | None
    error: str | None = None


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() or (path / "new").is_dir()


def _directory_files(path: Path) -> list[Path]:
    found: list[Path] = []
    roots = [path / "cur", path / "new"] if _is_maildir(path) else [path]
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            found.extend(Path(dirpath) / name for name in filenames if not name.startswith("."))
    return sorted(found)


def _iter_mbox(label: str) -> Iterator[MessageInput]:
    try:
        box = mailbox.mbox(label, create=False)
        keys = list(box.iterkeys())
    except (OSError, mailbox.Error) as exc:
        yield MessageInput(label, None, str(exc))
        return
    for index, key in enumerate(keys, start=1):
        try:
            data = box.get_bytes(key)
        except (OSError, mailbox.Error, KeyError) as exc:
            yield MessageInput(f"{label}:{index}", None, str(exc))
            continue
        yield MessageInput(f"{label}:{index}", data)


def iter_message_inputs(
    inputs: Sequence[str], *, mbox: bool = False, stdin: Any = None
) -> Iterator[MessageInput]:
    """Expand command-line inputs into messages, in input order.

    Files are read lazily, one at a time, so memory does not grow with the input count.
    An unreadable input yields a :class:`MessageInput` with ``error`` set; the run goes on.
    """
    for label in inputs:
        if label == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield MessageInput(label, stream.read())
            continue
        path = Path(label)
        if mbox and not path.is_dir():
            yield from _iter_mbox(label)
            continue
        if path.is_dir():
            for file in _directory_files(path):
                try:
                    yield MessageInput(str(file), read_input_file(file))
                except InputError as exc:
                    yield MessageInput(str(file), None, exc.reason)
            continue
        try:
            yield MessageInput(label, read_input_file(path))
        except InputError as exc:
            yield MessageInput(label, None, exc.reason)


class Progress:
    """A one-line progress counter on stderr, shown only when stderr is a terminal."""

    def __init__(self, err: TextIO, total: int | None = None, *, enabled: bool | None = None):
        self._err = err
        self._total = total
        self._done = 0
        isatty = getattr(err, "isatty", None)
        self._enabled = enabled if enabled is not None else bool(callable(isatty) and isatty())

    def step(self) -> None:
        self._done += 1
        if not self._enabled or self._done % 25:
            return
        if self._total:
            width = 30
            filled = width * self._done // self._total
            bar = "#" * filled + "." * (width - filled)
            self._err.write(f"\r[{bar}] {self._done}/{self._total}")
        else:
            self._err.write(f"\r{self._done} messages")
        self._err.flush()

    def close(self) -> None:
        if self._enabled and self._done >= 25:
            self._err.write("\r" + " " * 50 + "\r")
            self._err.flush()
