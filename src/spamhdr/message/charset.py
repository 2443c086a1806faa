"""Octets in some charset → UTF-8 octets, the way SpamAssassin 4.0.1 normalises them.

Input: bytes plus the declared charset label. Output: UTF-8 bytes (or the input unchanged
when SpamAssassin leaves it alone). Invariants: pure function, never raises; ASCII-only
input with an ASCII-compatible label comes back unchanged.

Ground truth: ``Message/Node.pm _normalize`` with ``Encode::Detect::Detector`` absent (as on
the reference machine, sa-rules.md header). Header decoding uses two call shapes only:

* ``normalize(value, "UTF-8", insist=False)`` for a raw header body with 8-bit bytes: kept if
  it is strict UTF-8, else decoded as Windows-1252 (the "guess" branch and the last-resort
  branch both end there when no detector is installed);
* ``normalize(text, charset, insist=True)`` for the payload of RFC 2047 encoded words: decoded
  with the declared charset, malformed bytes replaced by U+FFFD (Perl's ``FB_DEFAULT``).
"""

from __future__ import annotations

import codecs

import regex

from spamhdr.message._charset_overrides import PERL_DECODE_OVERRIDES
from spamhdr.message._charsets import PERL_ENCODING_OF_LABEL, PYTHON_CODEC_OF_PERL_ENCODING

__all__ = ["decode_perl_strict_utf8", "is_perl_strict_utf8", "normalize"]

# Node.pm _normalize: labels for which all-ASCII data is returned untouched.
_ASCII_LABEL = regex.compile(
    r"^(?:(?:US-)?ASCII|ANSI[_ ]?X3\.4-(?:1986|1968)|ISO646-US)\Z", regex.I
)
_EXTENDED_ASCII_LABEL = regex.compile(
    r"^(?:ISO[ -]?8859(?:-\d{1,2})?|Windows-\d{4}|UTF-?8|(?:KOI8|EUC)-[A-Z]{1,2}"
    r"|Big5|GBK|GB[ -]?18030(?:-20\d\d)?)\Z",
    regex.I,
)
_W1252_LABEL = regex.compile(r"^(?:ISO-?8859-1|Windows-1252|CP1252)\Z", regex.I)
_UTF8_LABEL = regex.compile(r"^UTF-?8\Z", regex.I)
_US_ASCII_LABEL = regex.compile(r"^(?:US-)?ASCII\Z", regex.I)
_UTF16_LABEL = regex.compile(r"^UTF[ -]?16", regex.I)
_GB18030_LABEL = regex.compile(r"^GB[ -]?18030(?:-20\d\d)?\Z", regex.I)
# Bug 7656: bytes that make SpamAssassin guess Windows-1252 (ASCII, NBSP, (c), SHY, some
# punctuation and Latin-1 letters).
_W1252_GUESS_BYTES = frozenset(
    [
        *range(0x00, 0x80),
        0xA0,
        0xA9,
        0xAD,
        0x82,
        0x84,
        0x85,
        *range(0x91, 0x98),
        0x99,
        *range(0xC0, 0xD7),
        *range(0xD8, 0xDF),
        *range(0xE0, 0xF7),
        *range(0xF8, 0xFF),
    ]
)
_MULTIBYTE = frozenset(
    {
        "shift_jis",
        "cp932",
        "euc_jp",
        "gb2312",
        "gbk",
        "big5",
        "big5hkscs",
        "cp949",
        "cp950",
        "euc_kr",
        "johab",
        "hz",
        "iso2022_jp",
        "iso2022_jp_1",
        "iso2022_kr",
    }
)


_STOP_AT_ERROR = frozenset({"iso2022_jp", "iso2022_jp_1", "hz"})


def _utf8_length(lead: int) -> int:
    # Perl's UTF-8 lead-byte classes, including the 5- and 6-byte forms it still recognises
    # as one (malformed) sequence.
    if lead < 0xE0:
        return 2
    if lead < 0xF0:
        return 3
    if lead < 0xF8:
        return 4
    if lead < 0xFC:
        return 5
    if lead < 0xFE:
        return 6
    return 7


