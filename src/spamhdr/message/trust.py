"""Received values + trust configuration → the trust path and ``X-Spam-Relays-*`` strings.

Input: the decoded ``Received`` values (top = newest first), the synthetic originating-IP
lines, and a :class:`TrustConfig`. Output: :class:`TrustPath` — relays split into
trusted/untrusted and internal/external, the four ``X-Spam-Relays-*`` strings and the
``last_trusted_relay_index``/``last_internal_relay_index`` used by ``ALL-*``. Invariants:
pure; the strings are byte-identical to SpamAssassin's (sa-rules.md §5.8).

Ground truth: ``Message/Metadata/Received.pm parse_received_headers`` and ``NetSet.pm``
(sequential search, first matching entry wins, an entry already covered by an earlier one
is ignored; 127.0.0.0/8 and ::1 are always in trusted and internal networks).
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field
from typing import Final

import regex

from spamhdr.message._record import Record
from spamhdr.message.received import ReceivedParser, Relay, Skipped

__all__ = [
    "DEFAULT_ORIGINATING_IP_HEADERS",
    "NetSet",
    "PlacedRelay",
    "TrustConfig",
    "TrustPath",
    "compute_trust_path",
]

# 10_default_prefs.cf of the stock rules (Conf.pm's own default is empty).
DEFAULT_ORIGINATING_IP_HEADERS = (
    "X-Yahoo-Post-IP",
    "X-Originating-IP",
    "X-Apparently-From",
    "X-SenderIP",
    "X-AOL-IP",
    "X-MS-Exchange-CrossTenant-OriginalAttributedTenantConnectingIp",
)

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class TrustConfig:
    """The configuration settings header values depend on (defaults: stock SpamAssassin).

    Attributes:
        trusted_networks: ``trusted_networks`` entries as written in .cf files
            (``192.168.``, ``10.0.0.0/8``, ``!10.0.1.5``, ``[2001:db8::]/32``). Empty = not
            configured: trust is inferred (private IPs and authenticated relays are trusted).
        internal_networks: ``internal_networks`` entries; empty = use ``trusted_networks``
            (or infer when both are empty).
        msa_networks: ``msa_networks`` entries.
        originating_ip_headers: headers whose IP becomes a synthetic last relay
            (``originating_ip_headers``; default = the list in 10_default_prefs.cf).
        envelope_sender_header: ``envelope_sender_header``; None = guess (§5.9).
        valid_tlds: ``util_rb_tld`` entries (``:host``/``:domain`` only find hosts ending in
            one of these; empty = SpamAssassin without 20_aux_tlds.cf, which finds none).
        two_level_domains: ``util_rb_2tld`` entries (used by ``:domain``).
        three_level_domains: ``util_rb_3tld`` entries.
    """

    trusted_networks: tuple[str, ...] = ()
    internal_networks: tuple[str, ...] = ()
    msa_networks: tuple[str, ...] = ()
    originating_ip_headers: tuple[str, ...] = DEFAULT_ORIGINATING_IP_HEADERS
    envelope_sender_header: str | None = None
    valid_tlds: frozenset[str] = field(default_factory=frozenset)
    two_level_domains: frozenset[str] = field(default_factory=frozenset)
    three_level_domains: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in (
            "trusted_networks",
            "internal_networks",
            "msa_networks",
            "originating_ip_headers",
        ):
            if not isinstance(getattr(self, name), tuple):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        for name in ("valid_tlds", "two_level_domains", "three_level_domains"):
            if not isinstance(getattr(self, name), frozenset):
                object.__setattr__(self, name, frozenset(getattr(self, name)))


_V4_FULL = regex.compile(r"^(\d+)\.(\d+)\.(\d+)\.(\d+)\Z")
_V4_3 = regex.compile(r"^(\d+)\.(\d+)\.(\d+)\.?\Z")
_V4_2 = regex.compile(r"^(\d+)\.(\d+)\.?\Z")
_V4_1 = regex.compile(r"^(\d+)\.?\Z")
_LOOKS_V4 = regex.compile(r"^\d+(?:\.|\Z)")


class NetSet:
    """``NetSet.pm`` without Net::Patricia (as installed): ordered entries, first match wins.

    Args:
        specs: entries as written in the configuration.
        loopback: add 127.0.0.0/8 and ::1 first (trusted/internal networks do).

    Attributes:
        problems: entries that were ignored, with the reason (SpamAssassin warns).
    """

    __slots__ = ("entries", "problems")

    def __init__(self, specs: tuple[str, ...], loopback: bool) -> None:
        self.entries: list[tuple[bool, _Network]] = []
        self.problems: list[str] = []
        for spec in (("127.0.0.0/8", "::1") if loopback else ()) + specs:
            for part in spec.split():
                self._add(part)

    def _add(self, spec: str) -> None:
        text = spec.strip()
        exclude = text.startswith("!")
        text = text.removeprefix("!").strip()
        mask: str | None = None
        if "/" in text:
            text, mask = text.split("/", 1)
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        text = regex.sub(r"%[A-Za-z0-9._~-]*\Z", "", text)
        if _LOOKS_V4.match(text):
            for pattern, bits in ((_V4_FULL, 32), (_V4_3, 24), (_V4_2, 16), (_V4_1, 8)):
                if m := pattern.match(text):
                    octets = [int(g) for g in m.groups()] + [0] * (4 - len(m.groups()))
                    text = ".".join(str(o) for o in octets)
                    mask = mask if mask is not None else str(bits)
                    break
            else:
                self.problems.append(f"illegal IPv4 address given: {spec!r}")
                return
        try:
            net = ipaddress.ip_network(f"{text}/{mask}" if mask is not None else text, strict=False)
        except ValueError:
            self.problems.append(f"illegal IP address given: {spec!r}")
            return
        if len(self.entries) < 200 and any(_covers(old, net) for _, old in self.entries):
            self.problems.append(
                f"cannot {'exclude' if exclude else 'include'} {spec}: already declared"
            )
            return
        self.entries.append((exclude, net))

    def contains_ip(self, ip: bytes) -> bool:
        """True if the first entry covering ``ip`` is not an exclusion."""
        if not self.entries:
            return False
        try:
            addr = ipaddress.ip_address(ip.decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            return False
        for exclude, net in self.entries:
            if _covers(net, addr):
                return not exclude
        return False


@functools.lru_cache(maxsize=64)
def _netset(specs: tuple[str, ...], loopback: bool) -> NetSet:
    # Built once per configuration, not per message (a NetSet is never changed after
    # construction); bounded.
    return NetSet(specs, loopback)


def _covers(net: _Network, item: object) -> bool:
    if isinstance(item, ipaddress.IPv4Address | ipaddress.IPv6Address):
        if isinstance(item, ipaddress.IPv6Address) and item.ipv4_mapped is not None:
            item = item.ipv4_mapped
        return item.version == net.version and item in net
    assert isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network)
    return item.version == net.version and item.subnet_of(net)  # type: ignore[arg-type]


class PlacedRelay(Record):
    """A relay with the flags SpamAssassin gives it on the trust path (a
    :class:`~spamhdr.message._record.Record`, made per relay and message)."""

    __slots__ = ("internal", "msa", "relay")
    FIELDS = ("relay", "internal", "msa")

    def __init__(self, relay: Relay, internal: bool, msa: bool) -> None:
        self.relay: Final = relay
        self.internal: Final = internal
        self.msa: Final = msa

    def field_values(self) -> tuple[object, ...]:
        return (self.relay, self.internal, self.msa)

    def as_string(self) -> bytes:
        return self.relay.as_string(self.internal, self.msa)


@dataclass(frozen=True, slots=True)
class TrustPath:
    """Relays split by trust, as SpamAssassin's metadata holds them.

    Attributes:
        trusted, untrusted, internal, external: the relays of each list, newest first.
        last_trusted_relay_index, last_internal_relay_index: index (0 = topmost Received)
            of the last Received header counted as trusted / internal, -1 if none.
        num_unparseable: Received headers SpamAssassin could not parse.
        timed_out: a Received pattern hit the regex time limit (its result is then "no match").
    """

    trusted: tuple[PlacedRelay, ...]
    untrusted: tuple[PlacedRelay, ...]
    internal: tuple[PlacedRelay, ...]
    external: tuple[PlacedRelay, ...]
    last_trusted_relay_index: int
    last_internal_relay_index: int
    num_unparseable: int
    timed_out: bool = False

    def relays_string(self, which: str) -> bytes:
        """The ``X-Spam-Relays-<which>`` value.

        Args:
            which: ``trusted``, ``untrusted``, ``internal`` or ``external``.
        """
        relays: tuple[PlacedRelay, ...] = getattr(self, which)
        return b" ".join(r.as_string() for r in relays)


def compute_trust_path(
    received: list[bytes], originating_ips: list[bytes], config: TrustConfig, timeout: float
) -> TrustPath:
    """``parse_received_headers``: parse every Received value and walk the trust path.

    Args:
        received: decoded Received values, topmost first (each may end in ``\\n``).
        originating_ips: IPs found in ``originating_ip_headers`` (each becomes a synthetic
            ``from X-Originating-IP: <ip>`` relay at the bottom).
        config: the trust settings.
        timeout: regex time limit for the backtracking-prone Received patterns.
    """
    trusted_cfg, internal_cfg = config.trusted_networks, config.internal_networks
    user_trust = bool(trusted_cfg)
    user_internal = bool(internal_cfg)
    if user_trust and not user_internal:
        internal_cfg = trusted_cfg
    elif user_internal and not user_trust:
        trusted_cfg = internal_cfg
    infer = not (user_trust or user_internal)
    trusted_set = _netset(trusted_cfg, True)
    internal_set = _netset(internal_cfg, True)
    msa_set = _netset(config.msa_networks, False)
    parser = ReceivedParser(timeout)
    lines = [*received, *(b"from X-Originating-IP: " + ip + b"\n" for ip in originating_ips)]
    trusted: list[PlacedRelay] = []
    untrusted: list[PlacedRelay] = []
    internal: list[PlacedRelay] = []
    external: list[PlacedRelay] = []
    in_trusted = in_internal = True
    found_msa = False
    allow_fetch_markers = True
    last_trusted = last_internal = -1
    unparseable = 0
    qmail_envfrom: bytes | None = None
    for line in lines:
        pending_envfrom, qmail_envfrom = qmail_envfrom, None
        # Received.pm joins folds (s/\n[ \t]+/ /g) before parsing; parse() turns every run
        # of white space into one space anyway, which gives the same line.
        outcome = parser.parse(line)
        if outcome is None or isinstance(outcome, Skipped):
            if outcome is None:
                unparseable += 1
            elif outcome.pop_fetcher and allow_fetch_markers:
                # found_pop_fetcher_sig: restart the trusted/internal/external lists
                trusted, internal, external = [], [], []
            elif outcome.qmail_scanner_envfrom is not None:
                qmail_envfrom = outcome.qmail_scanner_envfrom
            if in_trusted:
                last_trusted += 1
            if in_internal:
                last_internal += 1
            continue
        relay = outcome
        if pending_envfrom:
            relay = relay.with_envfrom(pending_envfrom)
        msa = False
        if in_trusted and not found_msa:
            if infer:
                if not (relay.ip_private or relay.auth):
                    in_trusted = in_internal = False
            elif not relay.auth and not trusted_set.contains_ip(relay.ip):
                in_trusted = in_internal = False
            else:
                if in_internal and not relay.auth and not internal_set.contains_ip(relay.ip):
                    in_internal = False
                if msa_set.contains_ip(relay.ip):
                    found_msa = msa = True
        placed = PlacedRelay(relay, in_internal, msa)
        if in_trusted:
            trusted.append(placed)
            allow_fetch_markers = True
            last_trusted += 1
        else:
            untrusted.append(placed)
            allow_fetch_markers = False
        if in_internal:
            internal.append(placed)
            last_internal += 1
        else:
            external.append(placed)
    return TrustPath(
        trusted=tuple(trusted),
        untrusted=tuple(untrusted),
        internal=tuple(internal),
        external=tuple(external),
        last_trusted_relay_index=last_trusted,
        last_internal_relay_index=last_internal,
        num_unparseable=unparseable,
        timed_out=parser.timed_out,
    )
