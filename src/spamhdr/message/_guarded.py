"""A regex behind a substring test: literals one of which every match contains.

Input: literals and a compiled ``regex`` bytes pattern; at match time a line and its
latin-1 text. Output: an object with the pattern's ``search``/``match`` that returns None
at once for a line holding none of the literals. Invariant: the same result as the bare
pattern whenever the literals are a requirement of it; ``tests/unit/message/
test_received_guards.py`` checks every guard of ``received.py`` against the engine's
required-literal analysis. Speed only: most of the MTA formats ``received.py`` tries never
occur in a given ``Received`` line.

The literals are tested on the line's latin-1 text, not on its bytes: latin-1 maps each
byte to the code point of the same value, so a literal occurs in the bytes exactly when
its latin-1 text occurs in the text, and on CPython 3.11 ``bytes in bytes`` first tries
the needle as an integer and raises and clears a TypeError (about three times the cost of
``str in str`` under mypyc).
"""

from __future__ import annotations

import regex

__all__ = ["Guarded", "guarded"]


class Guarded:
    """A pattern plus literals one of which every match contains."""

    __slots__ = ("literals", "pattern", "texts")

    def __init__(self, literals: tuple[bytes, ...], pattern: regex.Pattern[bytes]) -> None:
        self.literals = literals
        self.pattern = pattern
        #: The literals as latin-1 text, tested on the line's latin-1 text.
        self.texts = tuple(literal.decode("latin-1") for literal in literals)

    def search(self, s: bytes, text: str) -> regex.Match[bytes] | None:
        """``pattern.search(s)``; ``text`` is ``s.decode("latin-1")`` (or a text holding it)."""
        for literal in self.texts:
            if literal in text:
                return self.pattern.search(s)
        return None

    def match(self, s: bytes, text: str) -> regex.Match[bytes] | None:
        """``pattern.match(s)``; ``text`` is ``s.decode("latin-1")`` (or a text holding it)."""
        for literal in self.texts:
            if literal in text:
                return self.pattern.match(s)
        return None


def guarded(literals: tuple[bytes, ...], pattern: bytes, flags: int = 0) -> Guarded:
    """Compile ``pattern`` behind ``literals``."""
    return Guarded(literals, regex.compile(pattern, flags))
