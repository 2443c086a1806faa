"""Required-literal prefilters: a cheap test that proves a rule regex cannot match.

Input: a compiled ``regex`` bytes pattern (the translation of a rule's Perl regex). Output:
a :class:`Prefilter` — a set of byte strings at least one of which occurs in every string
the pattern matches (compared case-sensitively, or ASCII-case-folded for literals written
under ``/i``) — or None when no such set could be derived.

Invariant (soundness): if ``may_match(value)`` is False the pattern has no match in
``value``. The extraction is deliberately conservative:

* literals come only from mandatory parts of the pattern: a sequence's literal runs, groups,
  repeats with a minimum of at least one, and alternations whose every branch yields a set
  (the union of the branches' sets is required);
* lookarounds, classes, back-references, conditionals, anchors and anything unknown break
  a literal run and contribute nothing;
* ``/i`` folding: ``regex`` folds only ASCII letters in bytes patterns (checked for all
  256×256 byte pairs when this was written), exactly what ``bytes.lower`` does; the rule
  translator already turned Perl's Latin-1 folding into explicit classes, which are
  classes here and so never literals;
* patterns the stdlib parser cannot read, or whose inline flags are not global, get no
  prefilter (the rule then always runs).

The pattern is parsed with CPython's ``re`` parser (``re._parser``, CPython 3.11+): it is a
parser only (nothing runs); ``regex``-only syntax the translator emits (``\\g<N>``
back-references) is replaced by a run-breaking, requirement-free class first. When the
parser is unavailable no prefilter is built, which is always sound.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import regex

_sre_parse: Any
_c: Any
try:  # CPython 3.11+: the stdlib regular-expression parser (parsing only, no matching).
    _sre_parse = importlib.import_module("re._parser")
    _c = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - other interpreters: no prefilters, still exact
    _sre_parse = None
    _c = None

__all__ = ["Prefilter", "Requirement", "required_literals"]

#: Above this many alternative literals a set is not worth testing.
MAX_ALTERNATIVES: Final = 48
#: At most this many independent requirements are kept per pattern.
MAX_CHECKS: Final = 3
#: ``\g<N>`` / ``\g<name>`` after an even number of backslashes (a real back-reference).
_GROUP_REFERENCE: Final = regex.compile(rb"(?<!\\)((?:\\\\)*)\\g<\w+>")
_POSIX_CLASS: Final = regex.compile(rb"(?<!\\)\[:\^?[a-z]+:\]")
_IGNORECASE: Final = 2  # re.IGNORECASE
_ALL_FLAGS: Final = regex.compile(rb"\(\?[a-zA-Z]+\)")


@dataclass(frozen=True, slots=True)
class Requirement:
    """Literals of which every match contains at least one.

    Attributes:
        exact: literals compared with the value as it is.
        folded: ASCII-lower-cased literals compared with ``value.lower()``.
    """

    exact: tuple[bytes, ...]
    folded: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Prefilter:
    """Requirements that all hold for every match (the most selective-looking first)."""

    requirements: tuple[Requirement, ...]

    def may_match(self, value: bytes, lowered: bytes) -> bool:
        """False only when some requirement fails, i.e. the pattern provably does not
        match ``value`` (``lowered`` is ``value.lower()``)."""
        for req in self.requirements:
            for literal in req.exact:
                if literal in value:
                    break
            else:
                for literal in req.folded:
                    if literal in lowered:
                        break
                else:
                    return False
        return True

    @property
    def needs_lower(self) -> bool:
        return any(req.folded for req in self.requirements)


# A requirement: alternatives (literal, folded) of which every match contains one.
_Req = frozenset[tuple[bytes, bool]]


def _quality(req: _Req) -> tuple[int, int]:
    # Prefer sets whose shortest literal is longest, then fewer alternatives.
    return (min(len(lit) for lit, _ in req), -len(req))


def _run_req(run: bytearray, folded: bool) -> list[_Req]:
    if not run:
        return []
    text = bytes(run)
    return [frozenset({(text.lower() if folded else text, folded)})]


def _analyse(items: Iterable[tuple[Any, Any]], folded: bool) -> list[_Req]:
    """Every requirement found in a parsed sequence (see the module docstring): each one
    holds on its own, so a value must satisfy all of them."""
    assert _c is not None
    found: list[_Req] = []
    run = bytearray()
    for op, av in items:
        if op is _c.LITERAL:
            run.append(av)
            continue
        found += _run_req(run, folded)
        run = bytearray()
        if op is _c.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            inner = (folded or bool(add_flags & _IGNORECASE)) and not del_flags & _IGNORECASE
            found += _analyse(sub, inner)
        elif op is _c.ATOMIC_GROUP:
            found += _analyse(av, folded)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            low, _high, sub = av
            if low >= 1:
                found += _analyse(sub, folded)
        elif op is _c.BRANCH:
            union: set[tuple[bytes, bool]] = set()
            for alternative in av[1]:
                reqs = _analyse(alternative, folded)
                if not reqs:
                    union = set()
                    break
                union |= max(reqs, key=_quality)  # type: ignore[arg-type]
            if union and len(union) <= MAX_ALTERNATIVES:
                found.append(frozenset(union))
        # Everything else (classes, ANY, anchors, lookarounds, references, conditionals)
        # only breaks the literal run.
    return found + _run_req(run, folded)


def required_literals(pattern: regex.Pattern[bytes]) -> Prefilter | None:
    """A sound prefilter for ``pattern``, or None (module docstring).

    Args:
        pattern: a compiled ``regex`` bytes pattern (``regex.V0``), as the rule compiler
            builds them.
    """
    if _sre_parse is None or not isinstance(pattern.pattern, bytes):
        return None
    if pattern.flags & regex.LOCALE:
        return None
    text = pattern.pattern
    # Inline global flags are only understood at the very start (regex V0 applies a later
    # "(?i)" to the whole pattern; re refuses it): anything else gets no prefilter.
    leading = _ALL_FLAGS.match(text)
    if _ALL_FLAGS.search(text, leading.end() if leading else 0):
        return None
    # POSIX classes ([:alpha:], regex syntax re does not know) become \d: a class either
    # way, and classes never give literals. Escaped or unusual forms are left alone; re
    # then warns about a nested set and no prefilter is built (below).
    text = _POSIX_CLASS.sub(rb"\\d", text)
    text = _GROUP_REFERENCE.sub(rb"\1[\\x00-\\xff]{0}", text)
    # The standard flag bits are shared by re and regex (I=2, M=8, S=16, X=64).
    flags = pattern.flags & (regex.IGNORECASE | regex.MULTILINE | regex.DOTALL | regex.VERBOSE)
    try:
        with warnings.catch_warnings():
            # A FutureWarning ("possible nested set", "set difference") marks class
            # syntax the two parsers may read differently (POSIX classes such as
            # [[:punct:]] are classes for regex, literal text for re): no prefilter.
            warnings.simplefilter("error")
            parsed = _sre_parse.parse(text, flags)
    except Exception:  # any parser refusal just means "no prefilter"
        return None
    folded = bool(parsed.state.flags & _IGNORECASE)
    reqs = sorted(set(_analyse(parsed, folded)), key=_quality, reverse=True)[:MAX_CHECKS]
    if not reqs:
        return None
    return Prefilter(
        tuple(
            Requirement(
                tuple(sorted(lit for lit, fold in req if not fold)),
                tuple(sorted(lit for lit, fold in req if fold)),
            )
            for req in reqs
        )
    )