def _is_bad_code_point(cp: int, length: int) -> bool:
    minimum = (0, 0, 0x80, 0x800, 0x10000, 0x200000, 0x4000000, 0x80000000)[length]
    return (
        cp < minimum
        or cp > 0x10FFFF
        or 0xD800 <= cp <= 0xDFFF
        or 0xFDD0 <= cp <= 0xFDEF
        or (cp & 0xFFFE) == 0xFFFE
    )


def decode_perl_strict_utf8(data: bytes) -> tuple[str, bool]:
    """Decode like Perl's ``Encode`` "UTF-8" (strict) without croaking.

    Returns:
        The text (each malformed sequence, surrogate, non-character or code point above
        U+10FFFF replaced by one U+FFFD, as Encode does) and whether the input was valid.
    """
    out: list[str] = []
    valid = True
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            out.append(chr(b))
            i += 1
            continue
        if b < 0xC0:
            out.append("\ufffd")
            valid = False
            i += 1
            continue
        length = _utf8_length(b)
        j = i + 1
        cp = b & (0x7F >> length) if length < 7 else 0
        while j < n and j - i < length and 0x80 <= data[j] < 0xC0:
            cp = (cp << 6) | (data[j] & 0x3F)
            j += 1
        if j - i < length or _is_bad_code_point(cp, length):
            out.append("\ufffd")
            valid = False
        else:
            out.append(chr(cp))
        i = j
    return "".join(out), valid


def is_perl_strict_utf8(data: bytes) -> bool:
    """True if Perl's strict UTF-8 decoder accepts ``data`` (no non-characters either)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if text.isascii():
        return True
    return decode_perl_strict_utf8(data)[1]


def _decode_w1252(data: bytes) -> str:
    # Perl's cp1252 leaves 0x81 0x8D 0x8F 0x90 0x9D unassigned → U+FFFD, as Python does.
    return data.decode("cp1252", "replace")


def _decode_declared(data: bytes, perl_name: str) -> str | None:
    if perl_name == "utf-8-strict":
        return decode_perl_strict_utf8(data)[0]
    codec = PYTHON_CODEC_OF_PERL_ENCODING.get(perl_name)
    if codec is None:
        return None
    if codec in _STOP_AT_ERROR:
        # Encode's ISO-2022-JP and HZ decoders stop at the first invalid byte and drop the
        # rest (verified with Encode 3.17: "ab\xc3\xbccd" -> "ab").
        try:
            return data.decode(codec)
        except UnicodeDecodeError as exc:
            return codecs.getincrementaldecoder(codec)("ignore").decode(
                data[: exc.start], final=False
            )
    overrides = PERL_DECODE_OVERRIDES.get(perl_name)
    if overrides is not None:
        return _decode_with_overrides(data, codec, overrides)
    if codec in _MULTIBYTE:
        # Encode drops an incomplete character at the very end instead of replacing it, but
        # a trailing byte that cannot start a character still becomes U+FFFD.
        decoder = codecs.getincrementaldecoder(codec)("replace")
        text = decoder.decode(data, final=False)
        pending = decoder.getstate()[0]
        if pending and not _is_char_prefix(pending, codec):
            text += pending.decode(codec, "replace")
        return text
    return data.decode(codec, "replace")


def _detect_utf16(data: bytes) -> str | None:
    """``Node.pm detect_utf16`` (Bug 7252): guess UTF-16 endianness without a BOM."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None  # SpamAssassin leaves BOM handling to Perl, which then has no decoder
    le_clues = be_clues = 0
    sum_even = sum_odd = 0
    for i in range(0, len(data), 2):
        a = data[i]
        b = data[i + 1] if i + 1 < len(data) else 0
        sum_even += (a >> 4) + (a & 15)
        sum_odd += (b >> 4) + (b & 15)
        pair = f"{a:02X} {b:02X}"
        if "20 00" in pair:
            le_clues += 1
        if "00 20" in pair:
            be_clues += 1
    if sum_even > sum_odd * 4:
        le_clues += 1
    if sum_odd * 4 > sum_even:
        be_clues += 1
    if le_clues > be_clues:
        return "utf_16_le"
    if be_clues > le_clues:
        return "utf_16_be"
    return None


