"""Message bytes → SpamAssassin's header table (sa-rules.md §5.1, ``Message.pm new``).

Input: the whole message as bytes. Output: :class:`ParsedHeaders` — the fields in order
(name as stored, raw value), the pristine header text, the mbox separator and flags.
Invariants: never raises for any ``bytes``; field names and values are bytes (SpamAssassin
works on octets); a value keeps its leading space, folds and final newline; in CRLF mode
stored values have LF line ends while the pristine text keeps CRLF.

The quirks reproduced (each from ``Message.pm new``):

* a first line matching ``^From\\s+(?!:)`` is the mbox separator; a UW MBX separator line is
  dropped too;
* CRLF mode when the first or the last line contains CRLF; lone LFs are then made CRLF;
* a line starting with space/tab continues the previous field (or starts an empty one);
* the block ends at the line ending alone, at a line starting with ``--``, or at the fourth
  line that is not ``name:`` syntax (the first three such lines are kept as fields or
  dropped when they have no colon);
* fields split at the first colon; blanks before the colon removed; name capped at 256
  bytes, value at 8,192 (``Constants.pm``).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

__all__ = [
    "MAX_HEADER_KEY_LENGTH",
    "MAX_HEADER_VALUE_LENGTH",
    "ParsedHeaders",
    "RawField",
    "parse_headers",
]

MAX_HEADER_KEY_LENGTH = 256
MAX_HEADER_VALUE_LENGTH = 8192

_MBOX_FROM = regex.compile(rb"^From\s+(?!:)")
# Constants.pm MBX_SEPARATOR (UW IMAP MBX format)
_MBX_SEPARATOR = regex.compile(
    rb"^(?:[\s\d]\d-[a-zA-Z]{3}-\d{4}\s\d{2}:\d{2}:\d{2}.*),(?:\d+);(?:[\da-f]{12})-(?:\w{8})\r?$"
)
_FIELD_START = regex.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")
_LONE_LF = regex.compile(rb"(?<!\r)\n")


@dataclass(frozen=True, slots=True)
class RawField:
    """One stored header field.

    Attributes:
        name: the name as SpamAssassin stores it (original case, blanks before the colon
            removed, at most 256 bytes). Look-ups compare ``name.lower()``.
        raw: the value after the colon, LF line ends, at most 8,192 bytes.
    """

    name: bytes
    raw: bytes


@dataclass(frozen=True, slots=True)
class ParsedHeaders:
    """The header section of a message as SpamAssassin's ``Message`` object holds it.

    Attributes:
        fields: stored fields in message order.
        pristine: the header text exactly as read (plus the blank separator line), for
            ``ALL:raw`` and ``ALL-*:raw``.
        mbox_separator: the mbox ``From `` line, if the message started with one.
        crlf: whether SpamAssassin switched to CRLF mode.
        truncated: a name or value was cut to its maximum length.
        missing_separator: the header section did not end with an empty line.
        defects: recoverable problems, in order.
    """

    fields: tuple[RawField, ...]
    pristine: bytes
    mbox_separator: bytes | None
    crlf: bool
    truncated: bool
    missing_separator: bool
    defects: tuple[str, ...]


def _split_lines(data: bytes) -> list[bytes]:
    # Perl split(/^/m, $msg, -1): pieces ending after each LF, no empty trailing piece.
    lines = data.split(b"\n")
    out = [line + b"\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def parse_headers(data: bytes) -> ParsedHeaders:
    """Parse the header section of ``data`` the way ``Mail::SpamAssassin::Message->new`` does.

    Args:
        data: the complete message (or just its header block).

    Returns:
        The stored fields and pristine text; problems are recorded in ``defects``.
    """
    lines = _split_lines(data) or [b"\n"]
    defects: list[str] = []
    mbox: bytes | None = None
    if _MBOX_FROM.match(lines[0]):
        mbox = lines.pop(0)
    elif _MBX_SEPARATOR.match(lines[0]):
        lines.pop(0)
    crlf = bool(lines) and (b"\r\n" in lines[0] or b"\r\n" in lines[-1])
    ending = b"\r\n" if crlf else b"\n"
    fields: list[RawField] = []
    pristine = bytearray()
    header: bytes | None = None
    errors = 0
    truncated = False
    missing_separator = False
    pos = 0
    while True:
        eof = pos >= len(lines)
        current = ending if eof else lines[pos]
        pos += 1
        if crlf:
            current = _LONE_LF.sub(b"\r\n", current)
        if current[:1] in (b" ", b"\t"):
            header = (header or b"") + current
            pristine += current
            continue
        if header is not None:
            name, colon, value = header.partition(b":")
            if colon:
                if crlf:
                    value = value.replace(b"\r\n", b"\n")
                name = name.rstrip(b" \t")  # trailing blanks ([ \t]+\Z) removed
                if len(name) > MAX_HEADER_KEY_LENGTH:
                    name = name[:MAX_HEADER_KEY_LENGTH]
                    truncated = True
                    defects.append("header name truncated to 256 bytes")
                if len(value) > MAX_HEADER_VALUE_LENGTH:
                    value = value[:MAX_HEADER_VALUE_LENGTH]
                    truncated = True
                    defects.append(f"value of {_show(name)} truncated to 8192 bytes")
                fields.append(RawField(name, value))
            else:
                defects.append(f"line without a colon dropped: {_show(header[:40])}")
        if current == ending:
            if eof:
                missing_separator = True
            else:
                pristine += current
            break
        if current.startswith(b"--"):
            missing_separator = True
            defects.append("header section ended by a MIME boundary line")
            break
        if not _FIELD_START.match(current):
            errors += 1
            if errors > 3:
                missing_separator = True
                defects.append("header section ended after 4 lines that are not fields")
                break
        header = current
        pristine += current
    if missing_separator:
        defects.append("no empty line after the header section")
    return ParsedHeaders(
        fields=tuple(fields),
        pristine=bytes(pristine),
        mbox_separator=mbox,
        crlf=crlf,
        truncated=truncated,
        missing_separator=missing_separator,
        defects=tuple(defects),
    )


def _show(b: bytes) -> str:
    return b.decode("latin-1").encode("unicode_escape").decode("ascii")
