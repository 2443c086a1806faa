"""One header test on one value → what SpamAssassin records (``Check.pm do_head_tests``).

Input: a :class:`HeaderTest`, the value ``get(spec)`` returned (bytes or None) and the
regex timeout. Output: an :class:`Outcome`: how many times ``got_hit`` is called for the
rule, the first match's span, the tested subject and a defect text. Pure: the same input
gives the same outcome, which is what lets ``groups.py`` precompute the outcome of every
test for an undefined header and for a value a prefilter proves the regex cannot match.

Semantics (spec/sa-rules.md §5.6–5.7, as the reference scheduler ``reference.py``):
``[if-unset:]`` replaces an undefined value; ``exists:`` hits when a value is defined
(``!`` inverts); an undefined value is matched as ``""``; ``tflags multiple`` counts matches
up to ``maxhits``; a ``!~`` rule with ``multiple`` hits ``maxhits`` times (once, with a
defect, when uncapped — SpamAssassin loops forever there); a timeout keeps the hits found
before it and adds a defect.
"""

from __future__ import annotations

from typing import Final, Protocol

from spamhdr.engine.model import HeaderTest
from spamhdr.message._record import Record

__all__ = [
    "NO_HIT",
    "HeaderSource",
    "Outcome",
    "match_header_test",
    "timeout_defect",
]


class HeaderSource(Protocol):
    """What the engine needs from a message: SpamAssassin's ``get()`` for a spec."""

    def get(self, spec: str) -> bytes | None: ...


class Outcome(Record):
    """What one header test did on one message.

    Attributes:
        count: ``got_hit`` calls (0 = no hit; >1 only for ``tflags multiple``).
        span: the first match's span (None for ``!~`` and ``exists:``, and for sub-rules
            (``__``) confirmed by an exact Hyperscan database, whose span is never reported).
        subject: the tested value after ``[if-unset:]`` (None only for ``exists:``).
        defects: problems met (timeouts, the uncapped ``!~ multiple`` loop).

    A :class:`~spamhdr.message._record.Record` rather than a frozen dataclass (~35 are
    made per message; mypyc builds dataclasses through Python code).
    """

    __slots__ = ("count", "defects", "span", "subject")
    FIELDS = ("count", "span", "subject", "defects")

    def __init__(
        self,
        count: int,
        span: tuple[int, int] | None = None,
        subject: bytes | None = None,
        defects: tuple[str, ...] = (),
    ) -> None:
        self.count: Final = count
        self.span: Final = span
        self.subject: Final = subject
        self.defects: Final = defects

    def field_values(self) -> tuple[object, ...]:
        return (self.count, self.span, self.subject, self.defects)


NO_HIT = Outcome(0)


def timeout_defect(test: HeaderTest, timeout: float) -> str:
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
            return Outcome(0, defects=(timeout_defect(test, timeout),))
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
                return Outcome(0, defects=(timeout_defect(test, timeout),))
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
        return Outcome(count, first, subject, (timeout_defect(test, timeout),))
    return Outcome(count, first, subject) if count else NO_HIT
