"""RuleSet → Plan: the per-message work precomputed once per rule set.

Input: a :class:`RuleSet`. Output: an immutable :class:`Plan` that ``run.py`` executes:

* **header groups** (``groups.py``) — per band, per spec, the tests with their outcome when
  the header is undefined (the same for every message), their required-literal prefilter
  (``prefilter.py``) and their outcome when it proves the regex cannot match;
* **meta schedule** — the live metas in one topological order, each meta's dependents as
  positions in that order, and the *baseline*: the state of every meta for the header
  hits of a typical message (``compile.py`` supplies one; none means "no header test
  hits"). A message then re-evaluates only the metas downstream of a header test whose
  value differs from the baseline, stopping where a meta's state does not change. The
  baseline only decides how much work a message needs, never its result.

Why the baseline is exact (spec/sa-rules.md §6.2–6.3, ``Check.pm do_meta_tests``,
``PerMsgStatus.pm got_hit``/``rule_ready``; the reference scheduler ``reference.py``
states the same loop step by step): a meta is evaluated once, when every dependency has
an entry in ``tests_already_hit``, and an entry never changes once made, so its value is a
pure function of its dependencies' final values. *Whether* it is evaluated is static
except for one dynamic case: header tests get their entry in their band whatever they
match; a never-run dependency gets a 0 entry only at the end, and only for metas with a
non-zero score (pending ones); a zero-score meta that is true makes no entry (the
"zero-score-meta dead end") so its dependents are never evaluated. Hence each meta has a
static *phase* — the band after which all its dependencies exist, ``FINISH`` when one of
them is never run, ``NEVER`` for zero-score metas at ``FINISH``, for metas in a dependency
cycle and for anything depending on a ``NEVER`` meta — and per message it is evaluated iff
its phase is not ``NEVER`` and every meta it reads has an entry ("is present").
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from spamhdr.engine.groups import GroupIndex, SpecGroup, compile_group, index_groups, match_groups
from spamhdr.engine.match import HeaderSource
from spamhdr.engine.model import MetaFunction, MetaTest, RuleSet, positive_value
from spamhdr.engine.multipattern import AVAILABLE
from spamhdr.rules.meta import RULENAME_RE, perl_truth, tokenize_meta

__all__ = [
    "MetaSchedule",
    "MetaStep",
    "Plan",
    "build_plan",
    "evaluate_meta_state",
    "order_sensitive",
    "positive_value",
]

#: name, metas read, fastest evaluator, safe evaluator, score (``MetaSchedule.steps``).
MetaStep = tuple[str, tuple[str, ...], MetaFunction, MetaFunction, float]


@dataclass(frozen=True, slots=True)
class MetaSchedule:
    """Live metas in topological order and the no-header-hit baseline.

    Attributes:
        order: metas that can ever be evaluated, dependencies first.
        meta_deps: per position, the metas it reads (they must be present).
        dependents: rule name → positions of the live metas that read it.
        rank: meta name → (phase, position), the order meta hits are recorded in.
        base_values: ``tests_already_hit`` at the baseline (run header tests with their
            values on the typical message, never-run dependencies of pending metas 0,
            metas with their values).
        base_absent: live metas with no entry at the baseline (dead ends).
        base_hits: metas that hit at the baseline, with their values.
        base_header_hits: header tests with a non-zero baseline value.
        steps: per position, what ``run.py`` needs to evaluate it: name, the metas it
            reads, the fastest evaluator (``direct`` or ``evaluate``), ``evaluate``, score.
    """

    order: tuple[MetaTest, ...]
    meta_deps: tuple[tuple[str, ...], ...]
    dependents: Mapping[str, tuple[int, ...]]
    rank: Mapping[str, tuple[int, int]]
    base_values: Mapping[str, float]
    base_absent: frozenset[str]
    base_hits: Mapping[str, float]
    base_header_hits: tuple[str, ...]
    steps: tuple[MetaStep, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything ``run.py`` needs, precomputed (module docstring).

    Attributes:
        groups: header groups in run order (bands ascending, specs as compiled).
        metas: the meta schedule.
        backend: ``"hyperscan"`` when some group has a multi-pattern database, else
            ``"literals"`` (required-literal prefilters only).
        index: the groups by the fields they read (``groups.index_groups``).
        order_sensitive: the rule set has a meta in a dependency cycle that still reads
            rules (:func:`order_sensitive`): this plan does not apply, checks must run on
            the reference scheduler.
    """

    groups: tuple[SpecGroup, ...]
    metas: MetaSchedule
    backend: str = "literals"
    index: GroupIndex | None = None
    order_sensitive: bool = False

    def clear_memos(self) -> None:
        """Forget every group's value memo (``groups.py``); results never depend on it.
        Benchmarks call this so that each round starts cold."""
        for group in self.groups:
            group.memo.clear()


_NEVER = 1 << 30
#: Timeout for matching the typical message at compile time.
_COMPILE_TIMEOUT = 5.0


