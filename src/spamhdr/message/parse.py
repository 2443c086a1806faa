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

How it reads (speed only, same result): only the text up to the first empty line is
looked at (the loop never goes past it); the work is done on LF line ends; a section of
well-formed fields is read with one regex (``_parse_plain``), anything else by the
per-field loop (``_parse_lines``). ``tests/unit/message/test_parse_fastpath.py`` checks
that both agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import regex

from spamhdr.message._record import Record

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
# The common case, a well-formed field ("Subject: Your order\n\tis ready\n"): the name,
# blanks, ':', the value through its last continuation line. Tried only at line starts
# and possessive throughout, so linear in the header section: a fixed internal pattern,
# hence the standard library's engine (twice as fast as ``regex`` here, no timeout needed).
_PLAIN_FIELD = re.compile(
    rb"^([\x21-\x39\x3b-\x7e]++)([ \t]*+):([^\n]*+\n(?:[ \t][^\n]*+\n)*+)", re.M
)
# A line break not followed by a continuation line: where one field ends.
_FIELD_BREAK = regex.compile(rb"\n(?![ \t])")


class RawField(Record):
    """One stored header field (a :class:`~spamhdr.message._record.Record`: ~20 are
    made per message).

    Attributes:
        name: the name as SpamAssassin stores it (original case, blanks before the colon
            removed, at most 256 bytes). Look-ups compare ``name.lower()``.
        raw: the value after the colon, LF line ends, at most 8,192 bytes.
    """

    __slots__ = ("name", "raw")
    FIELDS = ("name", "raw")

    def __init__(self, name: bytes, raw: bytes) -> None:
        self.name: Final = name
        self.raw: Final = raw

    def field_values(self) -> tuple[object, ...]:
        return (self.name, self.raw)


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


#: Bytes a field name may contain: printable ASCII but the colon.
_NAME_BYTES = bytes(range(0x21, 0x7F)).replace(b":", b"")


#: What the header loop finds: the fields, where the pristine text ends (an offset in the
#: LF text), whether a name or value was cut, whether the empty line was missing, defects.
_Loop = tuple[tuple[RawField, ...], int, bool, bool, tuple[str, ...]]
_NO_DEFECTS: tuple[str, ...] = ()
_NO_FIELDS: tuple[RawField, ...] = ()


def _is_field_start(line: bytes) -> bool:
    # /^[\x21-\x39\x3b-\x7e]+[ \t]*:/ — the name runs up to the first colon (a colon is
    # not a name byte), blanks before it allowed.
    colon = line.find(b":")
    if colon <= 0:
        return False
    name = line[:colon].rstrip(b" \t")
    return bool(name) and not name.translate(None, _NAME_BYTES)


def _header_end(data: bytes, start: int, crlf: bool) -> int:
    """Offset just past the first empty line at or after ``start`` (``len(data)`` if none).

    The header loop stops at that line at the latest, so nothing after it (the body) is
    ever split into lines. An empty line is a lone LF; in CRLF mode also CR LF.
    """
    if data.startswith(b"\n", start) or (crlf and data.startswith(b"\r\n", start)):
        return start + (1 if data[start] == 0x0A else 2)
    end = len(data)
    found = data.find(b"\n\n", start)
    if found >= 0:
        end = found + 2
    if crlf:
        found = data.find(b"\n\r\n", start, end)
        if found >= 0:
            end = found + 3
    return end


def _parse_plain(text: bytes) -> _Loop | None:
    """:func:`_parse_lines` for the common case: ``text`` (LF line ends) is well-formed
    fields — each a ``name:`` line, no name starting with ``--``, none cut to its maximum
    length — then the empty line, so there is nothing to record. Else None."""
    if text == b"\n":
        return _NO_FIELDS, 1, False, False, _NO_DEFECTS
    if not text.endswith(b"\n\n") or text.startswith(b"--") or text.find(b"\n--") >= 0:
        return None
    found: list[tuple[bytes, bytes, bytes]] = _PLAIN_FIELD.findall(text)
    if not found:
        return None
    # No match can hold an empty line, so all lie before the final one (the empty line
    # that ends the section): they tile that part exactly when their lengths (plus each
    # colon) add up to it. One plain loop: compiled, it costs a fraction of the
    # zip/map/sum version (~7 µs a message).
    consumed = 0
    fields: list[RawField] = []
    for name, blanks, value in found:
        if len(name) > MAX_HEADER_KEY_LENGTH or len(value) > MAX_HEADER_VALUE_LENGTH:
            return None
        consumed += len(name) + len(blanks) + len(value) + 1
        fields.append(RawField(name, value))
    if consumed != len(text) - 1:
        return None
    return tuple(fields), len(text), False, False, _NO_DEFECTS


