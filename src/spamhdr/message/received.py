"""One ``Received:`` value → a relay record, as ``Message/Metadata/Received.pm`` parses it.

Input: the decoded value of one ``Received`` header (or a synthetic ``from
X-Originating-IP: <ip>`` line). Output: a :class:`Relay`, :data:`SKIPPED` (a handover that
is deliberately ignored: local delivery, fetchmail, BSMTP ...), or ``None`` (unparseable).
Invariants: pure, never raises; field values contain no whitespace or ``#[]()<>|`` (those
become ``!``, sa-rules.md §5.8).

This is SpamAssassin's ``parse_received_line`` re-expressed in three stages, one module
each: this module normalises the line and reads the fields every format shares (id, helo,
by; the auth marker comes from :mod:`spamhdr.message.received_auth`),
:mod:`spamhdr.message.received_formats` tries the MTA-specific formats in ``Received.pm``'s
order, and the ``enough:`` block below cleans the fields. The patterns live in
:mod:`spamhdr.message.received_grammar`, the records in :mod:`spamhdr.message.received_model`.

Speed (issue 5): most lines are tried against a few dozen formats, so cheap exact tests go
first — a substring every match must contain (a guard, ``_guarded.py``), the shape of the
line's start (``received_formats.line_shape``), a date search started near the end — and
each is checked against its pattern by ``tests/unit/message/test_received_*.py``. The
literal tests read the line's latin-1 text (and that of its ASCII-lower-cased copy), which
holds a literal exactly where the bytes do, at a third of the cost of ``bytes in bytes``
on CPython 3.11 (``_guarded.py``); the patterns run on the bytes.
"""

from __future__ import annotations

import regex

from spamhdr.message.received_auth import find_auth
from spamhdr.message.received_formats import (
    BoundedSearch,
    match_from,
    match_paren_from,
    match_simta,
)
from spamhdr.message.received_grammar import (
    BRACKET_DOTTED,
    BY,
    DATE,
    DATE_SHORT,
    DATE_SHORT_BYTES,
    ENVFROM_LEAD,
    ENVFROM_TRAIL,
    FALLBACK_IP,
    FROM_BY_SEMI,
    HELO_CMD,
    HELO_EQ,
    ID,
    IPV6_PREFIX,
    MAPPED_V4,
    SCOPE,
    STRIP_TABLE,
    UNKNOWN_RDNS,
    WITH_LOCAL_FOR,
    AnyMatch,
    is_private_ip,
)
from spamhdr.message.received_model import SKIPPED, Fields, ParseOutcome, Relay, Skipped

__all__ = ["SKIPPED", "ParseOutcome", "ReceivedParser", "Relay", "Skipped", "is_private_ip"]


class ReceivedParser:
    """``parse_received_line`` with a regex time limit for the few backtracking patterns."""

    __slots__ = ("timed_out", "timeout")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.timed_out = False

    def parse(self, line: bytes) -> ParseOutcome:
        """Parse one Received value (folds may remain: all white space is normalised).

        Returns:
            A :class:`Relay`; :data:`SKIPPED` or another :class:`Skipped` (``return 0`` in Perl);
            ``None`` when the line could not be parsed.
        """
        m: AnyMatch | None
        # s/\s+/ /g, then one leading and one trailing space removed: bytes.split()
        # splits at runs of exactly regex's \s bytes and drops empty ends.
        s = b" ".join(line.split())
        # 1 while s/\s?;$//: no newline is left, and every space is single now.
        while s.endswith(b";"):
            s = s[:-1]
            if s.endswith(b" "):
                s = s[:-1]
        # The literal tests below run on the line's latin-1 text (see _guarded.py: the same
        # answer as on the bytes, at a third of the cost); the patterns run on the bytes.
        text = s.decode("latin-1")
        # Lower-cased as bytes (ASCII only, as Perl's /i on bytes), then read as latin-1.
        low = s.lower().decode("latin-1")
        # /^\(?from /i
        if not (low.startswith("from ") or low.startswith("(from ")) or (
            "with local for" in text and WITH_LOCAL_FOR.pattern.search(s)
        ):
            return SKIPPED
        # FROM_BY_SEMI needs "from <token> by " (case-insensitive) at the start.
        space = text.find(" ", 5)
        if space > 0 and low[space : space + 4] == " by ":
            m = FROM_BY_SEMI.match(s)
            if m and not BRACKET_DOTTED.match(m.group(1)):
                return SKIPPED
        cut = _date_start(s, text, self._search)
        if cut < len(s):
            s, text, low = s[:cut], text[:cut], low[:cut]
        if ")by " in text:
            s = s.replace(b")by ", b") by ", 1)
            text = s.decode("latin-1")
            low = s.lower().decode("latin-1")
        f = Fields()
        if m := ID.search(s):
            f.id = m.group(1)
        if ("helo=" in text and (m := HELO_EQ.pattern.search(s))) or (
            ("EHLO" in text or "HELO" in text) and (m := HELO_CMD.pattern.search(s))
        ):
            f.helo = m.group(1)
        if m := BY.search(s):
            f.by = m.group(1)
        f.auth = find_auth(s, text, low, self._search)
        outcome: bool | Skipped | None
        if s.startswith(b"from "):
            outcome = match_from(s[5:], text[5:], low[5:], f, self._search)
        elif s.startswith(b"FROM "):
            outcome = match_simta(s[5:], f)
        elif s.startswith(b"(from "):
            outcome = match_paren_from(s[6:], f)
            s = s[6:]
        else:
            outcome = None
        if isinstance(outcome, Skipped):
            return outcome
        if outcome is None or outcome is False:
            rest = s[5:] if s.startswith((b"from ", b"FROM ")) else s
            if not f.ip and (m := FALLBACK_IP.search(rest)):
                f.ip = m.group(1)
            if not (f.ip and f.by):
                return None
        return _finish(f)

    def _search(self, pattern: regex.Pattern[bytes], s: bytes) -> regex.Match[bytes] | None:
        try:
            return pattern.search(s, timeout=self.timeout)
        except TimeoutError:
            self.timed_out = True
            return None


