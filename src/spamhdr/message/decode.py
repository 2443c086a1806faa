"""Raw header value → decoded value, exactly as SpamAssassin 4.0.1 builds it (sa-rules.md §5.2).

Input: the raw value of one field (everything after the colon, folds and final newline
kept) and the lower-cased field name. Output: the decoded value as UTF-8 octets, without the
trailing newline ``get_header`` adds. Invariants: pure, never raises, no regex without a
fixed bound on its input (values are capped at 8,192 bytes by the parser).

Steps (``Message/Node.pm header()`` then ``_decode_header``):

1. every ``\\n`` followed by spaces/tabs becomes one space; trailing, then leading
   whitespace is stripped;
2. remaining ``\\r?\\n`` are removed; 8-bit text is kept if strict UTF-8, else read as
   Windows-1252 (:func:`spamhdr.message.charset.normalize`);
3. RFC 2047 words are decoded anywhere in the value, except for the exempt fields
   (Bug 6945): whitespace between adjacent words is dropped, adjacent pieces with the same
   charset are joined before charset conversion (Bug 7249/7307).

:func:`decode_base64` and :func:`decode_qp` reproduce ``Util.pm base64_decode`` /
``qp_decode`` (sloppy input is decoded, never rejected).
"""

from __future__ import annotations

import functools
from typing import Final

import regex

from spamhdr.message.charset import normalize

__all__ = ["decode_base64", "decode_header_value", "decode_mime_words", "decode_qp", "unfold_value"]

# Node.pm _decode_header: these fields are never RFC 2047 decoded.
_EXEMPT = regex.compile(
    rb"^(?:received|(?:resent-)?(?:message-id|date)|mime-version|references|in-reply-to|list-.*)\Z",
    regex.S | regex.I,
)
_FOLD = regex.compile(rb"\n[ \t]+")
_NEWLINE = regex.compile(rb"\r?\n")
_WORD = rb"=\?[A-Za-z0-9*_-]+\?[bqBQ]\?[^?]*\?="
_WS_BETWEEN_WORDS = regex.compile(rb"(" + _WORD + rb")\s+(?=" + _WORD + rb")", regex.S)
_PIECE = regex.compile(rb"=\?([A-Za-z0-9*_-]+)\?([bqBQ])\?([^?]*)\?=|([^=]+|.)", regex.S)
_LANG_SUFFIX = regex.compile(rb"\*.*\Z", regex.S)
_QP_TRAILING_WS = regex.compile(rb"[ \t]+(?=\r?\n)")
_QP_SOFT_BREAK = regex.compile(rb"=\r?\n")
_QP_ESCAPE = regex.compile(rb"=([0-9a-fA-F]{2})")
_B64_WS = regex.compile(rb"\s+")
_B64_STRICT = regex.compile(rb"^(?:[A-Za-z0-9+/=]{2,}={0,2})$")
_B64_INNER_PAD = regex.compile(rb"(=+)(?!=*$)")
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64_ALPHABET)}
_EQ = 64
# Single bytes as int needles: for ``bytes in bytes`` CPython 3.11 first tries to read the
# needle as an int, raising and clearing a TypeError (~90 ns per test); an int needle is a
# plain memchr. These tests run on every decoded value.
_LF: Final = 0x0A
_EQUALS: Final = 0x3D


def unfold_value(raw: bytes) -> bytes:
    """Node.pm ``header()``: folds → one space, then strip (before charset/2047 decoding)."""
    value = _FOLD.sub(b" ", raw) if _LF in raw else raw
    # s/\s+$//; s/^\s+//: bytes.strip() removes exactly regex's \s bytes.
    return value.strip()


def decode_header_value(raw: bytes, lc_name: bytes) -> bytes:
    """The decoded value SpamAssassin stores for a field (no trailing newline).

    Args:
        raw: the raw value after the colon (LF line ends).
        lc_name: the field name, lower-cased (selects the RFC 2047 exemption).
    """
    # Fast path, same result: with no newline left after stripping, unfolding only
    # touches the stripped ends (``bytes.strip`` removes exactly regex's ``\s`` bytes);
    # pure ASCII needs no charset step, and without ``=?`` there is no RFC 2047 word.
    value = raw.strip()
    if (_EQUALS not in value or b"=?" not in value) and value.isascii():
        if _LF not in value:
            return value
        # Folded: unfolding the stripped value gives unfold_value's result (the folds
        # inside are the same, those at the ends are stripped either way; no LF-blank run
        # can end the stripped value). With no LF left, _decode_header changes nothing.
        value = _FOLD.sub(b" ", value)
        if _LF not in value:
            return value
    if len(raw) <= _MEMO_RAW_BYTES:
        return _decode_memo(raw, lc_name)
    return decode_mime_words(unfold_value(raw), lc_name)


