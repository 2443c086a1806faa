"""Engine test helpers. A hand-built :class:`RuleSet`: header tests and metas → the tables
``compile_ruleset`` would give them (tests grouped by band and spec in the given order,
``dependents`` and ``meta_nodeps`` derived from the metas' dependencies),
:class:`Headers`, a message given as its values by spec, and :func:`meta_evaluator`, a
meta's ``evaluate`` as ``compile.py`` builds it.

Importable from every test directory: pytest puts ``tests/`` (the directory of the root
``conftest.py``) on ``sys.path``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from spamhdr.engine.model import HeaderTest, MetaTest, RuleSet
from spamhdr.rules import compile_meta
from spamhdr.rules.meta import MetaExpr

__all__ = ["Headers", "hand_built_ruleset", "meta_evaluator"]


def hand_built_ruleset(
    tests: Sequence[HeaderTest],
    metas: Sequence[MetaTest],
    *,
    bands: Iterable[int] | None = None,
    required_score: float = 5.0,
) -> RuleSet:
    """The rule set of ``tests`` and ``metas``; ``bands`` defaults to the tests'
    priorities and 0."""
    by_band: dict[int, dict[str, list[HeaderTest]]] = {}
    for test in tests:
        by_band.setdefault(test.priority, {}).setdefault(test.spec, []).append(test)
    dependents: dict[str, list[str]] = {}
    for meta in metas:
        for dep in meta.deps:
            dependents.setdefault(dep, []).append(meta.name)
    return RuleSet(
        bands=tuple(sorted(bands if bands is not None else {t.priority for t in tests} | {0})),
        header_tests={
            band: tuple((spec, tuple(group)) for spec, group in groups.items())
            for band, groups in by_band.items()
        },
        metas={m.name: m for m in metas},
        dependents={k: tuple(v) for k, v in dependents.items()},
        meta_nodeps=tuple(m.name for m in metas if not m.deps),
        not_evaluated=(),
        required_score=required_score,
        score_set=0,
    )


class Headers:
    """A message for ``run_rules``: ``get(spec)`` is the given value, or None."""

    def __init__(self, values: Mapping[str, bytes]) -> None:
        self.values = values

    def get(self, spec: str) -> bytes | None:
        return self.values.get(spec)


def meta_evaluator(tree: MetaExpr) -> Callable[[Mapping[str, float]], float | str]:
    """What compile.py's ``evaluate`` computes: ``$hits->{NAME} || 0``, and 0 where Perl
    would die on a division by zero."""
    compiled = compile_meta(tree)

    def evaluate(hits: Mapping[str, float]) -> float | str:
        try:
            return compiled(lambda name: hits.get(name) or 0)
        except ZeroDivisionError:
            return 0

    return evaluate