def parse_headers(data: bytes) -> ParsedHeaders:
    """Parse the header section of ``data`` the way ``Mail::SpamAssassin::Message->new`` does.

    Args:
        data: the complete message (or just its header block).

    Returns:
        The stored fields and pristine text; problems are recorded in ``defects``.
    """
    # Perl split(/^/m, $msg, -1) of "" gives no line; SpamAssassin then sees one newline.
    data = data or b"\n"
    newline = data.find(b"\n")
    first = data if newline < 0 else data[: newline + 1]
    mbox: bytes | None = None
    start = 0
    if _MBOX_FROM.match(first):
        mbox = first
        start = len(first)
    elif _MBX_SEPARATOR.match(first):
        start = len(first)
    # CRLF mode when the first (remaining) line or the last line has CRLF: a line holds
    # at most one LF, at its end, so "contains CRLF" is "ends with CRLF".
    newline = data.find(b"\n", start)
    crlf = start < len(data) and (
        (newline > start and data[newline - 1] == 0x0D) or data.endswith(b"\r\n")
    )
    head = data[start : _header_end(data, start, crlf)]
    # The loop works on LF line ends. In CRLF mode SpamAssassin first turns every lone LF
    # into CRLF (s/(?<!\r)\n/\r\n/) and stores values with CRLF → LF; replacing CRLF by LF
    # here gives the same values, and LF → CRLF restores the CRLF text exactly (every LF of
    # the CRLF text follows a CR).
    text = head.replace(b"\r\n", b"\n") if crlf else head
    fields, stop, truncated, missing_separator, defects = _parse_plain(text) or _parse_lines(
        text, crlf
    )
    pristine = text[:stop]
    return ParsedHeaders(
        fields=fields,
        pristine=pristine.replace(b"\n", b"\r\n") if crlf else pristine,
        mbox_separator=mbox,
        crlf=crlf,
        truncated=truncated,
        missing_separator=missing_separator,
        defects=defects,
    )


def _parse_lines(text: bytes, crlf: bool) -> _Loop:
    """The header loop of ``Message.pm new`` on ``text`` (LF line ends, cut after the
    first empty line): the fields, where the pristine text ends, whether a name or value
    was cut, whether the empty line was missing, and the defects."""
    # One piece per field: a line with the continuation lines that follow it (leading
    # continuation lines form the first piece, an empty-named field); an empty piece is
    # the empty line that ends the section. Each piece ended with an LF, but maybe the last.
    pieces = _FIELD_BREAK.split(text)
    if not pieces[-1]:
        pieces.pop()  # text ends with LF (else its last line has none: the end of input)
    fields: list[RawField] = []
    defects: list[str] = []
    truncated = False
    missing_separator = False
    pos = 0  # offset in text of the current piece
    errors = 0
    stop: int | None = None  # offset in text where the pristine text ends
    for piece in pieces:
        if not piece:
            stop = pos + 1  # the empty line ends the header section (and is kept)
            break
        if not piece.startswith((b" ", b"\t")):
            if piece.startswith(b"--"):
                missing_separator = True
                defects.append("header section ended by a MIME boundary line")
                stop = pos
                break
            # A colon only on a continuation line leaves an LF in the name: not a field.
            if not _is_field_start(piece):
                errors += 1
                if errors > 3:
                    missing_separator = True
                    defects.append("header section ended after 4 lines that are not fields")
                    stop = pos
                    break
        pos += len(piece) + 1
        truncated |= _store(piece, pos <= len(text), crlf, fields, defects)
    if stop is None:  # end of input before an empty line
        missing_separator = True
        stop = pos
    if missing_separator:
        defects.append("no empty line after the header section")
    return tuple(fields), stop, truncated, missing_separator, tuple(defects)


def _store(
    piece: bytes, ended: bool, crlf: bool, fields: list[RawField], defects: list[str]
) -> bool:
    """Split one field (LF line ends, the last one cut off; ``ended``: it had one) at its
    first colon and store it; True if its name or value was cut to the maximum length."""
    name, colon, value = piece.partition(b":")
    if not colon:
        header = piece + b"\n" if ended else piece
        shown = header.replace(b"\n", b"\r\n") if crlf else header
        defects.append(f"line without a colon dropped: {_show(shown[:40])}")
        return False
    if ended:
        value += b"\n"
    if crlf and b"\n" in name:
        name = name.replace(b"\n", b"\r\n")  # SpamAssassin's name keeps the CRLF
    name = name.rstrip(b" \t")  # trailing blanks ([ \t]+\Z) removed
    cut = False
    if len(name) > MAX_HEADER_KEY_LENGTH:
        name = name[:MAX_HEADER_KEY_LENGTH]
        cut = True
        defects.append("header name truncated to 256 bytes")
    if len(value) > MAX_HEADER_VALUE_LENGTH:
        value = value[:MAX_HEADER_VALUE_LENGTH]
        cut = True
        defects.append(f"value of {_show(name)} truncated to 8192 bytes")
    fields.append(RawField(name, value))
    return cut


def _show(b: bytes) -> str:
    return b.decode("latin-1").encode("unicode_escape").decode("ascii")
