"""Values of the rule engine: compiled tests (input side) and check results (output side).

Compiled tests are frozen and hold no per-message state, so one compiled rule set can be
shared by threads; a check builds only small per-message arrays and the result values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from spamhdr.engine.header_test import HeaderTest
from spamhdr.engine.result import CheckResult, RuleHit
from spamhdr.rules.meta import MetaExpr

__all__ = [
    "CheckResult",
    "HeaderTest",
    "MetaTest",
    "RuleHit",
    "RuleSet",
    "positive_value",
]


def positive_value(value: float | str) -> float:
    """``got_hit``'s stored value for a meta result: the result if it is a positive
    number, else 1 (PerMsgStatus.pm ``got_hit``)."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return 1.0
    else:
        number = float(value)
    return number if number > 0 else 1.0


#: Evaluates a meta expression given the current ``tests_already_hit`` values.
MetaFunction = Callable[[Mapping[str, float]], float | str]


@dataclass(frozen=True, slots=True)
class MetaTest:
    """One ``meta`` rule: its dependencies and its evaluator (spec/sa-rules.md §6.2).

    Attributes:
        deps: the rule names the expression reads, as SpamAssassin records them (empty for
            metas SpamAssassin evaluates right after the first priority band).
        evaluate: the compiled expression (Perl value semantics, no eval of rule text).
        score: score in the active set; 0 means "not pending" (§6.3).
        direct: optional faster evaluator for a mapping holding every dependency; it may
            raise ``KeyError`` or ``ZeroDivisionError`` (the engine then calls
            ``evaluate``, which handles both).
        tree: optional parsed expression (``local_tests_only`` already bound) that
            ``evaluate`` computes, a division by zero giving 0; the engine then compiles it
            over its own value arrays (``plan.py``). None: the engine calls ``evaluate``.
    """

    name: str
    deps: tuple[str, ...]
    evaluate: MetaFunction
    score: float
    raw: str = ""
    direct: MetaFunction | None = None
    tree: MetaExpr | None = None


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A compiled header+meta rule set for one score set; immutable, thread-safe.

    Attributes:
        bands: ascending priorities; in each band its header tests run, then ready metas.
        header_tests: per band, the tests grouped by ``spec`` (one value lookup per spec).
        metas: every meta by name (zero-score ones included: they still run, §6.3).
        dependents: rule name → metas that read it (SpamAssassin's ``meta_deprules``).
        meta_nodeps: metas SpamAssassin marks ready before any rule ran.
        not_evaluated: rules spamhdr does not run (eval, body, uri, …), reported as such.
        required_score: the spam threshold.
        score_set: which of the four scores is active.
        descriptions: rule name → ``describe`` text.
        trust: the trust and TLD settings header values depend on.
        plan: the precomputed per-message work (``plan.py``); hand-built rule sets may
            leave it None, and each check then builds it.
    """

    bands: tuple[int, ...]
    header_tests: Mapping[int, tuple[tuple[str, tuple[HeaderTest, ...]], ...]]
    metas: Mapping[str, MetaTest]
    dependents: Mapping[str, tuple[str, ...]]
    meta_nodeps: tuple[str, ...]
    not_evaluated: tuple[str, ...]
    required_score: float
    score_set: int
    descriptions: Mapping[str, str] = field(default_factory=dict)
    trust: object = None  # spamhdr.message.TrustConfig (kept untyped to avoid a cycle)
    plan: object = None  # spamhdr.engine.plan.Plan, built by compile_ruleset (else per call)
