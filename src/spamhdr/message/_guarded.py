"""A regex behind a substring test: literals one of which every match contains.

Input: literals and a compiled ``regex`` bytes pattern. Output: an object with the
pattern's ``search``/``match`` that returns None at once for a string holding none of the
literals. Invariant: the same result as the bare pattern whenever the literals are a
requirement of it; ``tests/unit/message/test_received_guards.py`` checks every
guard of ``received.py`` against the engine's required-literal analysis. Speed only: most
of the MTA formats ``received.py`` tries never occur in a given ``Received`` line.
"""

from __future__ import annotations

import regex

__all__ = ["Guarded", "guarded"]


class Guarded:
    """A pattern plus literals one of which every match contains."""

    __slots__ = ("literals", "pattern")

    def __init__(self, literals: tuple[bytes, ...], pattern: regex.Pattern[bytes]) -> None:
        self.literals = literals
        self.pattern = pattern

    def search(self, s: bytes) -> regex.Match[bytes] | None:
        for literal in self.literals:
            if literal in s:
                return self.pattern.search(s)
        return None

    def match(self, s: bytes) -> regex.Match[bytes] | None:
        for literal in self.literals:
            if literal in s:
                return self.pattern.match(s)
        return None


def guarded(literals: tuple[bytes, ...], pattern: bytes, flags: int = 0) -> Guarded:
    """Compile ``pattern`` behind ``literals``."""
    return Guarded(literals, regex.compile(pattern, flags))
