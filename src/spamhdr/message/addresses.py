"""Header value → (phrase, address) pairs, as ``Util.pm parse_header_addresses`` finds them.

Input: one header value (raw for ordinary headers, decoded for ``ToCc``). Output: a tuple of
:class:`ParsedAddress`. Invariants: pure, never raises; the results are what the ``:addr`` /
``:name`` modifiers build on (sa-rules.md §5.5 item 2).

SpamAssassin 4.0.1 runs its own relaxed parser first. ``Email::Address::XS`` (installed on
the reference machine) is consulted only when the relaxed parser found nothing or fewer
results than commas + 1, and its results are used only when there are more of them. (The
"nested comments" trigger in ``parse_header_addresses`` tests ``scalar($str =~ /\\(/) >= 2``,
a boolean, so it never fires.) The XS fallback is in :mod:`spamhdr.message.addresses_xs`.
"""

from __future__ import annotations

import functools
import re
from typing import Final

import regex

from spamhdr.message._record import Record
from spamhdr.message.hosts import idn_to_ascii, is_fqdn_valid

__all__ = ["ParsedAddress", "parse_header_addresses"]


class ParsedAddress(Record):
    """One address found in a header value (``phrase``/``address`` may be absent); a
    :class:`~spamhdr.message._record.Record`, made per message."""

    __slots__ = ("address", "phrase")
    FIELDS = ("phrase", "address")

    def __init__(self, phrase: bytes | None, address: bytes | None) -> None:
        self.phrase: Final = phrase
        self.address: Final = address

    def field_values(self) -> tuple[object, ...]:
        return (self.phrase, self.address)


# Util.pm $header_address_mailre: quoted or unquoted local part, '@', domain or [literal].
_MAIL = (
    rb'(?:"(?:|(?:[^"\\]++|\\.)*+)"|[^\@\s\<\>\(\)\[\]\,\:\;]+)'
    rb"\@(?:[^\"\s\<\>\(\)\[\]\,\:\;]+|\[[\d:.]+\])"
)
_QUOTED = rb'"(?:|(?:[^"\\]++|\\.)*+)"'
# Util.pm $header_address_re (flags /ix; no /s, so '.' does not match a newline).
_ADDRESS = regex.compile(
    rb"^\s*(?:"
    rb"(?:((?:" + _QUOTED + rb'|[^",;<]++)+)\s*)?'
    rb"<\s*([^>\@]*\S+|\s*)\s*>"
    rb"(?:\s*<\s*(?:(?:" + _QUOTED + rb")?\S+|\s*)\s*>)*"
    rb"|"
    rb"(?:(" + _MAIL + rb")|((?:" + _QUOTED + rb'|[^",;<]++)+))'
    rb")"
    rb"(?:\s*\(((?:|(?:[^()\\]++|\\.)*+))\))?"
    rb"\s*(?:[,;]|\Z)",
    regex.I,
)
_MAIL_EXACT = regex.compile(rb"^" + _MAIL + rb"$", regex.I)
_MAIL_IN_ANGLES = regex.compile(rb"<(" + _MAIL + rb")>", regex.I | regex.S)
_GROUP = regex.compile(rb'^[^"()<>]+:\s*(.*?)\s*(?:;.*)?', regex.S)
_COMMENT = regex.compile(rb"\((?:|(?:[^()\\]++|\\.)*+)\)", regex.S)
_PHRASE_PART = regex.compile(rb'(?:"(|(?:[^"\\]++|\\.)*+)"|([^"]++))', regex.I | regex.S)
_SINGLE_BACKSLASH = regex.compile(rb"\\(?!\\)")
_ADDR_CUT = regex.compile(rb"^(([^\@]*)\@([^\@]*)).*")
_HOST_OF_PHRASE = regex.compile(rb"^[^\@]*\@([^\@]*)")
# The commonest values, one plain address with or without angle brackets, or a display
# name then the address in angles: ASCII letters, digits and ._+=- around one '@'; the
# name quoted without backslash, comma or line break, or unquoted without the bytes that
# mean something to the relaxed parser. Fixed, linear: the standard library's engine.
_PLAIN_ADDRESS = rb"[A-Za-z0-9._+=-]+@[A-Za-z0-9.-]+"
_SIMPLE_ADDRESS = re.compile(rb"<(" + _PLAIN_ADDRESS + rb")>|(" + _PLAIN_ADDRESS + rb")")
_NAMED_ADDRESS = re.compile(
    rb'(?:"([^"\\,\r\n]+)"|([^\x00-\x20"\\,;<>()@:\[\]\x7f][^\x00-\x1f"\\,;<>()@:\[\]\x7f]*))'
    rb"( *)<(" + _PLAIN_ADDRESS + rb")>"
)


def _valid_parsed_address(addr: bytes | None) -> bool:
    return addr is not None and not addr.startswith(b'""@') and addr.count(b'"') != 1


def _cut_address(addr: bytes) -> bytes:
    # s/^(([^\@]*)\@([^\@]*)).*/$1/ — drops junk after a second '@' (up to a newline);
    # with at most one '@' the match is all of addr, or there is none: nothing changes.
    if addr.count(b"@") < 2:
        return addr
    return _ADDR_CUT.sub(rb"\1", addr, count=1)


