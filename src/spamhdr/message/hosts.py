"""Host names, TLDs and IP addresses in header values (``:host``, ``:domain``, ``:ip``, ``:revip``).

Input: byte strings taken from header values, plus the registry data of the configuration
(``util_rb_tld``, ``util_rb_2tld``, ``util_rb_3tld``). Output: host names, registrable
domains, IP address strings. Invariants: pure; regexes compiled once per TLD set.

Ground truth: ``Util.pm is_fqdn_valid``, ``idn_to_ascii``, ``reverse_ip_address``;
``RegistryBoundaries.pm new`` (the TLD regex) and ``split_domain``/``trim_domain``;
``Constants.pm IP_ADDRESS``; ``PerMsgStatus.pm _get`` (how ``:host``/``:ip`` search a value).

Deviation: SpamAssassin converts non-ASCII host names with libidn2 (IDNA 2008,
non-transitional); Python's standard library only has IDNA 2003 (``encodings.idna``), so a
few exotic labels (``ß``, some symbols) convert differently.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

import regex

__all__ = [
    "IP_ADDRESS",
    "RegistryData",
    "find_host",
    "find_ip",
    "idn_to_ascii",
    "is_fqdn_valid",
    "reverse_ip_address",
    "trim_domain",
]

_IPV4 = rb"(?:1\d\d|2[0-4]\d|25[0-5]|[1-9]\d|\d)"
_H = rb"[a-f0-9]{1,4}"
# Constants.pm IP_ADDRESS (flags /xi): IPv4, IPv4-mapped IPv6, or IPv6.
IP_ADDRESS = (
    rb"(?:\b(?<!:)" + _IPV4 + rb"\." + _IPV4 + rb"\." + _IPV4 + rb"\." + _IPV4 + rb"\b"
    rb"|(?:IPv6:|(?<![a-f0-9:]))(?:"
    rb"(?:(?:" + _H + rb":){6}|::(?:" + _H + rb":){0,5}|(?:" + _H + rb":){1,5}:"
    rb"|" + _H + rb"::(?:" + _H + rb":){1,4}|(?:" + _H + rb":){2}:(?:" + _H + rb":){1,3}"
    rb"|(?:"
    + _H
    + rb":){3}:(?:"
    + _H
    + rb":){1,2}|(?:"
    + _H
    + rb":){4}:"
    + _H
    + rb":)"
    + _IPV4
    + rb"\."
    + _IPV4
    + rb"\."
    + _IPV4
    + rb"\."
    + _IPV4
    + rb"|(?:"
    + _H
    + rb":){7}"
    + _H
    + rb"|:(?::"
    + _H
    + rb"){1,7}"
    rb"|(?:" + _H + rb":){1,7}:"
    rb"|" + _H + rb":(?::" + _H + rb"){1,6}"
    rb"|(?:" + _H + rb":){2}(?::" + _H + rb"){1,5}"
    rb"|(?:" + _H + rb":){3}(?::" + _H + rb"){1,4}"
    rb"|(?:" + _H + rb":){4}(?::" + _H + rb"){1,3}"
    rb"|(?:" + _H + rb":){5}(?::" + _H + rb"){1,2}"
    rb"|(?:" + _H + rb":){6}:" + _H + rb"|::)(?![a-f0-9:]))"
)
_IP_IN_VALUE = regex.compile(rb"(?<!\.)\b(" + IP_ADDRESS + rb")\b(?!\.)", regex.I)
_ASCII_HOST_CHARS = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:[]-"
)
_LATIN1_HOST_CHARS = frozenset(
    [
        *b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
        *range(0xC0, 0xD7),
        *range(0xD8, 0xDF),
        *range(0xE0, 0xF7),
        *range(0xF8, 0xFF),
    ]
)
_ALT_FULLSTOPS = ("\u3002", "\uff0e", "\uff61")
_LABEL = regex.compile(rb"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$")
_IPV4_EXACT = regex.compile(rb"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\Z")
_IPV6_TRIAGE = regex.compile(rb"^[0-9a-fA-F:.]{2,}\Z")
_AFTER_LAST_AT = regex.compile(rb".*\@(\S+)")
# RegistryBoundaries.pm %US_STATES
_US_STATES = frozenset(
    b"ak al ar az ca co ct dc de fl ga gu hi ia id il in ks ky la ma md me mi mn mo ms mt nc "
    b"nd ne nh nj nm nv ny oh ok or pa pr ri sc sd tn tx ut va vi vt wa wi wv wy".split()
)


class RegistryData:
    """The TLD tables of a configuration, with the host regexes built from them.

    Args:
        valid_tlds: ``util_rb_tld`` entries (lower case).
        two_level_domains: ``util_rb_2tld`` entries.
        three_level_domains: ``util_rb_3tld`` entries.
    """

    __slots__ = ("host_after_at_re", "host_re", "three_level", "tlds", "two_level")

    def __init__(
        self,
        valid_tlds: Iterable[str],
        two_level_domains: Iterable[str],
        three_level_domains: Iterable[str],
    ) -> None:
        self.tlds = frozenset(t.lower() for t in valid_tlds)
        self.two_level = frozenset(d.lower().encode("ascii", "replace") for d in two_level_domains)
        self.three_level = frozenset(
            d.lower().encode("ascii", "replace") for d in three_level_domains
        )
        if self.tlds:
            # RegistryBoundaries.pm new(): TLD at a boundary, not followed by more labels
            # (Perl's alternation order is hash order; the boundary checks make it irrelevant).
            alternation = b"|".join(
                regex.escape(t.encode("ascii", "replace"))
                for t in sorted(self.tlds, key=len, reverse=True)
            )
            tlds = rb"(?<![a-zA-Z0-9-])(?:" + alternation + rb")(?!(?:[a-zA-Z0-9-]|\.[a-zA-Z0-9]))"
        else:
            tlds = rb"no_tlds_defined"
        host = rb"(?<![._-])(\S{1,251}\." + tlds + rb")(?![._-])"
        self.host_re = regex.compile(host, regex.I)
        self.host_after_at_re = regex.compile(rb".*\@" + host, regex.I)


@lru_cache(maxsize=8)
def _registry(tlds: frozenset[str], two: frozenset[str], three: frozenset[str]) -> RegistryData:
    return RegistryData(tlds, two, three)


def registry_for(tlds: frozenset[str], two: frozenset[str], three: frozenset[str]) -> RegistryData:
    """A shared, cached :class:`RegistryData` for these tables (built once per table set)."""
    return _registry(tlds, two, three)


def _is_valid_utf8_rfc3629(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def idn_to_ascii(host: bytes) -> bytes:
    """``Util.pm idn_to_ascii``: ASCII hosts lower-cased; U-labels converted to ACE."""
    if all(c in _ASCII_HOST_CHARS for c in host):
        return host.lower()
    if _is_valid_utf8_rfc3629(host):
        text = host.decode("utf-8")
        for dot in _ALT_FULLSTOPS:
            text = text.replace(dot, ".")
    elif all(c in _LATIN1_HOST_CHARS for c in host):
        text = host.decode("latin-1")
    else:
        return host.lower()
    try:
        return text.encode("idna").lower()
    except UnicodeError:
        # libidn2 failed: SpamAssassin keeps the string as it was (not lower-cased)
        return host if not _is_valid_utf8_rfc3629(host) else text.encode("utf-8")


def is_fqdn_valid(host: bytes) -> bool:
    """``Util.pm is_fqdn_valid($host, 1)``: at least two labels of [a-z0-9_-], no '_' in
    the last two, each 1-63 bytes, 253 in total."""
    host = host.lower().rstrip(b".")
    if len(host) > 253:
        return False
    labels = host.split(b".")
    while labels and labels[-1] == b"":
        labels.pop()  # Perl split drops trailing empty fields
    count = len(labels)
    if count <= 1:
        return False
    for label in labels:
        if not 1 <= len(label) <= 63 or not _LABEL.match(label):
            return False
        if count <= 2 and b"_" in label:
            return False
        count -= 1
    return True


def find_host(line: bytes, after_addr: bool, registry: RegistryData) -> bytes | None:
    """The host ``:host`` extracts from one element (``PerMsgStatus.pm _get``).

    Args:
        line: the element (an address when ``after_addr``).
        after_addr: ``:addr`` was applied first (then: everything after the last '@').
        registry: the TLD tables.
    """
    if after_addr:
        m = _AFTER_LAST_AT.match(line)
        return m.group(1) if m else None
    m = registry.host_after_at_re.match(line)
    if m is not None and is_fqdn_valid(idn_to_ascii(m.group(1))):
        return m.group(1)
    for m in registry.host_re.finditer(line):
        if is_fqdn_valid(idn_to_ascii(m.group(1))):
            return m.group(1)
    return None


def trim_domain(host: bytes, registry: RegistryData) -> bytes:
    """``RegistryBoundaries.pm trim_domain($host, 1)``: the registrable domain."""
    domain = regex.sub(rb"\.{2,}", b".", host.lower()).strip(b".")
    if not domain:
        return domain
    parts = domain.split(b".")
    hostname: list[bytes] = []
    while len(parts) > 1:
        if len(parts) == 2:
            if b".".join(parts) in registry.two_level:
                break
        elif len(parts) == 3:
            if parts[2] == b"us":
                if parts[1] in _US_STATES:
                    break
            elif b".".join(parts) in registry.three_level:
                break
        elif len(parts) == 4 and (
            parts[3] == b"us"
            and ((parts[0] == b"pvt" and parts[1] == b"k12") or parts[0] in (b"ci", b"co"))
            and parts[2] in _US_STATES
        ):
            break
        hostname.append(parts.pop(0))
    if hostname:
        parts.insert(0, hostname.pop())
    return b".".join(parts)


def find_ip(line: bytes) -> bytes | None:
    """The first IP address ``:ip`` finds in one element."""
    m = _IP_IN_VALUE.search(line)
    return m.group(1) if m else None


def reverse_ip_address(ip: bytes) -> bytes | None:
    """``Util.pm reverse_ip_address``: IPv4 octets or IPv6 nibbles reversed (RFC 5782)."""
    m = _IPV4_EXACT.match(ip)
    if m:
        return b".".join(reversed(m.groups()))
    if b":" not in ip or not _IPV6_TRIAGE.match(ip):
        return None
    try:
        full = ipaddress.IPv6Address(ip.decode("ascii")).exploded
    except ValueError:
        return None
    nibbles = full.replace(":", "").lower()
    return ".".join(reversed(nibbles)).encode("ascii")
