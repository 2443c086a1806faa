"""Rule values: the definitions the parser records and the effective rules a Config holds.

Input: fields filled by :mod:`spamhdr.rules.parser` (definitions) and
:mod:`spamhdr.rules.compile` (effective rules). Output: frozen, slotted records.

Invariants: :class:`RuleDef` is what one definition line said (no defaults, no scores);
:class:`Rule` is the effective rule after the whole configuration (last definition wins,
default scores applied, ReplaceTags done, meta parsed). Texts are Latin-1 ``str`` standing
for the rule file's bytes (``.encode("latin-1")`` gives them back).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from spamhdr.rules.meta import MetaExpr
from spamhdr.rules.perl_regex import PerlRegex

__all__ = ["RULE_TYPES", "Rule", "RuleDef"]

#: Rule types as ``spamhdr rules dump`` names them (issue 3). ``mimeheader`` rules are
#: stored by SpamAssassin as body evals ``_mimeheader_eval_NAME()``; we keep their own type.
RULE_TYPES: Final = (
    "header",
    "header_eval",
    "rbl_eval",
    "meta",
    "body",
    "body_eval",
    "rawbody",
    "rawbody_eval",
    "full",
    "full_eval",
    "uri",
    "mimeheader",
    "empty",
)

_MAXHITS: Final = re.compile(r"\bmaxhits=(\d+)\b")


@dataclass(frozen=True, slots=True)
class RuleDef:
    """One accepted rule definition line (``header``, ``body``, ``meta``, ``reuse`` …).

    Attributes:
        name: the rule name.
        type: one of :data:`RULE_TYPES`.
        raw: the definition text after the name (``From:addr =~ /x/i``), None for ``empty``.
        file, line: where it was defined.
        header: target header name without modifiers (header/mimeheader rules).
        modifiers: header modifiers in written order (``("name", "raw")``).
        operator: ``=~``, ``!~``, ``exists`` or ``eval``.
        regex: the validated regex (regex rules).
        if_unset: the ``[if-unset: …]`` text.
        eval: ``fn(args)`` of eval rules.
        expression: the meta expression as written.
    """

    name: str
    type: str
    raw: str | None
    file: str
    line: int
    header: str | None = None
    modifiers: tuple[str, ...] = ()
    operator: str | None = None
    regex: PerlRegex | None = None
    if_unset: str | None = None
    eval: str | None = None
    expression: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """An effective rule of a :class:`~spamhdr.rules.Config`.

    Attributes:
        name: the rule name (case-sensitive).
        type: one of :data:`RULE_TYPES` (``spamhdr rules dump`` ``type``).
        header: target header without modifiers (``From`` for ``From:addr``), or None.
        modifiers: header modifiers as written (``("addr",)``).
        operator: ``=~``, ``!~``, ``exists``, ``eval`` or None (meta, body, empty).
        pattern: Perl regex text after ReplaceTags, without delimiters and modifiers.
        flags: the modifiers (``"i"``), ``""`` for none; None for rules without a regex.
        if_unset: ``[if-unset: STR]`` text or None.
        expression: meta expression as written, or None.
        eval: ``fn(args)`` for eval rules, or None.
        tflags: the last ``tflags`` line's text (plus ``net`` inherited by metas, see
            docs/rules.md), or None.
        priority: SpamAssassin's ``priority`` value after ``fix_priorities`` (0 default;
            -10000 for capture rules); see :attr:`effective_priority` for the run order.
        scores: the four score sets (defaults applied: 1.0, 0.01 for ``T_``, negated nice).
        describe: description text or None.
        source: ``file:line`` of the effective definition.
        raw: the definition text after the name (None for ``empty``).
        regex: the compiled rule regex (header/body/rawbody/full/uri/mimeheader), after
            ReplaceTags; ``regex.compiled`` is a ``regex`` bytes pattern.
        meta: the parsed meta expression (after ``rules_matching`` expansion), or None.
        dependencies: rule names the meta refers to, in order, duplicates kept
            (``local_tests_only`` excluded); empty for metas in a dependency cycle.
        unsolved: the meta is in (or depends on) a dependency cycle: SpamAssassin lint-errors it,
            drops its dependencies and evaluates it once after the first priority band.
        replaced: ReplaceTags changed the pattern.
    """

    name: str
    type: str
    header: str | None
    modifiers: tuple[str, ...]
    operator: str | None
    pattern: str | None
    flags: str | None
    if_unset: str | None
    expression: str | None
    eval: str | None
    tflags: str | None
    priority: int
    scores: tuple[float, float, float, float]
    describe: str | None
    source: str
    raw: str | None = None
    regex: PerlRegex | None = None
    meta: MetaExpr | None = None
    dependencies: tuple[str, ...] = ()
    unsolved: bool = False
    replaced: bool = False

    def score(self, score_set: int = 0) -> float:
        """The rule's score in ``score_set`` (0 = no Bayes, no network)."""
        return self.scores[score_set]

    @property
    def is_subrule(self) -> bool:
        """``__`` rules: never scored nor listed in ``tests=`` (spec §7)."""
        return self.name.startswith("__")

    @property
    def tflag_set(self) -> frozenset[str]:
        return frozenset((self.tflags or "").split())

    def has_tflag(self, flag: str) -> bool:
        return flag in (self.tflags or "").split()

    @property
    def multiple(self) -> bool:
        return self.has_tflag("multiple")

    @property
    def maxhits(self) -> int | None:
        """``maxhits=N`` of ``tflags`` (only meaningful with ``multiple``)."""
        match = _MAXHITS.search(self.tflags or "")
        return int(match.group(1)) if match else None

    @property
    def effective_priority(self) -> int:
        """The band the rule runs in: ``priority`` or, when 0, -100 for ``net`` rules
        (``Parser.pm finish_parsing``)."""
        if self.priority:
            return self.priority
        return -100 if self.has_tflag("net") else 0

    @property
    def header_spec(self) -> str | None:
        """SpamAssassin's ``get()`` request string: ``From:addr``, ``ALL:raw``, ``Subject``."""
        if self.header is None:
            return None
        return ":".join((self.header, *self.modifiers))
