"""One header test on one value → what SpamAssassin records (``Check.pm do_head_tests``).

Input: a :class:`HeaderTest`, the value ``get(spec)`` returned (bytes or None) and the
regex timeout. Output: an :class:`Outcome`: how many times ``got_hit`` is called for the
rule, the first match's span, the tested subject and a defect text. Pure: the same input
gives the same outcome, which is what lets ``plan.py`` precompute the outcome of every
test for an undefined header and for a value a prefilter proves the regex cannot match.

Semantics (spec/sa-rules.md §5.6–5.7, as the reference scheduler ``reference.py``):
``[if-unset:]`` replaces an undefined value; ``exists:`` hits when a value is defined
(``!`` inverts); an undefined value is matched as ``""``; ``tflags multiple`` counts matches
up to ``maxhits``; a ``!~`` rule with ``multiple`` hits ``maxhits`` times (once, with a
defect, when uncapped — SpamAssassin loops forever there); a timeout keeps the hits found
before it and adds a defect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from spamhdr.engine.model import HeaderTest
from spamhdr.engine.prefilter import Prefilter, required_literals

__all__ = [
    "NO_HIT",
    "HeaderEntry",
    "HeaderHits",
    "HeaderSource",
    "Outcome",
    "SpecGroup",
    "compile_group",
    "match_groups",
    "match_header_test",
]

#: Timeout for the compile-time runs on constant values (undefined headers).
_COMPILE_TIMEOUT = 5.0


class HeaderSource(Protocol):
    """What the engine needs from a message: SpamAssassin's ``get()`` for a spec."""

    def get(self, spec: str) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one header test did on one message.

    Attributes:
        count: ``got_hit`` calls (0 = no hit; >1 only for ``tflags multiple``).
        span: the first match's span (None for ``!~`` and ``exists:``).
        subject: the tested value after ``[if-unset:]`` (None only for ``exists:``).
        defects: problems met (timeouts, the uncapped ``!~ multiple`` loop).
    """

    count: int
    span: tuple[int, int] | None = None
    subject: bytes | None = None
    defects: tuple[str, ...] = ()


NO_HIT = Outcome(0)


def _timeout_defect(test: HeaderTest, timeout: float) -> str:
    return (
        f"rule {test.name}: regex match on {test.spec} timed out after {timeout} s; "
        "counted as no hit"
    )


def match_header_test(
    test: HeaderTest, value: bytes | None, timeout: float, *, no_match: bool = False
) -> Outcome:
    """Run ``test`` on ``value`` (module docstring).

    Args:
        test: the compiled test.
        value: ``get(spec)``; None when the header is undefined.
        timeout: seconds allowed for each regex call.
        no_match: the caller proved the regex cannot match ``value`` (a prefilter); the
            outcome is then computed without running it.
    """
    if value is None:
        value = test.if_unset
    if test.pattern is None:  # exists: (and its negation)
        return Outcome(1, None, value) if (value is not None) != test.negate else NO_HIT
    subject = value if value is not None else b""  # undef matches as ""
    if test.maxhits is None:
        if no_match:
            return Outcome(1, None, subject) if test.negate else NO_HIT
        try:
            found = test.pattern.search(subject, timeout=timeout)
        except TimeoutError:
            return Outcome(0, defects=(_timeout_defect(test, timeout),))
        if (found is not None) == test.negate:
            return NO_HIT
        return Outcome(1, found.span() if found is not None else None, subject)
    cap = test.maxhits
    if test.negate:
        # `while ($hval !~ /re/g)` loops until the cap when nothing matches, and never
        # stops without one (SpamAssassin hangs); spamhdr stops after one hit then.
        if not no_match:
            try:
                if test.pattern.search(subject, timeout=timeout) is not None:
                    return NO_HIT
            except TimeoutError:
                return Outcome(0, defects=(_timeout_defect(test, timeout),))
        defects: tuple[str, ...] = ()
        if cap == 0:
            defects = (
                f"rule {test.name}: !~ with tflags multiple and no "
                "maxhits loops forever in SpamAssassin; counted once",
            )
        return Outcome(cap or 1, None, subject, defects)
    if no_match:
        return NO_HIT
    count = 0
    first: tuple[int, int] | None = None
    try:
        for found in test.pattern.finditer(subject, timeout=timeout):
            count += 1
            if first is None:
                first = found.span()
            if cap and count >= cap:
                break
    except TimeoutError:
        # The hits found before the timeout were already recorded by SpamAssassin's loop.
        return Outcome(count, first, subject, (_timeout_defect(test, timeout),))
    return Outcome(count, first, subject) if count else NO_HIT


@dataclass(frozen=True, slots=True)
class HeaderEntry:
    """One header test inside its spec group.

    Attributes:
        test: the compiled test.
        prefilter: proves "no match" cheaply, or None (always run the regex).
        on_no_match: the outcome when the prefilter proves no match (NO_HIT unless the
            rule is negated).
        plain: a ``=~`` regex without ``multiple`` (the common case, matched inline).
        quick: the prefilter's first requirement when it is one literal (tested inline,
            without a call), else ``b""``; ``quick_folded``: compare it ASCII-folded.
        more: the prefilter has requirements beyond ``quick``.
    """

    test: HeaderTest
    prefilter: Prefilter | None
    on_no_match: Outcome
    plain: bool
    quick: bytes = b""
    quick_folded: bool = False
    more: bool = False


@dataclass(frozen=True, slots=True)
class SpecGroup:
    """The tests of one band on one header spec.

    Attributes:
        spec: what ``get()`` is asked for.
        entries: the tests in run order.
        when_undefined: outcome per entry when ``get(spec)`` is None, or None when some
            entry could not be precomputed (then they run per message).
        needs_lower: some prefilter compares ASCII-folded literals.
        undefined_hits: the entries of ``when_undefined`` that hit, with their outcomes.
        undefined_defects: the defects of ``when_undefined``, in order.
    """

    spec: str
    entries: tuple[HeaderEntry, ...]
    when_undefined: tuple[Outcome, ...] | None
    needs_lower: bool
    undefined_hits: tuple[tuple[HeaderTest, Outcome], ...] = ()
    undefined_defects: tuple[str, ...] = ()


def _is_plain(test: HeaderTest) -> bool:
    return test.pattern is not None and not test.negate and test.maxhits is None


def _entry(test: HeaderTest) -> HeaderEntry:
    prefilter = required_literals(test.pattern) if test.pattern is not None else None
    on_no_match = NO_HIT
    if prefilter is not None:
        # Undefined-or-empty subjects never reach the prefilter, so the subject is a
        # placeholder; match_header_test does not run the regex when no_match is set.
        on_no_match = match_header_test(test, b"", _COMPILE_TIMEOUT, no_match=True)
        first = prefilter.requirements[0]
        if len(first.exact) + len(first.folded) == 1:
            quick = (first.exact or first.folded)[0]
            more = len(prefilter.requirements) > 1
            return HeaderEntry(
                test, prefilter, on_no_match, _is_plain(test), quick, bool(first.folded), more
            )
    return HeaderEntry(test, prefilter, on_no_match, _is_plain(test), more=prefilter is not None)


def compile_group(spec: str, tests: tuple[HeaderTest, ...]) -> SpecGroup:
    entries = tuple(_entry(test) for test in tests)
    undefined: list[Outcome] = []
    for test in tests:
        outcome = match_header_test(test, None, _COMPILE_TIMEOUT)
        if any("timed out" in d for d in outcome.defects):
            undefined = []
            break
        undefined.append(outcome)
    complete = len(undefined) == len(tests)
    return SpecGroup(
        spec,
        entries,
        tuple(undefined) if complete else None,
        any(e.prefilter is not None and e.prefilter.needs_lower for e in entries),
        tuple((t, o) for t, o in zip(tests, undefined, strict=False) if o.count)
        if complete
        else (),
        tuple(d for o in undefined for d in o.defects) if complete else (),
    )


#: (test, outcome) of every header test that hit, in run order.
HeaderHits = list[tuple[HeaderTest, Outcome]]


def match_groups(
    groups: tuple[SpecGroup, ...], message: HeaderSource, timeout: float, defects: list[str]
) -> HeaderHits:
    """Run header groups on ``message``: ``get(spec)`` once per group; an undefined header
    takes the group's precomputed outcomes; otherwise each test's prefilter may prove "no
    match" before its regex runs. Timeouts and other problems go to ``defects``."""
    hits: HeaderHits = []
    for group in groups:
        value = message.get(group.spec)
        if value is None and group.when_undefined is not None:
            if group.undefined_defects:
                defects.extend(group.undefined_defects)
            hits.extend(group.undefined_hits)
            continue
        lowered = value.lower() if group.needs_lower and value else b""
        for entry in group.entries:
            test = entry.test
            prefilter = entry.prefilter
            if (
                value
                and prefilter is not None
                and (
                    entry.quick not in (lowered if entry.quick_folded else value)
                    or (entry.more and not prefilter.may_match(value, lowered))
                )
            ):
                outcome = entry.on_no_match
                if outcome.defects:
                    defects.extend(outcome.defects)
                if outcome.count:  # a negated rule: hits on the value it was given
                    hits.append((test, Outcome(outcome.count, None, value)))
                continue
            if entry.plain and value:
                assert test.pattern is not None
                try:
                    found = test.pattern.search(value, timeout=timeout)
                except TimeoutError:
                    defects.append(
                        f"rule {test.name}: regex match on {test.spec} timed out after "
                        f"{timeout} s; counted as no hit"
                    )
                    continue
                if found is not None:
                    hits.append((test, Outcome(1, found.span(), value)))
                continue
            outcome = match_header_test(test, value, timeout)
            if outcome.defects:
                defects.extend(outcome.defects)
            if outcome.count:
                hits.append((test, outcome))
    return hits