def _clean_phrase(phrase: bytes) -> bytes | None:
    if b'"' not in phrase:  # one unquoted part, or none at all when phrase is empty
        if not phrase:
            return None
        return _COMMENT.sub(b"", phrase) if b"(" in phrase else phrase
    parts: list[bytes] = []
    found = False
    for m in _PHRASE_PART.finditer(phrase):
        found = True
        quoted, plain = m.group(1), m.group(2)
        # (The substitutions only when their literal is there: same result, less work.)
        if quoted is not None:
            if b"\\" in quoted:
                quoted = _SINGLE_BACKSLASH.sub(b"", quoted).replace(b"\\\\", b"\\")
            parts.append(quoted)
        else:
            parts.append(_COMMENT.sub(b"", plain) if b"(" in plain else plain)
    return b"".join(parts) if found else None


def _parse_internal(value: bytes) -> list[ParsedAddress]:
    # s/\s+\Z//: bytes.rstrip() removes exactly regex's \s bytes.
    text = value.rstrip().replace(b"\\\\", b"")
    if b":" in text:  # a group "name: a, b;" (the pattern needs the colon)
        group = _GROUP.match(text)
        if group is not None:
            text = group.group(1) + text[group.end() :]
    if not text.strip(b" \t\n\r\f\v"):
        return []
    results: list[ParsedAddress] = []
    while True:
        m = _ADDRESS.match(text)
        if m is None:
            break
        text = text[m.end() :]
        phrase = m.group(1) if m.group(1) is not None else m.group(4)
        address = m.group(2) if m.group(2) is not None else m.group(3)
        comment = m.group(5)
        if m.group(2) is not None and address is not None:
            if b"(" in address:
                address = _COMMENT.sub(b"", address)
            if not _MAIL_EXACT.match(address):
                address = None
        if not _valid_parsed_address(address):
            address = None
        if phrase is not None:
            cleaned = _clean_phrase(phrase)
            if (
                address is None
                and cleaned is not None
                and _MAIL_EXACT.match(cleaned)
                and _valid_parsed_address(cleaned)
                and (host := _HOST_OF_PHRASE.match(cleaned)) is not None
                and is_fqdn_valid(idn_to_ascii(host.group(1)))
            ):
                address, phrase = cleaned, None
            elif cleaned is None or cleaned == b"" or (address is not None and cleaned == address):
                phrase = None
            else:
                phrase = cleaned
        if phrase is None and comment is not None:
            phrase = comment
        if address is not None:
            address = _cut_address(address)
        results.append(ParsedAddress(phrase, address))
        if not text:
            break
    if b"@" in text:
        for m in _MAIL_IN_ANGLES.finditer(text):
            found = m.group(1)
            if _valid_parsed_address(found):
                results.append(ParsedAddress(None, _cut_address(found)))
    return results


def parse_header_addresses(value: bytes) -> tuple[ParsedAddress, ...]:
    """``Util.pm parse_header_addresses`` with Email::Address::XS installed.

    Args:
        value: the header value (as ``PMS _get`` passes it).

    Returns:
        The parsed addresses, possibly empty.
    """
    # A pure function of the value, and address headers repeat across mail (list
    # senders, recipients): short values are memoized, bounded (~2,048 x 512 bytes).
    if len(value) <= _MEMO_VALUE_BYTES:
        return _parse_memo(value)
    return _parse_header_addresses(value)


_MEMO_VALUE_BYTES = 512


@functools.lru_cache(maxsize=2048)
def _parse_memo(value: bytes) -> tuple[ParsedAddress, ...]:
    return _parse_header_addresses(value)


def _parse_header_addresses(value: bytes) -> tuple[ParsedAddress, ...]:
    stripped = value.strip()
    if not stripped:
        return ()
    simple = _SIMPLE_ADDRESS.fullmatch(stripped)
    if simple is not None:
        # "a@b" or "<a@b>", nothing else: $header_address_re takes it whole (as the bare
        # mail address or as the part in angles), the checks all pass and one address is
        # one more than its zero commas, so the XS parser is not consulted.
        return (ParsedAddress(None, simple.group(1) or simple.group(2)),)
    named = _NAMED_ADDRESS.fullmatch(stripped)
    if named is not None:
        # 'Name <a@b>' / '"Name" <a@b>': the phrase is everything before '<' (blanks
        # included), without the quotes; no comment, group or backslash to clean, no
        # comma; the phrase is dropped only when it equals the address.
        address = named.group(4)
        phrase = (named.group(1) or named.group(2)) + named.group(3)
        return (ParsedAddress(phrase if phrase != address else None, address),)
    return _parse_general(value)


def _parse_general(value: bytes) -> tuple[ParsedAddress, ...]:
    results = _parse_internal(value)
    if not results or len(results) < value.count(b",") + 1:
        from spamhdr.message.addresses_xs import parse_addresses_xs

        xs = parse_addresses_xs(value)
        if len(xs) > len(results):
            return xs
    return tuple(results)
