"""One ``header`` rule compiled and ready to run: :class:`HeaderTest`.

Input: built once per rule set by ``compile.py``. Output: an immutable value the
per-message path reads many times (``groups.py``, ``match.py``, ``run.py``: name, spec,
pattern, score, ``maxhits`` of every test that runs or hits). Kept apart from ``model.py``
so that mypyc compiles it (``setup.py``): compiled code then reads its fields directly
instead of through ``PyObject_GetAttr`` (~200 reads per message). ``model.py`` re-exports
the name.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

__all__ = ["HeaderTest"]


@dataclass(frozen=True, slots=True)
class HeaderTest:
    """One ``header`` rule ready to run (regex, ``!~`` or ``exists:``).

    Attributes:
        name: rule name.
        spec: what ``PerMsgStatus::get`` is asked for: header name plus ``:modifiers``.
        pattern: the compiled bytes pattern; None for ``exists:``.
        negate: ``!~``.
        if_unset: the ``[if-unset: …]`` value as bytes, used when the header is undefined.
        maxhits: None for a rule hit at most once; else the match count cap
            (``tflags multiple``, ``maxhits=N``; 0 = uncapped).
        score: the score in the active score set (never 0: zero-score rules are not run).
        priority: the band it runs in.
        raw: the rule text, for explanations.
    """

    name: str
    spec: str
    pattern: regex.Pattern[bytes] | None
    negate: bool
    if_unset: bytes | None
    maxhits: int | None
    score: float
    priority: int
    raw: str = ""

    @property
    def is_exists(self) -> bool:
        return self.pattern is None