def _schedule(ruleset: RuleSet, typical: Mapping[str, float]) -> MetaSchedule:
    metas = ruleset.metas
    finish = len(ruleset.bands)
    header_phase: dict[str, int] = {}
    for index, band in enumerate(ruleset.bands):
        for _spec, tests in ruleset.header_tests.get(band, ()):
            for test in tests:
                header_phase.setdefault(test.name, index)
    deps = {name: tuple(dict.fromkeys(meta.deps)) for name, meta in metas.items()}
    # Kahn's algorithm over meta → meta edges, ties broken by name; metas left over are in
    # (or below) a cycle and can never have all their entries: phase NEVER.
    waiting = {name: sum(1 for d in set(ds) if d in metas) for name, ds in deps.items()}
    readers: dict[str, list[str]] = {}
    for name, ds in deps.items():
        for dep in set(ds):
            if dep in metas:
                readers.setdefault(dep, []).append(name)
    ready = [name for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    topo: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        topo.append(name)
        for reader in readers.get(name, ()):
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, reader)
    phase: dict[str, int] = {}
    for name in topo:
        current: int = 0 if finish else finish  # no-dependency metas: after the first band
        for dep in deps[name]:
            dep_phase = phase[dep] if dep in metas else header_phase.get(dep, finish)
            current = max(current, dep_phase)
        if current >= finish and metas[name].score == 0:
            current = _NEVER  # zero-score metas are not pending: never evaluated at the end
        phase[name] = current
    live = [name for name in topo if phase[name] < _NEVER]
    position = {name: i for i, name in enumerate(live)}
    dependents: dict[str, list[int]] = {}
    for name in live:
        for dep in deps[name]:
            dependents.setdefault(dep, []).append(position[name])
    order = tuple(metas[name] for name in live)
    meta_deps = tuple(tuple(d for d in deps[name] if d in metas) for name in live)
    base: dict[str, float] = dict.fromkeys(header_phase, 0)
    base.update((name, value) for name, value in typical.items() if name in header_phase)
    for name in live:
        if phase[name] >= finish:
            for dep in deps[name]:
                if dep not in metas:
                    base.setdefault(dep, 0)
    absent: set[str] = set()
    hits: dict[str, float] = {}
    for i, meta in enumerate(order):
        present, value, hit = evaluate_meta_state(meta, meta_deps[i], base, absent)
        base[meta.name] = value
        if not present:
            absent.add(meta.name)
        if hit:
            hits[meta.name] = value
    return MetaSchedule(
        order=order,
        meta_deps=meta_deps,
        dependents=MappingProxyType({k: tuple(sorted(set(v))) for k, v in dependents.items()}),
        rank=MappingProxyType({name: (phase[name], position[name]) for name in live}),
        base_values=MappingProxyType(base),
        base_absent=frozenset(absent),
        base_hits=MappingProxyType(hits),
        base_header_hits=tuple(sorted(n for n in header_phase if base.get(n))),
        steps=tuple(
            (meta.name, meta_deps[i], meta.direct or meta.evaluate, meta.evaluate, meta.score)
            for i, meta in enumerate(order)
        ),
    )


def evaluate_meta_state(
    meta: MetaTest,
    meta_deps: tuple[str, ...],
    values: Mapping[str, float],
    absent: set[str] | frozenset[str],
) -> tuple[bool, float, bool]:
    """Evaluate one live meta: (present, value, hit).

    Not evaluated when a meta it reads has no entry; a true result records a hit (and an
    entry) only with a non-zero score; a false one records the entry 0 (``rule_ready``).
    """
    for dep in meta_deps:
        if dep in absent:
            return False, 0, False
    result = meta.evaluate(values)
    if perl_truth(result):
        if meta.score:
            return True, positive_value(result), True
        return False, 0, False
    return True, 0, False


def header_values(plan_groups: tuple[SpecGroup, ...], message: HeaderSource) -> dict[str, float]:
    """The ``tests_already_hit`` values header tests that hit give ``message`` (name →
    count, or 1)."""
    values: dict[str, float] = {}
    for test, outcome in match_groups(plan_groups, message, _COMPILE_TIMEOUT, []):
        if test.score:
            values[test.name] = outcome.count if test.maxhits is not None else 1
    return values


def build_plan(
    ruleset: RuleSet,
    typical: HeaderSource | None = None,
    *,
    multipattern: bool | None = None,
    cache_dir: Path | None = None,
) -> Plan:
    """Precompute the per-message work for ``ruleset`` (module docstring).

    Args:
        ruleset: the compiled rule set.
        typical: a message whose header hits serve as the baseline (speed only: any
            message, or None for "no header test hits", gives the same results).
        multipattern: use the Hyperscan backend (``multipattern.py``); None means "when
            the ``hyperscan`` package is installed". Speed only, never results.
        cache_dir: where Hyperscan databases may be cached (None: compile every time).
    """
    use_scanner = AVAILABLE if multipattern is None else multipattern and AVAILABLE
    groups: list[SpecGroup] = []
    for band in ruleset.bands:
        for spec, tests in ruleset.header_tests.get(band, ()):
            groups.append(compile_group(spec, tests, multipattern=use_scanner, cache_dir=cache_dir))
    frozen = tuple(groups)
    baseline = header_values(frozen, typical) if typical is not None else {}
    for group in frozen:
        group.memo.clear()  # the typical message's values are not worth keeping
    backend = "hyperscan" if any(g.scanner is not None for g in frozen) else "literals"
    return Plan(
        frozen,
        _schedule(ruleset, baseline),
        backend,
        index_groups(frozen),
        order_sensitive(ruleset),
    )


def order_sensitive(ruleset: RuleSet) -> bool:
    """Whether a meta without recorded dependencies still reads rules.

    That happens only for metas in a dependency cycle: SpamAssassin drops their
    dependencies but keeps their expression and evaluates it once, right after the first
    priority band, on the values that exist at that moment (docs/check.md). The fast
    plan assumes every meta sees its dependencies' final values, so such a configuration
    (a lint error in SpamAssassin, never in the stock rules) runs on the reference
    scheduler, which follows SpamAssassin's loop step by step.
    """
    return any(
        token != "local_tests_only" and RULENAME_RE.match(token)
        for name in ruleset.meta_nodeps
        for token in tokenize_meta(ruleset.metas[name].raw)
    )
