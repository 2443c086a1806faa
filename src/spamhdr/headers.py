"""Header block → ordered ``(name, value)`` fields, with the raw text kept.

Input: the bytes of a message (or of a bare header block). Output: a :class:`HeaderBlock`,
an ordered tuple of :class:`HeaderField` plus recorded defects. Invariants: fields keep
their order and duplicates (STYLE.md point 6); every field keeps its raw bytes exactly as
they appeared, so the block can be rendered back byte for byte; parsing never raises for
any ``bytes`` input.

This is the general-purpose reader used by the report parser and the delivery simulator.
The string a SpamAssassin rule sees is built from the same fields by ``spamhdr.message``,
which adds SpamAssassin's own quirks on top.
"""

from __future__ import annotations

import email.errors
import email.header
from collections.abc import Iterator
from dataclasses import dataclass

import regex

__all__ = [
    "HeaderBlock",
    "HeaderField",
    "decode_words",
    "parse_header_block",
    "split_message",
    "unfold",
]

# A field name is any run of printable ASCII but ':' (RFC 5322 §3.6.8). Real mail also has
# names with trailing spaces before the colon ("Subject : x"); we accept and strip them.
_FIELD_LINE = regex.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_END_OF_BLOCK = regex.compile(rb"\r?\n\r?\n")
_FOLD = regex.compile(r"\r?\n(?=[ \t])")
_ENCODED_WORD = regex.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


@dataclass(frozen=True, slots=True)
class HeaderField:
    """One header field as it appeared in the message.

    Attributes:
        name: the field name as written (case kept; compare with :meth:`is_named`).
        raw: the value bytes after the colon, folding and line ends kept, final newline cut.
        line: 1-based line number of the field's first line in the message.
    """

    name: str
    raw: bytes
    line: int

    def is_named(self, name: str) -> bool:
        """Case-insensitive name comparison (RFC 5322 field names are case-insensitive)."""
        return self.name.lower() == name.lower()

    @property
    def text(self) -> str:
        """The raw value as text: UTF-8, undecodable bytes replaced, CRLF made LF."""
        return self.raw.decode("utf-8", "replace").replace("\r\n", "\n")

    @property
    def value(self) -> str:
        """The value unfolded (RFC 5322 §2.2.3: line breaks removed, WSP kept), stripped."""
        return unfold(self.text).strip()


@dataclass(frozen=True, slots=True)
class HeaderBlock:
    """An ordered header block.

    Attributes:
        fields: the fields in message order, duplicates kept.
        defects: recoverable problems found while reading, in order.
        body_offset: index in the input where the body starts (len(input) if none).
        mbox_from: the mbox ``From `` separator line, when the input started with one.
    """

    fields: tuple[HeaderField, ...]
    defects: tuple[str, ...] = ()
    body_offset: int = 0
    mbox_from: str | None = None

    def __iter__(self) -> Iterator[HeaderField]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def get_all(self, name: str) -> tuple[HeaderField, ...]:
        """Every field called ``name`` (case-insensitive), in message order."""
        wanted = name.lower()
        return tuple(f for f in self.fields if f.name.lower() == wanted)

    def first(self, name: str) -> HeaderField | None:
        """The topmost field called ``name``, or None."""
        wanted = name.lower()
        for field in self.fields:
            if field.name.lower() == wanted:
                return field
        return None


def unfold(text: str) -> str:
    """Remove the line breaks of folded header text, keeping the whitespace after them."""
    return _FOLD.sub("", text)


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words; text that is not valid encoded-word stays as it is."""
    if "=?" not in text or not _ENCODED_WORD.search(text):
        return text
    try:
        parts = email.header.decode_header(text)
        return str(email.header.make_header(parts))
    except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
        return text


def split_message(data: bytes) -> tuple[bytes, bytes]:
    """Split a message at the first empty line: (header block, body).

    The header block keeps its last line end; the separator line itself belongs to neither.
    A message with no empty line is all header.
    """
    found = _END_OF_BLOCK.search(data)
    if found is None:
        return data, b""
    head_end = found.start() + (2 if data[found.start()] == 0x0D else 1)
    return data[:head_end], data[found.end() :]


def _iter_lines(data: bytes) -> Iterator[bytes]:
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        if end < 0:
            yield data[start:]
            return
        yield data[start : end + 1]
        start = end + 1


def parse_header_block(data: bytes | str, *, max_bytes: int | None = None) -> HeaderBlock:
    """Read a header block into ordered fields.

    Grammar (RFC 5322 §2.2, with the leniencies real mail needs)::

        block  = [mbox-from] *field [CRLF body]
        field  = name *WSP ":" value *(CRLF WSP continuation)

    A leading mbox ``From `` line is recorded, not treated as a field. A line that is
    neither a field nor a continuation ends nothing: it is recorded as a defect and
    skipped, as mail user agents do. Parsing stops at the first empty line.

    Args:
        data: a whole message or just its header block; ``str`` is encoded as UTF-8.
        max_bytes: read at most this many bytes of header; the rest is a defect.

    Returns:
        the fields in order, with defects and the body offset.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    defects: list[str] = []
    fields: list[HeaderField] = []
    mbox_from: str | None = None
    offset = 0
    line_no = 0
    if data.startswith(b"\xef\xbb\xbf"):
        defects.append("byte order mark before the first header ignored")
        offset = 3
    current_name: str | None = None
    current_raw: list[bytes] = []
    current_line = 0

    def flush() -> None:
        if current_name is not None:
            raw = b"".join(current_raw)
            if raw.endswith(b"\n"):
                raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
            fields.append(HeaderField(current_name, raw, current_line))

    body_offset = len(data)
    for line in _iter_lines(data[offset:]):
        line_no += 1
        line_start = offset
        offset += len(line)
        if max_bytes is not None and line_start >= max_bytes:
            defects.append(f"header block longer than {max_bytes} bytes; the rest was ignored")
            body_offset = line_start
            break
        if line in (b"\n", b"\r\n"):
            body_offset = offset
            break
        if line_no == 1 and line.startswith(b"From "):
            mbox_from = line.rstrip(b"\r\n").decode("utf-8", "replace")
            continue
        if line[:1] in (b" ", b"\t"):
            if current_name is None:
                defects.append(f"line {line_no}: continuation line before any header field")
            else:
                current_raw.append(line)
            continue
        match = _FIELD_LINE.match(line)
        if match is None:
            flush()
            current_name = None
            shown = line.rstrip(b"\r\n")[:60].decode("utf-8", "replace")
            defects.append(f"line {line_no}: not a header field: {shown!r}")
            continue
        flush()
        current_name = match.group(1).decode("ascii")
        value = line[match.end() :]
        # One space after the colon is the separator, not part of the value.
        if value[:1] == b" ":
            value = value[1:]
        current_raw = [value]
        current_line = line_no
    flush()
    return HeaderBlock(tuple(fields), tuple(defects), body_offset, mbox_from)
