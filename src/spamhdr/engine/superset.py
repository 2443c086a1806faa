"""Rule regex → a byte-exact *superset* pattern in the syntax Hyperscan compiles.

Input: a compiled ``regex`` bytes pattern (a rule's Perl regex after the rule compiler's
translation). Output: pattern text for Hyperscan (PCRE syntax, no Hyperscan flags needed),
or None when no safe translation exists.

Invariant (soundness): every string the ``regex`` pattern matches somewhere is matched
somewhere by the output. The multi-pattern backend (``multipattern.py``) only uses the
output to rule candidates *out*; every candidate is still confirmed with ``regex``, so
hits, spans and counts are ``regex``'s own. The output may match more (it is a
prefilter), never less. How that is ensured:

* the pattern is parsed with CPython's ``re`` parser (parsing only; as ``prefilter.py``),
  and a new pattern is *generated* from the parse tree, so no syntax is passed through to
  a second parser that might read it differently (``{,n}``, ``\\g<N>``, ``$`` vs ``\\Z``);
* every character class, literal and ``.`` becomes an explicit byte set, computed by
  running ``regex`` itself on all 256 bytes with the flags in force (``/i``, ``/s``).
  Hyperscan's own case folding is never used, so whatever ``regex`` folds (ASCII only in
  bytes patterns; the rule translator spells Perl's Latin-1 folding out as classes) is
  what the set contains;
* constructs with no exact Hyperscan equivalent become something weaker: lookarounds and
  multi-line ``^``/``$`` disappear (an assertion only removes matches), a back-reference
  becomes its group's content — the referenced text is a string the group matched, so it
  is in that language wherever it stands, with the back-reference's case folding added —
  or "any bytes" when the group holds an anchor or a back-reference of its own
  (``__IP_IN_RELAY``'s ``\\1\\D\\2…`` then asks for digits: 22 candidates in 1,000
  messages instead of 815), conditionals become the alternation of both branches, atomic groups
  and possessive or lazy repeats become plain greedy ones;
* inline ``(?i)``/``(?m)``/``(?s)`` groups are applied to the whole pattern (``regex``
  applies one from where it stands; wider case folding, ``.`` matching newlines and
  dropped multi-line anchors only add matches); POSIX classes inside a class are spelled
  out as the bytes ``regex`` gives them; verbose (``/x``) patterns are read by the ``re``
  parser with its verbose flag when they hold no ``#`` and no white space but spaces,
  tabs and newlines (skipped alike by all three engines), and anything the ``re`` parser
  refuses or warns about gets no translation.

The anchors kept (``\\A``, ``\\Z`` for a non-multi-line ``$``, ``\\z``, ``\\b``, ``\\B``)
have the same meaning in Hyperscan's non-UTF-8 mode as in ``regex`` bytes patterns; the
unit table in ``tests/unit/engine/test_engine_superset.py`` checks each against both.

*Exact* translations (:attr:`Translation.exact`): when nothing above had to be dropped or
widened, the text matches somewhere exactly when ``regex`` does — byte sets are ``regex``'s
own, ASCII case pairs rely on Hyperscan folding ASCII letters only (checked for all 256
bytes in the same test file), lazy repeats do not change whether a match exists. Such a
pattern is compiled without ``HS_FLAG_PREFILTER`` (which may approximate on its own), and
``groups.py`` may then take the scan's answer for the regex's.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from dataclasses import dataclass
from typing import Any, Final

import regex

__all__ = ["Translation", "superset_pattern", "translate"]

_sre_parse: Any
_c: Any
try:  # CPython 3.11+: the stdlib regular-expression parser (parsing only, no matching).
    _sre_parse = importlib.import_module("re._parser")
    _c = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - other interpreters: no translation
    _sre_parse = None
    _c = None

_ALL_BYTES: Final = bytes(range(256))
_I: Final = 2  # re.IGNORECASE (the standard flag bits are shared by re and regex)
_M: Final = 8  # re.MULTILINE
_S: Final = 16  # re.DOTALL
_X: Final = 64  # re.VERBOSE
_INLINE_LETTERS: Final = {ord("i"): _I, ord("m"): _M, ord("s"): _S, ord("x"): _X}
#: Verbose (``/x``) patterns are translated only without these bytes: no ``#`` comment
#: (it could hide a ``[`` from ``_rewrite``), and white space only of the kinds the
#: ``re`` parser, ``regex`` and Perl all skip alike (space, tab, newline).
_VERBOSE_UNSAFE: Final = frozenset(b"#\r\x0b\x0c\x85\xa0")
#: ``\\g<N>`` / ``\\g<name>`` after an even number of backslashes (``regex`` syntax the
#: ``re`` parser lacks): replaced by a group reference ``re`` reads as "any back-reference".
_GROUP_REFERENCE: Final = regex.compile(rb"(?<!\\)((?:\\\\)*)\\g<(\w+)>")
#: Above this many nodes a translation is not attempted (guards recursion depth).
MAX_DEPTH: Final = 200


class _Refuse(Exception):
    """No safe translation."""


@functools.lru_cache(maxsize=4096)
def _byte_set(source: bytes, flags: int) -> frozenset[int]:
    """The bytes the one-character ``regex`` pattern ``source`` matches under ``flags``."""
    compiled = regex.compile(source, flags | regex.ASCII)
    return frozenset(m[0] for m in compiled.findall(_ALL_BYTES))


def _hex(byte: int) -> bytes:
    return b"\\x%02x" % byte


def _member(byte: int) -> bytes:
    # Letters and digits stand for themselves in a class (shorter: Hyperscan limits
    # pattern length); everything else is a hex escape.
    return (
        bytes((byte,))
        if 0x30 <= byte <= 0x39 or 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A
        else _hex(byte)
    )


def _emit_set(members: frozenset[int], caseless: bool = False) -> bytes:
    """A class for exactly ``members``; inside a ``(?i:`` group (``caseless``) an ASCII
    letter pair is written as the lower-case letter (Hyperscan's folding of it is the
    same pair; anything it folds beyond that only adds matches)."""
    if not members:
        raise _Refuse("empty class")
    ordered = sorted(members)
    if len(ordered) == 1:
        return _member(ordered[0])
    pair = len(ordered) == 2 and 0x41 <= ordered[0] <= 0x5A and ordered[1] == ordered[0] + 0x20
    if caseless and pair:
        return bytes((ordered[1],))
    parts: list[bytes] = []
    start = prev = ordered[0]
    for byte in [*ordered[1:], -2]:
        if byte == prev + 1:
            prev = byte
            continue
        if start == prev:
            parts.append(_member(start))
        elif start + 1 == prev:
            parts.append(_member(start) + _member(prev))
        else:
            parts.append(_member(start) + b"-" + _member(prev))
        start = prev = byte
    return b"[" + b"".join(parts) + b"]"


_CATEGORY_SOURCE: Final[dict[str, bytes]] = {
    "CATEGORY_DIGIT": rb"\d",
    "CATEGORY_NOT_DIGIT": rb"\D",
    "CATEGORY_SPACE": rb"\s",
    "CATEGORY_NOT_SPACE": rb"\S",
    "CATEGORY_WORD": rb"\w",
    "CATEGORY_NOT_WORD": rb"\W",
}


def _class_source(items: list[tuple[Any, Any]]) -> bytes:
    """The items of a parsed class as ``regex`` class text with hex escapes."""
    out = [b"["]
    for op, av in items:
        if op is _c.NEGATE:
            out.append(b"^")
        elif op is _c.LITERAL:
            out.append(_hex(av))
        elif op is _c.RANGE:
            out.append(_hex(av[0]) + b"-" + _hex(av[1]))
        elif op is _c.CATEGORY and str(av) in _CATEGORY_SOURCE:
            out.append(_CATEGORY_SOURCE[str(av)])
        else:
            raise _Refuse(f"class item {op}")
    out.append(b"]")
    return b"".join(out)


class _Context:
    """Per-translation switches and findings; ``groups``: capture group number → (its
    parsed content, the flags in force there), for back-references (``_emit``)."""

    __slots__ = ("anchors", "exact", "groups")

    def __init__(self, anchors: bool, groups: dict[int, tuple[Any, int]] | None = None) -> None:
        self.anchors = anchors
        self.exact = True  # nothing was dropped or widened so far
        self.groups = groups if groups is not None else {}


def _collect_groups(items: Any, flags: int, found: dict[int, tuple[Any, int]]) -> None:
    """Record every capture group of a parsed sequence with the flags in force inside it."""
    for op, av in items:
        if op is _c.SUBPATTERN:
            group, add_flags, del_flags, sub = av
            inner = (flags | (add_flags & (_I | _M | _S))) & ~del_flags
            if group is not None:
                found[group] = (sub, inner)
            _collect_groups(sub, inner, found)
        elif op is _c.BRANCH:
            for branch in av[1]:
                _collect_groups(branch, flags, found)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            _collect_groups(av[2], flags, found)
        elif op is _c.ATOMIC_GROUP:
            _collect_groups(av, flags, found)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            _collect_groups(av[1], flags, found)


def _position_free(items: Any) -> bool:
    """Whether a parsed sequence matches the same strings wherever it stands: no anchor,
    word boundary, back-reference or conditional (lookarounds are dropped when emitted,
    which only adds matches)."""
    for op, av in items:
        if op in (_c.AT, _c.GROUPREF, _c.GROUPREF_EXISTS):
            return False
        if op is _c.SUBPATTERN and not _position_free(av[3]):
            return False
        if op is _c.BRANCH and not all(_position_free(branch) for branch in av[1]):
            return False
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and not _position_free(av[2]):
            return False
        if op is _c.ATOMIC_GROUP and not _position_free(av):
            return False
    return True


def _emit(items: Any, flags: int, depth: int, ctx: _Context, caseless: bool) -> bytes:
    """Generate the superset text of a parsed sequence under ``flags`` (I/M/S);
    ``caseless``: the text lands inside a Hyperscan ``(?i:`` group. Anything widened
    clears ``ctx.exact``."""
    if depth > MAX_DEPTH:
        raise _Refuse("too deep")
    fold = flags & _I
    out: list[bytes] = []
    for op, av in items:
        if op is _c.LITERAL:
            out.append(_emit_set(_byte_set(b"[" + _hex(av) + b"]", fold), caseless))
        elif op is _c.NOT_LITERAL:
            out.append(_emit_set(_byte_set(b"[^" + _hex(av) + b"]", fold), caseless))
        elif op is _c.ANY:
            out.append(_emit_set(_byte_set(b".", flags & _S), caseless))
        elif op is _c.IN:
            out.append(_emit_set(_byte_set(_class_source(av), fold), caseless))
        elif op is _c.BRANCH:
            branches = [_emit(branch, flags, depth + 1, ctx, caseless) for branch in av[1]]
            out.append(b"(?:" + b"|".join(branches) + b")")
        elif op is _c.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            inner = (flags | (add_flags & (_I | _M | _S))) & ~del_flags
            if inner & _I and not caseless:
                out.append(b"(?i:" + _emit(sub, inner, depth + 1, ctx, True) + b")")
            elif caseless and not inner & _I:
                out.append(b"(?-i:" + _emit(sub, inner, depth + 1, ctx, False) + b")")
            else:
                out.append(b"(?:" + _emit(sub, inner, depth + 1, ctx, caseless) + b")")
        elif op is _c.ATOMIC_GROUP:
            ctx.exact = False  # backtracking into it is allowed now: more matches
            out.append(b"(?:" + _emit(av, flags, depth + 1, ctx, caseless) + b")")
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            # Lazy or greedy does not change *whether* a match exists; possessive does.
            if op is _c.POSSESSIVE_REPEAT:
                ctx.exact = False
            low, high, sub = av
            body = _emit(sub, flags, depth + 1, ctx, caseless)
            bound = b"{%d,}" % low if high is _c.MAXREPEAT else b"{%d,%d}" % (low, high)
            out.append(b"(?:" + body + b")" + bound)
        elif op is _c.AT:
            out.append(_anchor(av, flags, ctx, leading=depth == 0 and not out))
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            ctx.exact = False  # an assertion only removes matches
        elif op is _c.GROUPREF:
            ctx.exact = False
            group = ctx.groups.get(av)
            if group is not None and _position_free(group[0]):
                # The referenced text is a string the group matched: in its language
                # (with the back-reference's case folding added), wherever it stands.
                content, group_flags = group
                body = _emit(content, group_flags | (flags & _I), depth + 1, ctx, caseless)
                out.append(b"(?:" + body + b")")
            else:
                out.append(b"[\\x00-\\xff]*")  # the referenced text: some bytes
        elif op is _c.GROUPREF_EXISTS:
            ctx.exact = False
            _group, yes, no = av
            other = _emit(no, flags, depth + 1, ctx, caseless) if no is not None else b""
            yes_text = _emit(yes, flags, depth + 1, ctx, caseless)
            out.append(b"(?:" + yes_text + b"|" + other + b")")
        else:
            raise _Refuse(f"node {op}")
    return b"".join(out)


def _anchor(code: Any, flags: int, ctx: _Context, leading: bool) -> bytes:
    name = str(code)
    if not ctx.anchors:
        ctx.exact = False
        return b""
    if flags & _M and name == "AT_END":
        return b"(?m:$)"  # before any newline or at the end, in both engines
    if flags & _M and name == "AT_BEGINNING":
        if leading:
            # Hyperscan's multi-line ^ never matches after a newline that ends the
            # data; regex's does. That position only matters to a rest that matches
            # the empty string, and the rest of a pattern whose first node this is
            # cannot (patterns that can match empty get no translation).
            return b"(?m:^)"
        ctx.exact = False  # elsewhere Hyperscan refuses it: dropped (a superset)
        return b""
    kept = {
        "AT_BEGINNING": b"\\A",
        "AT_BEGINNING_STRING": b"\\A",
        "AT_END": b"\\Z",  # regex's non-multi-line $: end, or before a final newline
        "AT_END_STRING": b"\\z",  # Python's \Z is PCRE's \z
        "AT_BOUNDARY": b"\\b",
        "AT_NON_BOUNDARY": b"\\B",
    }
    if name not in kept:
        raise _Refuse(f"anchor {name}")
    return kept[name]


_POSIX_CLASS: Final = regex.compile(rb"\[:\^?[a-z]+:\]")


def _posix_members(name: bytes) -> bytes:
    """A POSIX class (``[:alpha:]``, ``[:^digit:]``) as the class items ``regex`` gives it."""
    return b"".join(_hex(byte) for byte in sorted(_byte_set(b"[" + name + b"]", 0)))


def _rewrite(text: bytes) -> tuple[bytes, int, bool] | None:
    """Remove inline ``(?ims)`` groups outside classes and spell out POSIX classes inside
    them. Returns the text, the removed flags and whether one of them stood after the
    start of the pattern (then applying it globally widens), or None (an inline ``x``).

    A removed flag is applied to the whole pattern, which can only add matches (wider
    case folding, ``.`` matching newlines, multi-line anchors dropped), whatever scope
    ``regex`` gives it. POSIX classes are a ``regex`` feature the ``re`` parser reads as
    literal characters; outside a class they are plain sets and left alone.
    """
    out = bytearray()
    flags = 0
    widened = False
    i, n = 0, len(text)
    in_class = False
    while i < n:
        byte = text[i]
        if byte == 0x5C:  # backslash: copy the escape whole
            out += text[i : i + 2]
            i += 2
            continue
        if in_class:
            if byte == 0x5B and (posix := _POSIX_CLASS.match(text, i)):
                members = _posix_members(posix[0])
                if not members:
                    return None
                out += members
                i = posix.end()
                continue
            if byte == 0x5D:  # ]
                in_class = False
            out.append(byte)
            i += 1
            continue
        if byte == 0x5B:  # [ — a ']' right after '[' or '[^' is a member
            out.append(byte)
            i += 1
            if i < n and text[i] == 0x5E:
                out.append(text[i])
                i += 1
            if i < n and text[i] == 0x5D:
                out.append(text[i])
                i += 1
            in_class = True
            continue
        if text.startswith(b"(?", i):
            close = text.find(b")", i)
            letters = text[i + 2 : close] if close > 0 else b""
            if letters and all(ch in _INLINE_LETTERS for ch in letters):
                if ord("x") in letters and out:
                    return None  # verbose from here on: not a superset if made global
                for ch in letters:
                    flags |= _INLINE_LETTERS[ch]
                widened = widened or bool(out)
                i = close + 1
                continue
        out.append(byte)
        i += 1
    return bytes(out), flags, widened


def _group_reference(found: regex.Match[bytes]) -> bytes:
    name = found[2]
    return found[1] + (b"(?:\\" + name + b")" if name.isdigit() else b"(?P=" + name + b")")


def _nullable(items: Any) -> bool:
    """Whether a parsed sequence can match the empty string (anchors and assertions are
    zero-width, so they count as empty here: over-approximated, which only means "no
    translation")."""
    for op, av in items:
        if op in (_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN):
            return False
        if op is _c.BRANCH:
            if not any(_nullable(branch) for branch in av[1]):
                return False
        elif op is _c.SUBPATTERN:
            if not _nullable(av[3]):
                return False
        elif op is _c.ATOMIC_GROUP:
            if not _nullable(av):
                return False
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            if av[0] >= 1 and not _nullable(av[2]):
                return False
        elif (
            op is _c.GROUPREF_EXISTS
            and not _nullable(av[1])
            and (av[2] is not None and not _nullable(av[2]))
        ):
            return False
    return True


@dataclass(frozen=True, slots=True)
class Translation:
    """A rule regex in Hyperscan syntax.

    Attributes:
        text: the pattern text (no Hyperscan flags needed).
        exact: nothing was dropped or widened: the text matches somewhere exactly when
            ``regex`` does (compiled *without* ``HS_FLAG_PREFILTER``, which may itself
            approximate).
        parts: further supersets, each matching at least what ``regex`` matches
            (:func:`_lookahead_parts`); a value is a candidate only if all match.
    """

    text: bytes
    exact: bool
    parts: tuple[bytes, ...] = ()


def _lookahead_parts(
    parsed: Any, top: int, anchors: bool, groups: dict[int, tuple[Any, int]]
) -> tuple[bytes, ...]:
    r"""Extra supersets from the positive lookaheads of the top-level sequence.

    ``P (?=A) R`` matches only where ``P`` is followed by a match of ``A``, so every value
    it matches also holds a match of ``P A``: a superset of its own, often a much stronger
    one than ``P R`` with the lookahead dropped (``__RAND_HEADER``: ``…:\s+\d(?=\S{6,}
    \s*$)[\da-f]*…`` has the candidates of every ``MIME-Version: 1.0`` without its
    lookahead, 8 in 1,000 corpus messages with it). A rule is a candidate only when its
    translation and all of these parts match. ``groups``: ``_collect_groups`` of ``parsed``.
    """
    parts: list[bytes] = []
    items = list(parsed)
    for position, (op, av) in enumerate(items):
        if op is not _c.ASSERT or av[0] != 1:
            continue
        sequence = items[:position] + list(av[1])
        if _nullable(sequence):
            continue
        try:
            emitted = _emit(sequence, top, 0, _Context(anchors, groups), bool(top & _I))
        except (_Refuse, RecursionError):
            continue
        parts.append(b"(?i:" + emitted + b")" if top & _I else emitted)
    return tuple(parts)


def translate(pattern: regex.Pattern[bytes], *, anchors: bool = True) -> Translation | None:
    """Hyperscan pattern text matching at least what ``pattern`` matches, or None.

    Args:
        pattern: a compiled ``regex`` bytes pattern (``regex.V0``), as the rule compiler
            builds them.
        anchors: keep the anchors Hyperscan shares with ``regex``; False drops them all
            (Hyperscan refuses some placements, e.g. ``\\A`` inside an alternation).

    Returns:
        the translation, or None when there is no safe one or the pattern can match the
        empty string (every value would then be a candidate).
    """
    if _sre_parse is None or not isinstance(pattern.pattern, bytes):
        return None
    if pattern.flags & (regex.LOCALE | regex.VERSION1 | regex.FULLCASE):
        return None
    rewritten = _rewrite(pattern.pattern)
    if rewritten is None:
        return None
    text, inline, widened = rewritten
    # regex reports a scoped inline flag in .flags too: applying it globally is a superset
    # (and exact only when every inline flag group led the pattern).
    flags = (pattern.flags & (_I | _M | _S | _X)) | inline
    if flags & _X and any(byte in _VERBOSE_UNSAFE for byte in pattern.pattern):
        return None  # a comment could hide a '[' from _rewrite; odd white space
    text = _GROUP_REFERENCE.sub(_group_reference, text)
    try:
        with warnings.catch_warnings():
            # A FutureWarning marks class syntax re and regex may read differently.
            warnings.simplefilter("error")
            parsed = _sre_parse.parse(text, flags)
        if _nullable(parsed):
            return None
        top = parsed.state.flags & (_I | _M | _S)
        groups: dict[int, tuple[Any, int]] = {}
        _collect_groups(parsed, top, groups)
        ctx = _Context(anchors, groups)
        emitted = _emit(parsed, top, 0, ctx, bool(top & _I))
        if top & _I:
            emitted = b"(?i:" + emitted + b")"
        parts = _lookahead_parts(parsed, top, anchors, groups)
    except (_Refuse, RecursionError):
        return None
    except Exception:  # any parser refusal just means "no translation"
        return None
    return Translation(emitted, ctx.exact and not widened, parts)


def superset_pattern(pattern: regex.Pattern[bytes], *, anchors: bool = True) -> bytes | None:
    """The text of :func:`translate` (None when there is no translation)."""
    found = translate(pattern, anchors=anchors)
    return found.text if found is not None else None
