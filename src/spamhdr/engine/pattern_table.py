"""Rule patterns as written in the rule files → what the engine attaches to them.

Input: a mapping from Perl patterns (``/…/flags``, as in 4.0.1's rule files) to entries
(a guard, a shape decider). Output: :class:`PatternTable`, which finds the entry of a
compiled rule by its *translated* pattern (``PerlRegex.translated``), so an entry belongs
to exactly the rule text it was written for and a changed rule simply has none.
Invariant: the table is built once, on first use, under a lock (the translator runs once
per written pattern); afterwards it is only read.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Generic, TypeVar

from spamhdr.rules.perl_regex import PerlRegex, compile_perl_regex

__all__ = ["PatternTable"]

T = TypeVar("T")


class PatternTable(Generic[T]):
    """Translated pattern → entry, built from the written patterns on first use."""

    def __init__(self, written: Mapping[str, T]) -> None:
        self._written = written
        self._table: dict[bytes, T] = {}
        self._lock = threading.Lock()

    def get(self, translated: bytes) -> T | None:
        """The entry of a translated rule pattern, or None."""
        with self._lock:
            if not self._table:
                for text, entry in self._written.items():
                    compiled = compile_perl_regex(text, compile_now=False)
                    assert isinstance(compiled, PerlRegex), text
                    self._table[compiled.translated] = entry
        return self._table.get(translated)
