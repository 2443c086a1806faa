"""Header value → addresses, as ``Email::Address::XS`` 1.05 parses them for SpamAssassin.

Input: one header value (bytes). Output: :class:`~spamhdr.message.addresses.ParsedAddress`
tuples, post-processed like ``Util.pm _parse_header_addresses_xs``. Invariants: pure,
never raises, linear in the input.

Email::Address::XS wraps Dovecot's RFC 5322 address parser (``message_address_parse``,
``fill_missing`` off). This module is an independent re-implementation of that grammar:
groups, name-addr with obsolete routes, addr-spec, quoted strings with folding, nested
comments (the last comment seen is kept), and its recovery rules (what was read of a broken
``<...>`` is kept; an addr-spec without ``@`` becomes a display name; Dovecot 2.3.14, as in
Email::Address::XS 1.05). SpamAssassin only asks this parser when its own found fewer
addresses than commas + 1 (see :mod:`.addresses`).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from spamhdr.message.addresses import ParsedAddress
from spamhdr.message.hosts import idn_to_ascii, is_fqdn_valid

__all__ = ["parse_addresses_xs"]

# RFC 5322 atext (Dovecot's rfc822_atext_chars): printable ASCII except specials, plus
# every byte >= 0x80.
_ATEXT = frozenset(
    b"!#$%&'*+-/=?^_`{|}~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
) | frozenset(range(0x80, 0x100))
_LWSP = frozenset(b" \t\r\n")
_ESCAPED = frozenset(b'"\\')
_PHRASE_EMAIL = regex.compile(rb"^([^\s\@]+)\@([^\s\@]+)$")


@dataclass(slots=True)
class _Addr:
    name: bytes | None = None
    route: bytes | None = None
    mailbox: bytes | None = None
    domain: bytes | None = None
    comment: bytes | None = None
    invalid: bool = False


class _Parser:
    """Dovecot's rfc822 token reader. Methods return 1 (more data), 0 (end), -1 (invalid)."""

    __slots__ = ("addrs", "cur", "data", "last_comment", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.last_comment = bytearray()
        self.addrs: list[_Addr] = []
        self.cur = _Addr()

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def peek(self) -> int:
        return self.data[self.pos] if self.pos < len(self.data) else -1

    def more(self) -> int:
        return 0 if self.at_end() else 1

    def skip_comment(self) -> int:
        self.last_comment.clear()
        level = 1
        self.pos += 1
        start = self.pos
        n = len(self.data)
        while self.pos < n:
            c = self.data[self.pos]
            if c == 0x28:
                level += 1
            elif c == 0x29:
                level -= 1
                if level == 0:
                    self.last_comment += self.data[start : self.pos]
                    self.pos += 1
                    return self.more()
            elif c == 0x5C:
                self.last_comment += self.data[start : self.pos]
                start = self.pos + 1
                self.pos += 1
                if self.pos >= n:
                    return -1
            self.pos += 1
        return -1

    def skip_lwsp(self) -> int:
        while self.pos < len(self.data):
            c = self.data[self.pos]
            if c in _LWSP:
                self.pos += 1
                continue
            if c != 0x28:
                break
            if self.skip_comment() < 0:
                return -1
        return self.more()

    def dot_atom(self, out: bytearray) -> int:
        # obs-local-part/obs-domain: blanks around dots allowed; "a..b" and "a." accepted
        if self.at_end() or self.data[self.pos] not in _ATEXT:
            return -1
        start = self.pos
        self.pos += 1
        while self.pos < len(self.data):
            if self.data[self.pos] in _ATEXT:
                self.pos += 1
                continue
            out += self.data[start : self.pos]
            ret = self.skip_lwsp()
            if ret <= 0:
                return ret
            if self.data[self.pos] != 0x2E:
                return 1
            self.pos += 1
            out += b"."
            ret = self.skip_lwsp()
            if ret <= 0:
                return ret
            start = self.pos
        out += self.data[start : self.pos]
        return 0

    def quoted_string(self, out: bytearray) -> int:
        self.pos += 1
        start = self.pos
        n = len(self.data)
        while self.pos < n:
            c = self.data[self.pos]
            if c == 0x22:
                out += self.data[start : self.pos]
                self.pos += 1
                return self.skip_lwsp()
            if c == 0x0A:
                end = self.pos
                if end > start and self.data[end - 1] == 0x0D:
                    end -= 1
                out += self.data[start:end]
                start = self.pos + 1
            elif c == 0x5C:
                self.pos += 1
                if self.pos >= n:
                    return -1
                out += self.data[start : self.pos - 1]
                start = self.pos
            self.pos += 1
        return -1

    def atom_or_dot(self, out: bytearray) -> int:
        start = self.pos
        while self.pos < len(self.data):
            c = self.data[self.pos]
            if c in _ATEXT or c == 0x2E:
                self.pos += 1
                continue
            out += self.data[start : self.pos]
            return self.skip_lwsp()
        out += self.data[start : self.pos]
        return 0

    def phrase(self, out: bytearray) -> int:
        if self.at_end():
            return 0
        if self.data[self.pos] == 0x2E:
            return -1
        while True:
            quoted = self.data[self.pos] == 0x22
            ret = self.quoted_string(out) if quoted else self.atom_or_dot(out)
            if ret <= 0:
                return ret
            c = self.data[self.pos]
            if c not in _ATEXT and c != 0x22 and c != 0x2E:
                break
            out += b" "
        return self.skip_lwsp()

    def domain_literal(self, out: bytearray) -> int:
        start = self.pos
        n = len(self.data)
        while self.pos < n:
            c = self.data[self.pos]
            if c == 0x5C:
                self.pos += 1
                if self.pos >= n:
                    break
            elif c == 0x5D:
                self.pos += 1
                out += self.data[start : self.pos]
                return self.skip_lwsp()
            self.pos += 1
        return -1

    def domain(self, out: bytearray) -> int:
        self.pos += 1  # '@'
        if self.skip_lwsp() <= 0:
            return -1
        if self.data[self.pos] == 0x5B:
            return self.domain_literal(out)
        return self.dot_atom(out)

    # -- addresses --------------------------------------------------------------------------

    def local_part(self) -> int:
        out = bytearray()
        ret = self.quoted_string(out) if self.peek() == 0x22 else self.dot_atom(out)
        if ret < 0:
            return -1
        self.cur.mailbox = bytes(out)
        return ret

    def parse_domain(self) -> int:
        out = bytearray()
        ret = self.domain(out)
        if ret < 0:
            return -1
        self.cur.domain = bytes(out)
        return ret

    def domain_list(self) -> int:
        out = bytearray()
        while True:
            if self.at_end():
                return 0
            if self.data[self.pos] != 0x40:
                break
            if out:
                out += b","
            out += b"@"
            ret = self.domain(out)
            if ret <= 0:
                return ret
            while self.skip_lwsp() > 0 and self.data[self.pos] == 0x2C:
                self.pos += 1
        self.cur.route = bytes(out)
        return 1

    def angle_addr(self) -> int:
        self.pos += 1  # '<'
        ret = self.skip_lwsp()
        if ret <= 0:
            return ret
        if self.data[self.pos] == 0x40:
            if self.domain_list() <= 0 or self.peek() != 0x3A:
                # obs-route without ':' (route "INVALID_ROUTE" only with fill_missing)
                self.cur.invalid = True
                if self.at_end():
                    return -1
            else:
                self.pos += 1
            ret = self.skip_lwsp()
            if ret <= 0:
                return ret
        if self.data[self.pos] != 0x3E:  # "<>" has no local part
            ret = self.local_part()
            if ret <= 0:
                return ret
            if self.data[self.pos] == 0x40:
                ret = self.parse_domain()
                if ret <= 0:
                    return ret
        if self.data[self.pos] != 0x3E:
            return -1
        self.pos += 1
        return self.skip_lwsp()

    def name_addr(self) -> int:
        out = bytearray()
        if self.phrase(out) <= 0 or self.data[self.pos] != 0x3C:
            return -1
        self.cur.name = bytes(out) if out else None
        self.last_comment.clear()
        if self.angle_addr() < 0:
            # broken <...>: Dovecot's "SYNTAX_ERROR" domain needs fill_missing, which
            # Email::Address::XS turns off; what was parsed is kept.
            self.cur.invalid = True
        if self.last_comment:
            self.cur.comment = bytes(self.last_comment)
        return self.more()

    def addr_spec(self) -> int:
        self.last_comment.clear()
        ret = self.local_part()
        if ret <= 0:
            self.cur.invalid = True
        if ret != 0 and self.peek() == 0x40:
            ret2 = self.parse_domain()
            if ret2 <= 0:
                ret = ret2
        if self.last_comment:
            self.cur.comment = bytes(self.last_comment)
        return ret

    def add(self) -> None:
        self.addrs.append(self.cur)
        self.cur = _Addr()

    def add_fixed(self) -> None:
        if self.cur.mailbox is None:
            self.cur.mailbox = b""
            self.cur.invalid = True
        if not self.cur.domain:
            self.cur.domain = b""
            self.cur.invalid = True
        self.add()

    def mailbox(self) -> int:
        start = self.pos
        ret = self.name_addr()
        if ret < 0:
            self.cur = _Addr()
            self.pos = start
            ret = self.addr_spec()
            c = self.cur
            if c.invalid and c.name is None and c.mailbox is not None and c.domain is None:
                c.name, c.mailbox = c.mailbox, None
        if ret < 0:
            self.cur.invalid = True
        self.add_fixed()
        return ret

    def group(self) -> int:
        out = bytearray()
        if self.phrase(out) <= 0 or self.data[self.pos] != 0x3A:
            return -1
        self.pos += 1
        ret = self.skip_lwsp()
        if ret <= 0:
            self.cur.invalid = True
        self.cur.mailbox = bytes(out)
        self.add()  # group start marker (domain None)
        if ret > 0 and self.data[self.pos] != 0x3B:
            while True:
                self.mailbox()  # a broken mailbox does not end the group (Dovecot 2.3)
                if self.peek() != 0x2C:
                    break
                self.pos += 1
                if self.skip_lwsp() <= 0:
                    ret = -1
                    break
        if ret >= 0:
            if self.peek() != 0x3B:
                ret = -1
            else:
                self.pos += 1
                ret = self.skip_lwsp()
        if ret < 0:
            self.cur.invalid = True
        self.add()  # group end marker
        return 0 if ret == 0 else 1

    def address(self) -> int:
        start = self.pos
        ret = self.group()
        if ret < 0:
            # the partial group attempt may have added nothing: group() only adds after ':'
            self.pos = start
            self.cur = _Addr()
            ret = self.mailbox()
        return ret

    def address_list(self) -> None:
        while True:
            ret = self.address()
            if ret == 0:
                break
            if self.peek() != 0x2C:
                break
            self.pos += 1
            ret = self.skip_lwsp()
            if ret <= 0:
                if ret < 0:
                    self.add_fixed()
                break


def _xs_addresses(value: bytes) -> list[_Addr]:
    p = _Parser(value)
    if p.skip_lwsp() <= 0:
        return []
    p.address_list()
    # parse_email_addresses keeps the members of every group and the ungrouped ones; group
    # markers (domain None) are not addresses.
    return [a for a in p.addrs if a.domain is not None]


def _compose(mailbox: bytes, domain: bytes) -> bytes:
    """``compose_address``: the local part is quoted when it is not a dot-atom (a leading,
    trailing or doubled dot also forces quotes since 1.04); only ``"`` and ``\\`` are
    escaped (1.04 stopped escaping apostrophes)."""
    dot_atom = (
        all(c in _ATEXT or c == 0x2E for c in mailbox)
        and not mailbox.startswith(b".")
        and not mailbox.endswith(b".")
        and b".." not in mailbox
    )
    if dot_atom:
        return mailbox + b"@" + domain
    escaped = bytearray(b'"')
    for c in mailbox:
        if c in _ESCAPED:
            escaped += b"\\"
        escaped.append(c)
    return bytes(escaped) + b'"@' + domain


def _valid_parsed_address(addr: bytes | None) -> bool:
    return addr is not None and not addr.startswith(b'""@') and addr.count(b'"') != 1


def parse_addresses_xs(value: bytes) -> tuple[ParsedAddress, ...]:
    """``Util.pm _parse_header_addresses_xs``: Email::Address::XS results, SA-adjusted."""
    text = value.replace(b"\\\\", b"")
    out: list[ParsedAddress] = []
    for a in _xs_addresses(text):
        user = a.mailbox or None
        host = a.domain or None
        phrase = a.name
        comment = a.comment
        address = _compose(user, host) if user is not None and host is not None else None
        if address is None and user is None and comment is None and phrase is not None:
            m = _PHRASE_EMAIL.match(phrase)
            if m and _valid_parsed_address(phrase) and is_fqdn_valid(idn_to_ascii(m.group(2))):
                address, phrase = phrase, None
        if phrase is None and comment is not None:
            phrase = comment
        if phrase is None and address is None:
            phrase = text
        out.append(ParsedAddress(phrase, address))
    return tuple(out)
