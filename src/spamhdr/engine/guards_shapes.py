"""Shape deciders: what a stock rule's regex does on a value, told without running it.

Input: a rule's translated ``regex`` pattern (bytes, as ``HeaderTest.pattern.pattern``).
Output: a :class:`Shape` — a :data:`Decider` of the value and its ASCII-lower-cased copy
that answers :data:`NO_MATCH` (the regex provably has no match), :data:`MATCHES` (it
provably has one) or :data:`MAY_MATCH` (not decided) — or None for every other pattern.

``groups.py`` asks a decider after the prefilter, the scan and the back-reference guards
(``guards.py``): NO_MATCH gives the rule its "no match" outcome without its regex;
MATCHES ends the rule without its regex only where a match alone fixes the outcome — a
``!~`` rule (no hit) and a ``=~`` sub-rule (``__``) without ``multiple`` (one hit; its span
is never reported, as for the exact Hyperscan path); otherwise the regex runs as always.

Why (issue 5): after the scan, ~5 timed regex calls per message were left, at ~1.9 µs
each (~1.4 µs of it ``regex``'s timeout bookkeeping: a ``clock_gettime`` syscall per
call), and the same dozen rules made 85 % of them: their regexes have a lookahead, a
back-reference or an empty match, which no automaton keeps exactly, and most of them
either almost never match (``INVALID_DATE_TZ_ABSURD``, ``HK_RANDOM_*``) or almost always
do (``TO_MALFORMED``, ``__LUNSUB_BEFORE_SUBJDT``). Their languages are simple enough to
decide with a few ``find`` calls.

Soundness: each decider's docstring argues from its pattern (as written in 4.0.1's rule
files, ``_SHAPES``) that NO_MATCH implies no match and MATCHES a match; an ``exact`` shape
never answers MAY_MATCH. ``tests/property/test_engine_guards_shapes.py`` checks both
implications (and, for exact shapes, equality) with ``regex`` itself, on values generated
to match and nearly match, and on the corpus, plus the byte facts used here, over all 256
bytes:

* ``\\s`` of ``regex`` bytes patterns is :data:`_SPACE` (what ``bytes.split()`` and the
  standard library's ``re`` use too); ``\\w`` and ``\\d`` are ASCII (``re``'s ``\\w``,
  ``bytes.isdigit``); ``[a-z]`` and literals under ``/i`` fold exactly the ASCII letters,
  as ``bytes.lower`` does (so ``/i`` patterns are decided on the lowered copy);
* ``$`` without ``/m`` matches at the end and before a final ``\\n``; ``^`` without ``/m``
  only at the start, with ``/m`` also after each ``\\n``.

A shape is attached to whatever rule has exactly its pattern, so a changed rule simply
loses it (the property test fails if a stock rule loses one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from spamhdr.engine.pattern_table import PatternTable

__all__ = ["MATCHES", "MAY_MATCH", "NO_MATCH", "Decider", "Shape", "shape_for"]

NO_MATCH: Final = 0
MAY_MATCH: Final = 1
MATCHES: Final = 2

#: (value, lowered value) → NO_MATCH, MAY_MATCH or MATCHES; ``lowered`` is ``b""`` when
#: the shape is not ``folded``.
Decider = Callable[[bytes, bytes], int]

#: What ``\s`` matches in ``regex`` bytes patterns (and in ``re``, and ``bytes.split()``).
_SPACE: Final = b" \t\n\r\x0b\x0c"
_WORD_RUN: Final = re.compile(rb"\w*")
_NON_SPACE_RUN: Final = re.compile(rb"\S*")
_NEWLINE: Final = 10


@dataclass(frozen=True, slots=True)
class Shape:
    """A decider and how to call it.

    Attributes:
        decide: the :data:`Decider`.
        folded: it reads the lower-cased copy (the pattern is ``/i``).
        exact: it never answers MAY_MATCH.
    """

    decide: Decider
    folded: bool
    exact: bool


def _run_end(run: re.Pattern[bytes], text: bytes, start: int) -> int:
    """Where the run of ``run`` (a ``[...]*`` class) from ``start`` ends."""
    found = run.match(text, start)
    return found.end() if found is not None else start


# --- Date ------------------------------------------------------------------------------


def _absurd_zone_ends_at(value: bytes, end: int) -> bool:
    """``[-+]`` and four digits end at ``end`` and are not ``(?:0\\d|1[0-4])(?:[03]0|[14]5)``."""
    start = end - 5
    if start < 0 or value[start : start + 1] not in (b"+", b"-"):
        return False
    digits = value[start + 1 : end]
    if not digits.isdigit():
        return False
    hours = digits[0] == 48 or (digits[0] == 49 and digits[1] <= 52)  # 0d, 10-14
    minutes = digits[2:] in (b"00", b"30", b"15", b"45")
    return not (hours and minutes)


def _absurd_zone(value: bytes, lowered: bytes) -> int:
    """``INVALID_DATE_TZ_ABSURD``: ``[-+](?!(?:0\\d|1[0-4])(?:[03]0|[14]5))\\d{4}$``.

    ``\\d{4}$`` puts the four digits right before a place ``$`` matches: the end of the
    value or, when the value ends with ``\\n``, just before it. The sign comes right before
    them and the lookahead reads exactly those four digits. Exact.
    """
    end = len(value)
    if _absurd_zone_ends_at(value, end):
        return MATCHES
    if end and value[end - 1] == _NEWLINE and _absurd_zone_ends_at(value, end - 1):
        return MATCHES
    return NO_MATCH


# --- X-Spam-Relays-External --------------------------------------------------------------


def _helo_not_rdns(value: bytes, lowered: bytes) -> int:
    """``__HELO_NOT_RDNS``: ``^[^\\]]+ rdns=(\\S+) helo=(?!(?i)\\1)\\S`` (the ``(?i)`` only
    inside the lookahead: ``rdns=`` and ``helo=`` are case-sensitive).

    ``[^\\]]+`` reaches a ``" rdns="`` that starts at 1 or later and no later than the first
    ``]``. The capture is a run of non-space bytes followed by a space, so it is the whole
    run after ``rdns=`` (non-empty); ``" helo="`` follows it, then a non-space byte where
    the capture does not begin, ASCII case ignored (on the lowered copy). Exact.
    """
    bracket = value.find(b"]")
    limit = len(value) if bracket < 0 else bracket
    rdns = value.find(b" rdns=", 1, limit + 6)
    while 0 < rdns <= limit:
        start = rdns + 6
        end = _run_end(_NON_SPACE_RUN, value, start)
        helo = end + 6
        if (
            end > start
            and value.startswith(b" helo=", end)
            and helo < len(value)
            and value[helo] not in _SPACE
            and not lowered.startswith(lowered[start:end], helo)
        ):
            return MATCHES
        rdns = value.find(b" rdns=", rdns + 1, limit + 6)
    return NO_MATCH


# --- From:addr, EnvelopeFrom, Reply-To:addr -------------------------------------------------

#: What ``HK_RANDOM_*`` needs after ``^[^@]*``, on the lowered copy.
_RANDOM_RUN: Final = re.compile(rb"[bcdfgjklmnpqrtvwxz]{5}|[aeiouy]{5}|([a-z]{1,2})\1{3}")


def _random_local_part(value: bytes, lowered: bytes) -> int:
    """``HK_RANDOM_FROM`` / ``_ENVFROM`` / ``_REPLYTO``: ``/^(?!…)[^@]*(?:[bcdfgjklmnpqrtvwxz]{5}|
    [aeiouy]{5}|([a-z]{1,2})(?:\\1){3})/mi`` — five consonants, five vowels or a one- or
    two-letter unit four times, in the local part.

    The lookahead only removes matches, so it is ignored. The run is made of letters and
    starts where ``^[^@]*`` can reach: after a line start with no ``@`` in between, so it
    lies in some line before that line's first ``@``. Looking for it there (``re`` on the
    lowered copy; ``/i`` folds ASCII only) is a necessary condition: NO_MATCH or MAY_MATCH.
    """
    start = 0
    size = len(lowered)
    while start <= size:
        line_end = lowered.find(b"\n", start)
        if line_end < 0:
            line_end = size
        at = lowered.find(b"@", start, line_end)
        if _RANDOM_RUN.search(lowered, start, line_end if at < 0 else at) is not None:
            return MAY_MATCH
        start = line_end + 1
    return NO_MATCH


# --- To, To:raw, To:addr -----------------------------------------------------------------------


def _to_has_address(value: bytes, lowered: bytes) -> int:
    """``TO_MALFORMED`` (a ``!~`` rule): its first alternative, ``(?:^|[^\\S"])(?:"[^"]+"|
    \\S+)\\@\\S+\\.\\S+``, matches when some white-space-separated token has an ``@`` after
    its first byte and, two bytes or more after that ``@``, a ``.`` that is not its last
    byte.

    ``[^\\S"]`` is a white-space byte, so ``\\S+`` starts a token (at the start of the
    value or after white space); ``\\S+@`` can end at any ``@`` of the token after its
    first byte, and ``\\S+\\.\\S+`` needs a ``.`` with a byte on each side inside the token.
    Only that alternative is tested: MATCHES or MAY_MATCH (the regex then runs).
    """
    if b"@" not in value:
        return MAY_MATCH
    for token in value.split():
        at = token.find(b"@", 1)
        if at > 0 and token.rfind(b".", at + 2, len(token) - 1) >= 0:
            return MATCHES
    return MAY_MATCH


def _is_quote(byte: int) -> bool:
    return byte == 34 or byte == 39


def _to_name_is_local_part(value: bytes, lowered: bytes) -> int:
    """``__PDS_TONAME_EQ_TOLOCAL``: ``^\\s*['"]?([^'"]+)['"]? <?\\1\\@`` — the display name
    is the address's local part (case-sensitive).

    The capture ``C = value[s:e]`` starts where ``^\\s*['"]?`` can end: anywhere in the
    leading white space, or after a quote that ends it. Between the capture and its copy
    comes ``M`` — one of ``" "``, ``" <"``, a quote and ``" "``, a quote and ``" <"`` — and
    the copy ends at an ``@``: for an ``@`` at ``a``, ``a - s = 2·len(C) + len(M)`` fixes
    ``e``. Every start, ``@`` and middle is tried, so the answer is exact.
    """
    size = len(value)
    lead = 0
    while lead < size and value[lead] in _SPACE:
        lead += 1
    last_start = lead + 1 if lead < size and _is_quote(value[lead]) else lead
    at = value.find(b"@", 1)
    while at >= 0:
        for start in range(min(last_start, at - 1) + 1):
            for middle in (1, 2, 3):
                twice = at - start - middle
                if twice < 2 or twice % 2:
                    continue
                end = start + twice // 2
                if middle == 1:
                    fits = value[end] == 32
                elif middle == 2:
                    fits = (_is_quote(value[end]) and value[end + 1] == 32) or (
                        value[end] == 32 and value[end + 1] == 60
                    )
                else:
                    fits = _is_quote(value[end]) and value[end + 1] == 32 and value[end + 2] == 60
                if not fits:
                    continue
                name = value[start:end]
                if b'"' not in name and b"'" not in name and value.startswith(name, end + middle):
                    return MATCHES
        at = value.find(b"@", at + 1)
    return NO_MATCH


def _always(value: bytes, lowered: bytes) -> int:
    """``__GB_TO_ADDR``: ``(?<GB_TO_ADDR>.*)`` matches the empty string at the start of any
    value (the capture feeds only ``uri`` rules, which spamhdr does not run). Exact."""
    return MATCHES


# --- From ------------------------------------------------------------------------------------


def _letters_and_at(lowered: bytes, at: int) -> bool:
    """``_?[a-z][a-z]\\@`` at ``at`` (``/i``: ASCII letters; ``_`` is not a letter, so an
    ``_`` there must be the optional one)."""
    if lowered.startswith(b"_", at):
        at += 1
    return lowered[at : at + 2].isalpha() and lowered.startswith(b"@", at + 2)


@dataclass(frozen=True, slots=True)
class QuotedNameAddress:
    """``__0_TZ_1`` / ``_2`` / ``_3``: ``^"(\\w)(\\w+) (\\w+)" <LEAD\\3_?[a-z][a-z]\\@`` with
    ``/i``, where ``LEAD`` is ``\\1\\2[._]?``, ``\\1[._]?`` or nothing.

    ``\\w`` excludes the space and the quote, so the two words are whole runs: ``\\1`` the
    first byte of the first (at least two bytes), ``\\2`` its rest, ``\\3`` the second
    word. After ``" <`` come ``LEAD`` (both choices of ``[._]?`` tried: ``\\3`` may start
    with ``_``), ``\\3`` and :func:`_letters_and_at`. Exact, on the lowered copy.

    Attributes:
        lead: how much of the first word ``LEAD`` repeats: 0, 1 (``\\1``) or 2 (``\\1\\2``).
    """

    lead: int

    def __call__(self, value: bytes, lowered: bytes) -> int:
        if not lowered.startswith(b'"'):
            return NO_MATCH
        first_end = _run_end(_WORD_RUN, lowered, 1)
        if first_end < 3 or not lowered.startswith(b" ", first_end):
            return NO_MATCH
        second_end = _run_end(_WORD_RUN, lowered, first_end + 1)
        if second_end == first_end + 1 or not lowered.startswith(b'" <', second_end):
            return NO_MATCH
        second = lowered[first_end + 1 : second_end]
        at = second_end + 3
        if self.lead:
            lead = lowered[1:2] if self.lead == 1 else lowered[1:first_end]
            if not lowered.startswith(lead, at):
                return NO_MATCH
            at += len(lead)
            if lowered[at : at + 1] in (b".", b"_") and (
                lowered.startswith(second, at + 1)
                and _letters_and_at(lowered, at + 1 + len(second))
            ):
                return MATCHES
        if lowered.startswith(second, at) and _letters_and_at(lowered, at + len(second)):
            return MATCHES
        return NO_MATCH


# --- ALL ----------------------------------------------------------------------------------------


def _at_line_start(lowered: bytes, needle: bytes, start: int = 0) -> int:
    """The first line-start occurrence of ``needle`` at or after ``start``, or -1."""
    found = lowered.find(needle, start)
    while found > 0 and lowered[found - 1] != _NEWLINE:
        found = lowered.find(needle, found + 1)
    return found


#: ``(?:[^\n]+\n+){1,40}``: how many non-empty lines the repetition may cross.
_LIST_LINES: Final = 40


def _list_unsubscribe_before(value: bytes, lowered: bytes) -> int:
    """``__LUNSUB_BEFORE_SUBJDT``: ``/^List-unsubscribe: (?:[^\\n]+\\n+){1,40}^(?:Subject|
    Date): /ism``.

    Each repetition takes the rest of a line (``[^\\n]+`` must reach the ``\\n``; the first
    one must be non-empty) and every newline after it (the next one needs a non-newline),
    so after ``k`` repetitions the match stands at the start of the ``k``-th non-empty line
    after the List-Unsubscribe line. It matches when the first later line starting with
    ``subject: `` or ``date: `` is among the next 40 non-empty lines. Exact.
    """
    found = _at_line_start(lowered, b"list-unsubscribe: ")
    while found >= 0:
        text = found + 18
        line_end = lowered.find(b"\n", text)
        if line_end > text:
            subject = lowered.find(b"\nsubject: ", line_end)
            date = lowered.find(b"\ndate: ", line_end)
            target = subject if date < 0 or 0 <= subject < date else date
            if target >= 0:
                # Lines crossed: those strictly between, plus the target line itself.
                if lowered.count(b"\n", line_end, target + 1) <= _LIST_LINES:
                    return MATCHES
                lines = sum(1 for line in lowered[line_end:target].split(b"\n") if line)
                if lines + 1 <= _LIST_LINES:
                    return MATCHES
        found = _at_line_start(lowered, b"list-unsubscribe: ", found + 1)
    return NO_MATCH


def _message_id_before_received(value: bytes, lowered: bytes) -> int:
    """``__MSGID_BEFORE_RECEIVED``: ``/^Message-Id:.*?^Received:/msi`` — a line starting
    with ``message-id:``, then (anything, newlines included) a line starting with
    ``received:``, which begins at least 11 bytes later. The earliest Message-Id line
    leaves the most room. Exact."""
    found = _at_line_start(lowered, b"message-id:")
    if found < 0:
        return NO_MATCH
    return MATCHES if lowered.find(b"\nreceived:", found + 10) >= 0 else NO_MATCH


def _from_line_fits(lowered: bytes, start: int, name: bytes, limit: int) -> bool:
    """``"?NAME"? <[^>]+>\\n`` at ``start``, its ``\\n`` ending at or before ``limit``."""
    for begin in (start, start + 1):
        if begin > start and not lowered.startswith(b'"', start):
            break
        if not lowered.startswith(name, begin):
            continue
        after = begin + len(name)
        if lowered.startswith(b'"', after):
            after += 1  # a quote there cannot be the space: "? must take it
        if not lowered.startswith(b" <", after):
            continue
        close = lowered.find(b">", after + 2)
        if close > after + 2 and lowered.startswith(b">\n", close) and close + 2 <= limit:
            return True
    return False


def _from_name_is_organization(value: bytes, lowered: bytes) -> int:
    """``__FROM_EQ_ORG_1``: ``/\\nFrom: "?([^\\n]+)"? <[^>]+>\\n.*Organization: \\1\\n/ism``.

    The copy ends at a newline and holds none, so it is the whole rest of the line after
    an ``organization: `` (anywhere: ``.*`` spans lines); that fixes the capture. On a From
    line before it, the capture starts after ``from: `` or after a quote there, is followed
    by an optional quote (taken when present: a space must come next), `` <``, a non-empty
    run without ``>`` (it may cross lines), ``>`` and a newline that ends before the
    ``organization: ``. Exact.
    """
    organization = lowered.find(b"organization: ")
    while organization >= 0:
        text = organization + 14
        line_end = lowered.find(b"\n", text)
        if line_end > text:
            name = lowered[text:line_end]
            line = lowered.find(b"\nfrom: ")
            while 0 <= line < organization:
                if _from_line_fits(lowered, line + 7, name, organization):
                    return MATCHES
                line = lowered.find(b"\nfrom: ", line + 1)
        organization = lowered.find(b"organization: ", organization + 1)
    return NO_MATCH


# --- MESSAGEID --------------------------------------------------------------------------------


def _dollar_id_at(lowered: bytes, start: int) -> bool:
    """``\\w{4,}\\$\\w{4,}\\$(?!localhost)\\w{4,}\\@\\S+>`` at ``start`` (after a ``<``)."""
    for _ in range(2):
        end = _run_end(_WORD_RUN, lowered, start)
        if end - start < 4 or not lowered.startswith(b"$", end):
            return False
        start = end + 1
    if lowered.startswith(b"localhost", start):
        return False
    end = _run_end(_WORD_RUN, lowered, start)
    if end - start < 4 or not lowered.startswith(b"@", end):
        return False
    return lowered.find(b">", end + 2, _run_end(_NON_SPACE_RUN, lowered, end + 1)) >= 0


def _dollar_message_id(value: bytes, lowered: bytes) -> int:
    """``__MSGID_DOLLARS_MAYBE``: ``/<\\w{4,}\\$\\w{4,}\\$(?!localhost)\\w{4,}\\@\\S+>/i``.

    ``\\w`` excludes ``$``, ``@`` and ``<``, so from each ``<`` the three words are whole
    runs of word bytes, each followed by its ``$`` or ``@``; the lookahead reads the start
    of the third (lowered: ``/i``); ``\\S+>`` needs a ``>`` in the non-space run after the
    ``@``, not at its first byte. Exact.
    """
    found = lowered.find(b"<")
    while found >= 0:
        if _dollar_id_at(lowered, found + 1):
            return MATCHES
        found = lowered.find(b"<", found + 1)
    return NO_MATCH


#: Stock patterns (rules/*.cf of 4.0.1, as written) with their shapes.
_SHAPES: Final[dict[str, Shape]] = {
    r"/[-+](?!(?:0\d|1[0-4])(?:[03]0|[14]5))\d{4}$/": Shape(_absurd_zone, False, True),
    r"/^[^\]]+ rdns=(\S+) helo=(?!(?i)\1)\S/": Shape(_helo_not_rdns, True, True),
    r"/^(?!(?:mail|bounce)[_.-]|[^@]*(?:[+=^~\#-]|mc(?:b|g)r|kpmg|nlpbr|ndqv|lcgc|cplpr)|"
    r"[^@]{26}|.*?\@.{0,20}\b(?:cmp-info|cmpgnr|cnn|tori|jysk|amadeus|amazon)\.[a-z]{2,3}$)"
    r"[^@]*(?:[bcdfgjklmnpqrtvwxz]{5}|[aeiouy]{5}|([a-z]{1,2})(?:\1){3})/mi": Shape(
        _random_local_part, True, False
    ),
    r"/(?:^|[^\S\"])(?:(?:\"[^\"]+\"|\S+)\@\S+\.\S+|^\s*.+:\s*;|^\s*\"[^\"]+\":\s*;|"
    r"^\s*\([^\)]*\)\s*$|<\S+(?:\!\S+){1,}>|^\s*$)/": Shape(_to_has_address, False, False),
    r"""/^\s*['"]?([^'"]+)['"]? <?\1\@/""": Shape(_to_name_is_local_part, False, True),
    r"/(?<GB_TO_ADDR>.*)/": Shape(_always, False, True),
    r"/^List-unsubscribe: (?:[^\n]+\n+){1,40}^(?:Subject|Date): /ism": Shape(
        _list_unsubscribe_before, True, True
    ),
    r"/<\w{4,}\$\w{4,}\$(?!localhost)\w{4,}\@\S+>/i": Shape(_dollar_message_id, True, True),
    r"/^Message-Id:.*?^Received:/msi": Shape(_message_id_before_received, True, True),
    r'/\nFrom: "?([^\n]+)"? <[^>]+>\n.*Organization: \1\n/ism': Shape(
        _from_name_is_organization, True, True
    ),
    r"/^\"(\w)(\w+) (\w+)\" <\1\2[\._]?\3_?[a-z][a-z]\@/i": Shape(QuotedNameAddress(2), True, True),
    r"/^\"(\w)(\w+) (\w+)\" <\1[\._]?\3_?[a-z][a-z]\@/i": Shape(QuotedNameAddress(1), True, True),
    r"/^\"(\w)(\w+) (\w+)\" <\3_?[a-z][a-z]\@/i": Shape(QuotedNameAddress(0), True, True),
}

_TABLE: Final[PatternTable[Shape]] = PatternTable(_SHAPES)


def shape_for(translated: bytes) -> Shape | None:
    """The shape of a translated rule pattern, or None (module docstring)."""
    return _TABLE.get(translated)
