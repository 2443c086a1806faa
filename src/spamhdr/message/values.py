"""Parsed header section → the value of every header spec a SpamAssassin rule can name.

Input: a message's bytes, a :class:`TrustConfig` and :class:`Options`. Output: an
:class:`SAMessage`, whose :meth:`SAMessage.get` answers a spec exactly as written in a rule
(``From:addr``, ``ALL:raw``, ``ToCc``, ``X-Spam-Relays-Untrusted`` ...) with the bytes
SpamAssassin 4.0.1's ``Plugin/Check.pm do_head_tests`` matches, or ``None`` when the header
is undefined. Invariants: values are computed lazily and cached per message; building or
querying a message touches no global state; nothing here raises for any input bytes.

Ground truth: ``PerMsgStatus.pm _get``/``get``/``get_envelope_from``/
``get_all_hdrs_in_rcvd_index_range``, ``Message/Node.pm get_header``/``get_all_headers``/
``delete_header`` (sa-rules.md §5.3-5.10).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, KeysView
from dataclasses import dataclass

import regex

from spamhdr.message.addresses import parse_header_addresses
from spamhdr.message.decode import decode_header_value, decode_mime_words
from spamhdr.message.hosts import (
    IP_ADDRESS,
    RegistryData,
    find_host,
    find_ip,
    idn_to_ascii,
    registry_for,
    reverse_ip_address,
    trim_domain,
)
from spamhdr.message.parse import ParsedHeaders, RawField, parse_headers
from spamhdr.message.trust import TrustConfig, TrustPath, compute_trust_path
from spamhdr.options import DEFAULT_OPTIONS, Options

__all__ = [
    "SAMessage",
    "join_values",
    "parse_sa_message",
    "same_value_key",
    "spec_field_names",
]

MAX_HEADER_LENGTH = 65536  # Constants.pm: ALL stops growing past this many bytes

# PMS check_timed deletes '^X-Spam-.*$' (case-insensitive, Node.pm delete_header).
_X_SPAM = regex.compile(rb"^X-Spam-.*$", regex.I)
_PRISTINE_FIELD = regex.compile(rb"^([^ \t].*?\n)(?![ \t])", regex.M | regex.S)
_RAW_UNFOLD = regex.compile(rb"\r?\n\s+")
_LINES = regex.compile(rb"[^\n]*\n|[^\n]+")
_ORIGINATING_IP = regex.compile(rb"(" + IP_ADDRESS + rb")", regex.I)
# PMS get_envelope_from tests /^Received:.*?^X-Envelope-From:/smi (and the same for
# Envelope-Sender, Return-Path). Such a match exists exactly when a header line of that
# name starts after the end of the *first* "Received:" line start, which two linear
# searches find (the lazy .*? retried from every Received line is quadratic on ALL).
# SAMessage runs them as substring searches of the lower-cased ALL text
# (_find_header_after_received); these regexes state the same searches, and
# tests/property/test_message_envfrom_search.py checks them against the Perl pattern.
_RECEIVED_LINE_START = regex.compile(rb"^Received:", regex.M | regex.I)
_LINE_START = {
    b"x-envelope-from": regex.compile(rb"^X-Envelope-From:", regex.M | regex.I),
    b"envelope-sender": regex.compile(rb"^Envelope-Sender:", regex.M | regex.I),
    b"return-path": regex.compile(rb"^Return-Path:", regex.M | regex.I),
}
_MESSAGEID_SOURCES = (
    b"x-message-id",
    b"resent-message-id",
    b"x-original-message-id",
    b"message-id",
)
_METADATA_NAMES = (b"x-senderdomain", b"x-authordomain")
_COLON_SPACE = b": "
_NEWLINE = b"\n"
_RCVD_RANGES = frozenset((b"ALL-TRUSTED", b"ALL-INTERNAL", b"ALL-UNTRUSTED", b"ALL-EXTERNAL"))


@dataclass(frozen=True, slots=True)
class _Request:
    """A spec split like ``PMS _get``: the name and the modifier switches."""

    name: bytes
    raw: bool
    addr: bool
    name_mod: bool
    host: bool
    domain: bool
    ip: bool
    revip: bool
    first: bool
    last: bool


_MODIFIER_SWITCHES: dict[bytes, tuple[str, ...]] = {
    b"raw": ("raw",),
    b"addr": ("addr",),
    b"name": ("name_mod",),
    b"host": ("host",),
    b"domain": ("host", "domain"),
    b"ip": ("ip",),
    b"revip": ("ip", "revip"),
    b"first": ("first",),
    b"last": ("last",),
}


@functools.lru_cache(maxsize=4096)
def _split_request(spec: bytes) -> _Request:
    # Memoized: the same few hundred rule specs are split for every message (the result
    # is immutable; the cache is bounded).
    # while ($request =~ s/:([^:]*)//) — each ':segment' is removed, unknown ones ignored.
    name, *mods = spec.split(b":")
    flags = dict.fromkeys(
        ("raw", "addr", "name_mod", "host", "domain", "ip", "revip", "first", "last"), False
    )
    for mod in mods:
        for switch in _MODIFIER_SWITCHES.get(mod, ()):
            flags[switch] = True
    return _Request(name=name, **flags)


_WHITESPACE = b" \t\n\r\f\v"


@functools.lru_cache(maxsize=4096)
def spec_field_names(spec: str) -> frozenset[bytes] | None:
    """Lower-cased field names of which ``spec`` needs at least one: when a message has
    none of them, ``get(spec)`` is None. None when that cannot be said without the message
    (``ALL``, the relay and envelope pseudo-headers, the metadata headers).

    Lets a caller skip ``get`` for the many specs a message does not have (the rule
    engine asks for ~110 specs per message; most name absent headers).
    """
    req = _split_request(spec.encode("utf-8", "surrogateescape"))
    if req.name == b"MESSAGEID":
        return frozenset(_MESSAGEID_SOURCES)
    if req.name.lower() == b"tocc":
        return frozenset((b"to", b"cc"))
    if req.name in _PSEUDO_EXACT or req.name.lower() in _PSEUDO_ANY_CASE:
        return None
    lc_name = req.name.lower()
    if lc_name in _METADATA_NAMES:
        return None
    if req.raw or req.addr or req.name_mod:
        return frozenset((lc_name.strip(_WHITESPACE),))  # _raw_header trims the name
    return frozenset((lc_name,))


#: Kinds of spec ``SAMessage.get`` answers without the general ``_compute`` layers (all
#: on ordinary headers: not a pseudo-header, not a metadata name, no :first/:last and no
#: host/ip switch): :raw alone, and :addr / :name (with or without :raw).
_RAW_ONLY = 1
_ADDRESSES = 2
_GENERAL = 3


@functools.lru_cache(maxsize=4096)
def _ordinary_kind(spec: str) -> tuple[int, _Request]:
    """Which of the kinds above ``spec`` is, and its split request."""
    req = _split_request(spec.encode("utf-8", "surrogateescape"))
    if (
        req.first
        or req.last
        or req.host
        or req.ip
        or req.name in _PSEUDO_EXACT
        or req.name.lower() in _PSEUDO_ANY_CASE
        or req.name.lower() in _METADATA_NAMES
    ):
        return _GENERAL, req
    if req.addr or req.name_mod:
        return _ADDRESSES, req
    return (_RAW_ONLY if req.raw else _GENERAL), req


@functools.lru_cache(maxsize=4096)
def _plain_field(spec: str) -> bytes | None:
    """The lower-cased field name when ``spec`` is a plain header: no modifier switch,
    not a pseudo-header, not a metadata name (``SAMessage.get``'s fast path); else None."""
    req = _split_request(spec.encode("utf-8", "surrogateescape"))
    switches = (req.raw, req.addr, req.name_mod, req.host, req.domain, req.ip, req.revip)
    if any(switches) or req.first or req.last:
        return None
    if req.name in _PSEUDO_EXACT or req.name.lower() in _PSEUDO_ANY_CASE:
        return None
    lc_name = req.name.lower()
    return None if lc_name in _METADATA_NAMES else lc_name


def same_value_key(spec: str) -> str:
    """A key equal for specs whose ``get()`` values are always equal: the lower-cased field
    name of a plain header (``Message-Id`` and ``Message-ID`` are one header), else the
    spec itself. The engine runs the rules of such specs as one group."""
    lc_name = _plain_field(spec)
    return spec if lc_name is None else "\0" + lc_name.decode("latin-1")


def _find_received_lines(lowered: bytes) -> list[int]:
    """Offsets of the lines of ``lowered`` (a lower-cased ``ALL`` text) that match
    ``/^Received:/mi``: at the start of the text or after an LF. ``bytes.lower`` folds
    ASCII only, as the regex's case-insensitive bytes matching does."""
    marks = [0] if lowered.startswith(b"received:") else []
    found = lowered.find(b"\nreceived:")
    while found >= 0:
        marks.append(found + 1)
        found = lowered.find(b"\nreceived:", found + 1)
    return marks


def _find_header_after_received(lowered: bytes, marks: list[int], lc_name: bytes) -> bool:
    """``/^Received:.*?^Name:/smi`` on ``ALL`` (``PMS get_envelope_from``): a line
    starting ``name:`` after the end of the first line starting ``Received:`` — the two
    searches ``_RECEIVED_LINE_START`` / ``_LINE_START`` state, as substring searches.

    Args:
        lowered: the lower-cased ``ALL`` text.
        marks: :func:`_find_received_lines` of it.
        lc_name: the lower-cased header name.
    """
    if not marks:
        return False
    # The line must start at or after marks[0] + 9: after an LF at or after marks[0] + 8.
    return lowered.find(b"\n" + lc_name + b":", marks[0] + 8) >= 0


def join_values(values: tuple[bytes, ...]) -> bytes | None:
    """The string a header rule tests (``Check.pm do_head_tests``): the list joined with
    ``""`` when its first element ends in a newline, else with ``"\\n"``; None if empty."""
    if not values:
        return None
    return (b"" if values[0].endswith(b"\n") else b"\n").join(values)


class SAMessage:
    """One message as SpamAssassin's rules see its headers.

    Use :func:`parse_sa_message` to build one. Safe to use from one thread at a time
    (values are cached on first use); distinct messages share nothing mutable.
    """

    __slots__ = (
        "_all_cache",
        "_all_lower",
        "_all_text",
        "_cache",
        "_decoded",
        "_defects",
        "_envelope_from",
        "_fields",
        "_index",
        "_joined",
        "_lc_names",
        "_metadata",
        "_options",
        "_parsed",
        "_received_marks",
        "_registry",
        "_trust",
        "_trust_path",
    )

    def __init__(self, parsed: ParsedHeaders, trust: TrustConfig, options: Options) -> None:
        self._parsed = parsed
        self._trust = trust
        self._options = options
        fields = parsed.fields
        lc_names = [f.name.lower() for f in fields]
        # The prefix tests first (one substring search per message, then per name): the
        # regex only runs for names that start like X-Spam-.
        if b"x-spam-" in b" ".join(lc_names):
            keep = [
                i
                for i, f in enumerate(fields)
                if not (lc_names[i].startswith(b"x-spam-") and _X_SPAM.match(f.name))
            ]
            fields = tuple(fields[i] for i in keep)
            lc_names = [lc_names[i] for i in keep]
        self._fields = fields
        self._lc_names = lc_names
        index: dict[bytes, list[int]] = {}
        for i, lc_name in enumerate(lc_names):
            where = index.get(lc_name)
            if where is None:
                index[lc_name] = [i]
            else:
                where.append(i)
        self._index = index
        self._decoded: list[bytes | None] = [None] * len(fields)
        self._cache: dict[str, tuple[bytes, ...]] = {}
        self._joined: dict[str, bytes | None] = {}
        self._defects = list(parsed.defects)
        self._trust_path: TrustPath | None = None
        self._envelope_from: tuple[bytes | None] | None = None
        self._metadata: dict[bytes, bytes] | None = None
        self._registry: RegistryData | None = None
        self._all_cache: list[bytes] | None = None
        self._all_text: bytes | None = None
        self._received_marks: list[int] | None = None
        self._all_lower: bytes | None = None

    # -- public API -----------------------------------------------------------------------------

    @property
    def defects(self) -> tuple[str, ...]:
        """Recoverable problems found so far (parsing, and values computed up to now)."""
        return tuple(self._defects)

    @property
    def field_names(self) -> KeysView[bytes]:
        """Lower-cased names of the stored fields (after ``X-Spam-*`` removal), a
        read-only view; see :func:`spec_field_names`."""
        return self._index.keys()

    @property
    def fields(self) -> tuple[RawField, ...]:
        """The stored fields after SpamAssassin's removal of ``X-Spam-*``."""
        return self._fields

    @property
    def parsed(self) -> ParsedHeaders:
        """The header section as parsed (before ``X-Spam-*`` removal)."""
        return self._parsed

    @property
    def trust_path(self) -> TrustPath:
        """The relays and trust boundary (parses the Received headers on first use)."""
        if self._trust_path is None:
            received = [v + b"\n" for v in self._decoded_values(b"received")]
            ips: list[bytes] = []
            for header in self._trust.originating_ip_headers:
                values = self._decoded_values(header.lower().encode("latin-1", "replace"))
                if values and (m := _ORIGINATING_IP.search(values[-1] + b"\n")):
                    ips.append(m.group(1))
            self._trust_path = compute_trust_path(
                received, ips, self._trust, self._options.regex_timeout
            )
            if self._trust_path.timed_out:
                self._defects.append("a Received pattern exceeded the regex time limit")
        return self._trust_path

    def get(self, spec: str) -> bytes | None:
        """The string a header rule on ``spec`` is matched against.

        Args:
            spec: the header spec as written in a rule, e.g. ``"From:addr"``,
                ``"ALL:raw"``, ``"X-Spam-Relays-External"``.

        Returns:
            The joined value (``Check.pm do_head_tests``), or None when SpamAssassin's
            ``get()`` returns nothing (the rule then sees undef / its ``[if-unset:]``).
        """
        lc_name = _plain_field(spec)
        if lc_name is not None:
            # A plain header: what _compute/_ordinary/_get_header and join_values give
            # (decoded values, each with its newline, joined with ""), without the layers.
            where = self._index.get(lc_name)
            if not where:
                return None
            if len(where) == 1:
                value = self._decoded[where[0]]
                return (value if value is not None else self._decoded_at(where[0])) + b"\n"
            return b"".join([self._decoded_at(i) + b"\n" for i in where])
        try:
            return self._joined[spec]
        except KeyError:
            pass
        kind, req = _ordinary_kind(spec)
        if kind == _RAW_ONLY:
            # _compute → _ordinary → _raw_header, nothing else applies.
            joined = join_values(tuple(self._raw_header(req.name)))
        elif kind == _ADDRESSES:
            # _compute → _ordinary → _raw_header → _addresses.
            found = self._raw_header(req.name)
            joined = join_values(tuple(self._addresses(found, req))) if found else None
        elif req.name == b"ALL":
            # ALL and ALL:raw skip every other modifier (_PSEUDO_EXACT): joined directly.
            joined = self._all_raw_text() if req.raw else self._all_joined()
        elif req.name in _RCVD_RANGES and not req.raw:
            # So do the ALL-* ranges: the joined lines are a slice of the joined ALL.
            low, high = self._rcvd_span(*self._range_of(req.name))
            joined = (self._all_joined() or b"")[low:high] or None
        else:
            joined = join_values(self.get_list(spec))
        self._joined[spec] = joined
        return joined

    def get_list(self, spec: str) -> tuple[bytes, ...]:
        """``$pms->get(spec)`` in list context: every element, undefined ones dropped."""
        found = self._cache.get(spec)
        if found is None:
            found = self._compute(spec.encode("utf-8", "surrogateescape"))
            self._cache[spec] = found
        return found

    def exists(self, spec: str) -> bool:
        """``exists:`` semantics: the spec yields at least one value."""
        return bool(self.get_list(spec))

    # -- header table ---------------------------------------------------------------------------

    def _decoded_at(self, i: int) -> bytes:
        value = self._decoded[i]
        if value is None:
            value = decode_header_value(self._fields[i].raw, self._lc_names[i])
            self._decoded[i] = value
        return value

    def _decoded_all(self) -> list[bytes]:
        """Every field's decoded value, in order (``ALL`` needs them all)."""
        decoded = self._decoded
        fields = self._fields
        lc_names = self._lc_names
        out: list[bytes] = []
        for i, value in enumerate(decoded):
            if value is None:
                value = decode_header_value(fields[i].raw, lc_names[i])
                decoded[i] = value
            out.append(value)
        return out

    def _decoded_values(self, lc_name: bytes) -> list[bytes]:
        """Node.pm ``header($name)`` in list context (no trailing newline)."""
        return [self._decoded_at(i) for i in self._index.get(lc_name, ())]

    def _get_header(self, lc_name: bytes, raw: bool) -> list[bytes]:
        """Node.pm ``get_header($name, $raw)`` in list context."""
        if raw:
            return [
                _RAW_UNFOLD.sub(b" ", self._fields[i].raw) for i in self._index.get(lc_name, ())
            ]
        return [v + b"\n" for v in self._decoded_values(lc_name)]

    def _raw_header(self, lc_name: bytes) -> list[bytes]:
        """Node.pm ``raw_header`` (name trimmed of surrounding whitespace)."""
        key = lc_name.lower().strip(b" \t\n\r\f\v")
        return [self._fields[i].raw for i in self._index.get(key, ())]

    def _all_headers(self) -> list[bytes]:
        """Node.pm ``get_all_headers(0)``: decoded fields in order, capped at 64 KiB.

        Computed once per message (``ALL`` and the ``ALL-*`` ranges all need it); callers
        never modify the list.
        """
        if self._all_cache is None:
            self._all_cache = self._compute_all_headers()
        return self._all_cache

    def _all_joined(self) -> bytes | None:
        """``get("ALL")``: the ``ALL`` lines joined (each ends with a newline)."""
        if self._all_text is None:
            decoded = self._decoded_all()
            if self._all_cache is None and self._all_fits(decoded):
                # The lines are "name: value\n" for every field: join the pieces at once.
                count = len(decoded)
                pieces: list[bytes] = [_COLON_SPACE] * (4 * count)
                pieces[0::4] = [f.name for f in self._fields]
                pieces[2::4] = decoded
                pieces[3::4] = [_NEWLINE] * count
                self._all_text = b"".join(pieces)
            else:
                self._all_text = b"".join(self._all_headers())
        return self._all_text or None

    def _all_fits(self, decoded: list[bytes]) -> bool:
        """Whether ``ALL`` keeps every field: each adds len(name) + len(value + "\n") + 2
        bytes to the count ``get_all_headers`` caps at 64 KiB."""
        total = 3 * len(decoded)
        for name in self._lc_names:  # (loops: compiled, cheaper than sum(map(len, ...)))
            total += len(name)
        for value in decoded:
            total += len(value)
        return total <= MAX_HEADER_LENGTH

    def _all_raw_text(self) -> bytes | None:
        """``get("ALL:raw")``: the pristine fields joined (:meth:`_pristine_fields`).

        When the header section ended at its empty line and does not start with a
        continuation line, every line of the pristine text starts a match of
        ``_PRISTINE_FIELD`` or continues one, so the matches tile it: all of it but the
        final LF-only line, which no match can end (in CRLF mode the final CRLF line is a
        match of its own). ``tests/unit/message/test_values_shortcuts.py`` checks this against
        the regex.
        """
        parsed = self._parsed
        pristine = parsed.pristine
        if not parsed.missing_separator and len(pristine) > 1 and pristine[0] not in b" \t":
            return pristine if parsed.crlf else pristine[:-1]
        return join_values(tuple(self._pristine_fields()))

    def _compute_all_headers(self) -> list[bytes]:
        decoded = self._decoded_all()
        fields = self._fields
        if self._all_fits(decoded):  # no field is cut: the lines are the fields in order
            return [f.name + b": " + v + b"\n" for f, v in zip(fields, decoded, strict=True)]
        positions: dict[bytes, list[int]] = {}
        for i, lc_name in enumerate(self._lc_names):
            positions.setdefault(lc_name, []).append(i)
        lines: dict[int, bytes] = {}
        size = 0
        truncated = False
        for lc_name, where in positions.items():  # dict order = order of first appearance
            for pos, contents in zip(where, self._get_header(lc_name, False), strict=True):
                size += len(lc_name) + len(contents) + 2
                if size > MAX_HEADER_LENGTH:
                    truncated = True
                    break
                lines[pos] = self._fields[pos].name + b": " + contents
            if truncated:
                self._note("ALL is cut at 65536 bytes, as in SpamAssassin")
                break
        return [lines[p] for p in sorted(lines)]

    def _pristine_fields(self) -> list[bytes]:
        return _PRISTINE_FIELD.findall(self._parsed.pristine)

    def _note(self, defect: str) -> None:
        if defect not in self._defects:
            self._defects.append(defect)

    # -- PMS _get -------------------------------------------------------------------------------

    def _compute(self, spec: bytes) -> tuple[bytes, ...]:
        req = _split_request(spec)
        handler = _PSEUDO_EXACT.get(req.name) or _PSEUDO_ANY_CASE.get(req.name.lower())
        if handler is not None:
            results, finished = handler(self, req)
            if finished:
                return tuple(results)
        else:
            results = self._ordinary(req)
        if not results:
            return ()
        if req.first:
            results = results[:1]
        elif req.last:
            results = results[-1:]
        if req.addr or req.name_mod:
            results = self._addresses(results, req)
        if results and (req.host or req.ip):
            results = self._hosts(results, req)
        return tuple(results)

    def _ordinary(self, req: _Request) -> list[bytes]:
        lc_name = req.name.lower()
        if req.raw or req.addr or req.name_mod:
            found = self._raw_header(req.name)
        else:
            found = self._get_header(lc_name, False)
        if not found:
            meta = self._metadata_value(lc_name)
            if meta is not None:
                found = [meta]
        return found

    def _addresses(self, results: list[bytes], req: _Request) -> list[bytes]:
        out: list[bytes] = []
        for line in results:
            for parsed in parse_header_addresses(line):
                if req.addr:
                    if parsed.address is not None:
                        out.append(parsed.address)
                elif parsed.phrase is not None:
                    if req.raw:
                        out.append(parsed.phrase)
                        continue
                    decoded = decode_mime_words(parsed.phrase, b"pms:get:" + req.name.lower())
                    # if (/\S/) { s/\s+/ /g; s/^ //; s/ $//; s/^'(.*?)'$/$1/ }: split()
                    # and strip() use exactly regex's \s bytes; the joined words hold no
                    # newline, so the quotes are simply the first and last byte.
                    words = decoded.split()
                    if words:
                        decoded = b" ".join(words)
                        if len(decoded) > 1 and decoded[0] == decoded[-1] == 0x27:
                            decoded = decoded[1:-1]
                    out.append(decoded)
        return out

    def _hosts(self, results: list[bytes], req: _Request) -> list[bytes]:
        out: list[bytes] = []
        if req.host:
            registry = self._registry_data()
            for line in results:
                host = find_host(line, req.addr, registry)
                if host and host != b"0":  # Perl truth: "" and "0" are false
                    out.append(trim_domain(host, registry) if req.domain else host)
            return out
        for line in results:
            ip = find_ip(line)
            if ip is not None:
                value = reverse_ip_address(ip) if req.revip else ip
                if value is not None:
                    out.append(value)
        return out

    def _registry_data(self) -> RegistryData:
        if self._registry is None:
            t = self._trust
            self._registry = registry_for(t.valid_tlds, t.two_level_domains, t.three_level_domains)
        return self._registry

    # -- pseudo-headers -------------------------------------------------------------------------

    def _all(self, req: _Request) -> tuple[list[bytes], bool]:
        return (self._pristine_fields() if req.raw else self._all_headers()), True

    def _rcvd_range(self, start: int | None, end: int | None, raw: bool) -> list[bytes]:
        """``get_all_hdrs_in_rcvd_index_range(start, end, 1, 1, raw)``."""
        if not raw and (start is None) != (end is None):
            low, high = self._rcvd_span(start, end)
            return _LINES.findall(self._all_joined() or b"", low, high)
        headers = self._pristine_fields() if raw else _LINES.findall(self._all_joined() or b"")
        current = -1
        out: list[bytes] = []
        for header in headers:
            if header[:9].lower() == b"received:":  # /^Received:/i
                current += 1
            if (start is None or start <= current) and (end is None or current < end):
                out.append(header)
            elif end is not None and current == end:
                out.append(header)
                break
        return out

    def _rcvd_span(self, start: int | None, end: int | None) -> tuple[int, int]:
        """Where :meth:`_rcvd_range` of the ``ALL`` lines with one bound lies in the
        joined ``ALL`` text: from the ``start``-th Received line (0-based) on, or up to
        and including the ``end``-th (all of it when there are fewer Received lines)."""
        text = self._all_joined() or b""
        marks = self._received_line_starts()
        if start is not None:
            return (marks[start], len(text)) if start < len(marks) else (0, 0)
        assert end is not None
        if end >= len(marks):
            return 0, len(text)
        return 0, text.find(b"\n", marks[end]) + 1 or len(text)

    def _received_line_starts(self) -> list[int]:
        """:func:`_find_received_lines` of the joined ``ALL`` text (computed once)."""
        if self._received_marks is None:
            self._all_lower = (self._all_joined() or b"").lower()
            self._received_marks = _find_received_lines(self._all_lower)
        return self._received_marks

    def _header_after_received(self, lc_name: bytes) -> bool:
        marks = self._received_line_starts()
        return _find_header_after_received(self._all_lower or b"", marks, lc_name)

    def _range_of(self, name: bytes) -> tuple[int | None, int | None]:
        """The Received index bounds of an ``ALL-*`` pseudo-header (PMS ``_get``)."""
        path = self.trust_path
        trusted = path.last_trusted_relay_index + 1
        internal = path.last_internal_relay_index + 1
        if name == b"ALL-TRUSTED":
            return None, trusted
        if name == b"ALL-INTERNAL":
            return None, internal
        if name == b"ALL-UNTRUSTED":
            return trusted, None
        return internal, None  # ALL-EXTERNAL

    def _all_range(self, req: _Request) -> tuple[list[bytes], bool]:
        start, end = self._range_of(req.name)
        return self._rcvd_range(start, end, req.raw), True

    def _envelope_from_pseudo(self, req: _Request) -> tuple[list[bytes], bool]:
        envf = self.envelope_from()
        return ([envf] if envf is not None else []), False

    def _tocc(self, req: _Request) -> tuple[list[bytes], bool]:
        return self._get_header(b"to", req.raw) + self._get_header(b"cc", req.raw), False

    def _messageid(self, req: _Request) -> tuple[list[bytes], bool]:
        index = self._index
        out = [
            v
            for name in _MESSAGEID_SOURCES
            if name in index
            for v in self._get_header(name, req.raw)
            if v
        ]
        return out, False

    def envelope_from(self) -> bytes | None:
        """``PMS get_envelope_from`` (sa-rules.md §5.9); None when SpamAssassin gives up."""
        if self._envelope_from is None:
            self._envelope_from = (self._compute_envelope_from(),)
        return self._envelope_from[0]

    def _first_addr(self, header: str) -> bytes | None:
        values = self.get_list(header + ":first:addr")
        return values[0] if values else None

    def _compute_envelope_from(self) -> bytes | None:
        configured = self._trust.envelope_sender_header
        if configured is not None:
            envf = self._first_addr(configured)
            if envf is not None and (envf.find(b"@") > 0 or envf == b""):
                return envf
            return None
        path = self.trust_path
        hop = path.untrusted[0] if path.untrusted else (path.trusted[-1] if path.trusted else None)
        if hop is not None:
            envf = hop.relay.envfrom
            if envf is not None and (envf.find(b"@") > 0 or envf == b""):
                return envf
        # A header the message lacks has no first address (these names are neither
        # pseudo-headers nor metadata): skip get() for it.
        sender = self._first_addr("X-Sender") if b"x-sender" in self._index else None
        if (
            sender is not None
            and b"@" in sender
            and any(b"(fetchmail" in v for v in self.get_list("Received"))
        ):
            return None
        for header, lc_name in (
            ("X-Envelope-From", b"x-envelope-from"),
            ("Envelope-Sender", b"envelope-sender"),
            ("Return-Path", b"return-path"),
        ):
            envf = self._first_addr(header) if lc_name in self._index else None
            if envf is None:
                continue
            if self._header_after_received(lc_name):
                if lc_name == b"x-envelope-from":
                    return None
                continue
            return envf
        return None

    def _metadata_value(self, lc_name: bytes) -> bytes | None:
        if lc_name not in _METADATA_NAMES:
            return None
        if self._metadata is None:
            meta: dict[bytes, bytes] = {}
            host = self.get_list("EnvelopeFrom:first:addr:host")
            if host:
                meta[b"x-senderdomain"] = idn_to_ascii(host[0])
            seen: list[bytes] = []
            for h in self.get_list("From:addr:host"):
                if h not in seen:
                    seen.append(h)
            if seen:
                meta[b"x-authordomain"] = b" ".join(idn_to_ascii(h) for h in seen)
            self._metadata = meta
        return self._metadata.get(lc_name)


def _relays_handler(which: str) -> Callable[[SAMessage, _Request], tuple[list[bytes], bool]]:
    def handler(msg: SAMessage, req: _Request) -> tuple[list[bytes], bool]:
        return [msg.trust_path.relays_string(which)], False

    return handler


_Handler = Callable[[SAMessage, _Request], tuple[list[bytes], bool]]

# Case-sensitive pseudo-headers (sa-rules.md §0 item 15). The boolean returned by a handler
# says whether _get returns at once (ALL and ALL-* skip :first/:last/:addr/...).
_PSEUDO_EXACT: dict[bytes, _Handler] = {
    b"ALL": SAMessage._all,
    b"ALL-TRUSTED": SAMessage._all_range,
    b"ALL-INTERNAL": SAMessage._all_range,
    b"ALL-UNTRUSTED": SAMessage._all_range,
    b"ALL-EXTERNAL": SAMessage._all_range,
    b"MESSAGEID": SAMessage._messageid,
}
# Case-insensitive pseudo-headers (looked up by the lower-cased name).
_PSEUDO_ANY_CASE: dict[bytes, _Handler] = {
    b"envelopefrom": SAMessage._envelope_from_pseudo,
    b"x-spam-relays-untrusted": _relays_handler("untrusted"),
    b"x-spam-relays-trusted": _relays_handler("trusted"),
    b"x-spam-relays-external": _relays_handler("external"),
    b"x-spam-relays-internal": _relays_handler("internal"),
    b"tocc": SAMessage._tocc,
}


def parse_sa_message(
    data: bytes, trust: TrustConfig | None = None, options: Options = DEFAULT_OPTIONS
) -> SAMessage:
    """Parse a message for SpamAssassin header rules.

    Args:
        data: the message bytes (a leading mbox ``From `` line is allowed, as in
            SpamAssassin; only the header section is read).
        trust: trust networks and related settings; default = stock SpamAssassin with
            inferred trust.
        options: limits (``regex_timeout`` bounds the Received patterns).

    Returns:
        An :class:`SAMessage`; header values are computed when first requested.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"parse_sa_message needs bytes, got {type(data).__name__}")
    return SAMessage(parse_headers(bytes(data)), trust or TrustConfig(), options)