#: Longer raw values are decoded without the memo (bounds its memory: ~2,048 entries of
#: at most 512 bytes).
_MEMO_RAW_BYTES = 512


@functools.lru_cache(maxsize=2048)
def _decode_memo(raw: bytes, lc_name: bytes) -> bytes:
    # Pure function of its arguments; encoded Subject/From values repeat across mail.
    return decode_mime_words(unfold_value(raw), lc_name)


def decode_mime_words(body: bytes, lc_name: bytes) -> bytes:
    """``Node.pm _decode_header``: CR/LF removal, UTF-8 normalisation, RFC 2047 words."""
    if not body:
        return b""
    if _LF in body:
        body = body.replace(b"\n\t", b"\n ")
        body = _NEWLINE.sub(b"", body)
    if not body.isascii():
        body = normalize(body, "UTF-8", insist=False)
    if _EXEMPT.match(lc_name) or _EQUALS not in body or b"=?" not in body:
        return body
    body = _WS_BETWEEN_WORDS.sub(rb"\1", body)
    sections: list[tuple[bytearray, bytes]] = []
    last = None
    for m in _PIECE.finditer(body):
        if m.group(1) is not None:
            charset = m.group(1).lower()
            text = _decode_word_payload(m.group(2), m.group(3))
        else:
            charset = b""
            text = m.group(4)
        if charset == last and sections:
            sections[-1][0].extend(text)
        else:
            sections.append((bytearray(text), charset))
        last = charset
    out = bytearray()
    for piece, charset in sections:
        label = _LANG_SUFFIX.sub(b"", charset)
        if not label:
            out += piece
        else:
            out += normalize(bytes(piece), label.decode("ascii"), insist=True)
    return bytes(out)


def _decode_word_payload(cte: bytes, data: bytes) -> bytes:
    if cte in (b"B", b"b"):
        return decode_base64(data)
    return decode_qp(data.replace(b"_", b"=20"))


def decode_qp(data: bytes) -> bytes:
    """``Util.pm qp_decode``: lenient quoted-printable (lower-case hex accepted)."""
    data = _QP_TRAILING_WS.sub(b"", data)
    data = _QP_SOFT_BREAK.sub(b"", data)
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def decode_base64(data: bytes) -> bytes:
    """``Util.pm base64_decode``: MIME::Base64 for clean input, a uudecode path otherwise."""
    data = _B64_WS.sub(b"", data)
    if len(data) % 4 == 0 and _B64_STRICT.match(data):
        data = _B64_INNER_PAD.sub(lambda m: b"A" * len(m.group(1)), data)
        return _mime_base64_decode(data)
    data = bytes(c for c in data if c in _B64_VALUE or c == 0x3D)
    data = data.rstrip(b"=")
    if len(data) % 4 == 1:
        data = data[:-1]
    out = bytearray()
    while data:
        chunk, data = data[:84], data[84:]
        out += _uudecode_chunk(chunk, len(chunk) * 3 // 4)
    return bytes(out)


def _mime_base64_decode(data: bytes) -> bytes:
    # MIME::Base64's XS decoder: groups of four significant characters, '=' ends the data,
    # a short final group is padded.
    values = [_B64_VALUE.get(c, _EQ if c == 0x3D else -1) for c in data]
    values = [v for v in values if v >= 0]
    out = bytearray()
    i, n = 0, len(values)
    while i < n:
        group = values[i : i + 4]
        i += 4
        if len(group) < 4:
            if len(group) < 2:
                break
            group = group + [_EQ] * (4 - len(group))
        c0, c1, c2, c3 = group
        if c0 == _EQ or c1 == _EQ:
            break
        out.append(((c0 << 2) | ((c1 & 0x30) >> 4)) & 0xFF)
        if c2 == _EQ:
            break
        out.append((((c1 & 0x0F) << 4) | ((c2 & 0x3C) >> 2)) & 0xFF)
        if c3 == _EQ:
            break
        out.append((((c2 & 0x03) << 6) | c3) & 0xFF)
    return bytes(out)


def _uudecode_chunk(chunk: bytes, length: int) -> bytes:
    # Util.pm translates the base64 alphabet (and a stray '=') to uuencode characters and
    # calls unpack("u"); each character then carries its base64 value ('=' counts as 63).
    values = [_B64_VALUE.get(c, 63) for c in chunk]
    out = bytearray()
    i = 0
    while len(out) < length:
        quad = values[i : i + 4] + [0] * (4 - len(values[i : i + 4]))
        i += 4
        hunk = (quad[0] << 18) | (quad[1] << 12) | (quad[2] << 6) | quad[3]
        out += bytes(((hunk >> 16) & 0xFF, (hunk >> 8) & 0xFF, hunk & 0xFF))
    return bytes(out[:length])