def normalize(data: bytes, declared: str, insist: bool) -> bytes:
    """Return ``data`` as UTF-8 octets following ``Node.pm _normalize(data, declared, 0, insist)``.

    Args:
        data: the octets.
        declared: the declared charset label (case as written).
        insist: SpamAssassin's ``insist_on_declared_charset`` (true for RFC 2047 words).

    Returns:
        UTF-8 bytes, or ``data`` itself where SpamAssassin returns it unchanged.
    """
    has_8bit = not data.isascii()
    if not has_8bit and (_ASCII_LABEL.match(declared) or _EXTENDED_ASCII_LABEL.match(declared)):
        return data
    text: str | None = None
    tried_utf8 = False
    if has_8bit and not insist:
        if is_perl_strict_utf8(data):
            return data
        tried_utf8 = True
    if _US_ASCII_LABEL.match(declared) and not insist:
        pass
    elif _UTF16_LABEL.match(declared):
        codec = _detect_utf16(data)
        if codec is not None:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                text = None
    else:
        perl_name: str | None
        if _W1252_LABEL.match(declared):
            perl_name = "cp1252"
        elif _UTF8_LABEL.match(declared):
            perl_name = "utf-8-strict"
        else:
            perl_name = PERL_ENCODING_OF_LABEL.get(declared.lower())
            if perl_name is None and _GB18030_LABEL.match(declared):
                perl_name = "cp936"
        if perl_name is not None and not (tried_utf8 and perl_name == "utf-8-strict"):
            decode = _decode_declared if insist else _decode_strict
            text = decode(data, perl_name)
    if text is None and not has_8bit:
        return data
    if text is None and all(b in _W1252_GUESS_BYTES for b in data):
        text = _decode_w1252(data)
    if text is None:
        text = _decode_w1252(data)
    return text.encode("utf-8", "surrogatepass")


def _decode_with_overrides(data: bytes, codec: str, overrides: dict[bytes, int]) -> str:
    """Decode one character at a time, using Perl's mapping where it differs from Python's
    (:mod:`._charset_overrides`): a two-byte character if the pair decodes, else one byte,
    else U+FFFD; a valid lead byte cut off at the end is dropped, as Encode does."""
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            out.append(chr(b))
            i += 1
            continue
        if b == 0x8F and codec == "euc_jp" and i + 2 < n:
            # JIS X 0212 three-byte characters (not in the two-byte override table)
            try:
                out.append(data[i : i + 3].decode(codec))
                i += 3
                continue
            except UnicodeDecodeError:
                pass
        pair = data[i : i + 2]
        if len(pair) == 2:
            cp = overrides.get(pair)
            if cp is not None and cp >= 0:
                out.append(chr(cp))
                i += 2
                continue
            if cp is None:
                try:
                    text = pair.decode(codec)
                except UnicodeDecodeError:
                    text = ""
                if len(text) == 1:
                    out.append(text)
                    i += 2
                    continue
        single = data[i : i + 1]
        cp = overrides.get(single)
        if cp is not None:
            out.append(chr(cp) if cp >= 0 else "\ufffd")
        else:
            try:
                out.append(single.decode(codec))
            except UnicodeDecodeError:
                if i + 1 == n and _is_char_prefix(single, codec):
                    break
                out.append("\ufffd")
        i += 1
    return "".join(out)


def _is_char_prefix(pending: bytes, codec: str) -> bool:
    """True if some next byte would make ``pending`` a (longer) valid character."""
    for nxt in range(0x21, 0x100):
        try:
            (pending + bytes((nxt,))).decode(codec)
        except UnicodeDecodeError as exc:
            if exc.start == 0 and exc.reason == "incomplete multibyte sequence":
                return True
            continue
        return True
    return False


def _decode_strict(data: bytes, perl_name: str) -> str | None:
    codec = PYTHON_CODEC_OF_PERL_ENCODING.get(perl_name)
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None