def _date_start(s: bytes, text: str, bounded: BoundedSearch) -> int:
    r"""Where ``s/[\s;]+(?:day, )?\d+ mon \d+ \d+:\d+(?::\d+)? \S+$//`` cuts ``s``, or ``len(s)``.

    The pattern ends in ``\S+$`` and ``s`` holds no newline, so a match runs to the end
    of ``s``: the substitution keeps ``s[:cut]`` (``test_received_guards.py`` compares
    the two).

    The date part after the ``[\s;]+`` run holds at most five spaces and ``s`` has no other
    white space, so every match starts inside or after the run of spaces and semicolons
    that contains the sixth space from the end: searching from the start of that run finds
    the same leftmost match as searching from 0 (the pattern has no look-behind or anchor
    at its start), without trying the pattern at every earlier space.

    ``text`` is ``s.decode("latin-1")``: the same positions, and its ``find``/``rfind`` are
    mypyc primitives (those of bytes are Python method calls).
    """
    last = text.rfind(" ")
    second_last = text.rfind(" ", 0, last)
    # The last token is the zone (\S+$), the one before it the time: it must hold ":" and
    # start with a digit, or no match can end at the end of s. (When it holds ":", it is
    # not empty, so its first byte exists: 0x30-0x39 are the digits b"0"-b"9".)
    if (
        last < 0
        or text.find(":", second_last + 1, last) < 0
        or not 0x30 <= s[second_last + 1] <= 0x39
    ):
        return len(s)
    start = second_last
    for _ in range(4):
        start = text.rfind(" ", 0, start)
        if start < 0:
            start = 0
            break
    while start > 0 and s[start - 1] in (0x20, 0x3B):  # b" ", b";"
        start -= 1
    # No look-behind or anchor at its start: searching the tail gives the same match.
    tail = s[start:]
    m = DATE_SHORT.search(tail) if len(tail) <= DATE_SHORT_BYTES else bounded(DATE, tail)
    return len(s) if m is None else start + m.start()


def _finish(f: Fields) -> Relay:
    """The ``enough:`` label: clean the fields and build the relay."""
    # Each substitution runs only when the literal it needs is there, and each bytes method
    # only when it changes something (speed only: unlike slices and startswith/endswith,
    # they are Python method calls under mypyc).
    rdns = f.rdns
    if rdns.endswith(b"."):
        rdns = rdns.rstrip(b".")  # s/\.+$//
    if rdns[:1] == b"[" or (
        len(rdns) <= 8 and rdns[:1] in (b"u", b"U") and UNKNOWN_RDNS.match(rdns)
    ):
        rdns = b""
    ip = f.ip
    if 0x3A in ip and ip[:5].lower() == b"ipv6:":  # b":" first: most are IPv4 addresses
        ip = IPV6_PREFIX.sub(b"", ip, count=1)
    if ip.startswith(b"["):
        ip = ip[1:]
    if ip.endswith(b"]"):
        ip = ip[:-1]
    # b"%": an integer needle is a memchr; a bytes needle first raises and clears a
    # TypeError (CPython 3.11).
    if 0x25 in ip:
        ip = SCOPE.sub(b"", ip, count=1)
    if 0x3A in ip:  # b":" (most addresses are IPv4)
        low = ip.lower().decode("latin-1")
        if "ffff:" in low:
            ip = MAPPED_V4.sub(rb"\1", ip, count=1)
    by = f.by
    if by.endswith(b";"):
        by = by[:-1]
    envfrom = f.envfrom
    if envfrom is not None:
        envfrom = ENVFROM_LEAD.sub(b"", envfrom, count=1)
        envfrom = ENVFROM_TRAIL.sub(b"", envfrom, count=1)
        envfrom = envfrom.translate(STRIP_TABLE)
    ip = ip.translate(STRIP_TABLE)
    return Relay(  # positional (ip, rdns, helo, by, ident, envfrom, id, auth, ip_private)
        ip,
        rdns.translate(STRIP_TABLE),
        f.helo.translate(STRIP_TABLE),
        by.translate(STRIP_TABLE),
        f.ident.translate(STRIP_TABLE),
        envfrom,
        f.id,
        f.auth,
        is_private_ip(ip),
    )
