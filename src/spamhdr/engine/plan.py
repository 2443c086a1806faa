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
from typing import Final

from spamhdr.engine.groups import GroupIndex, SpecGroup, compile_group, index_groups, match_groups
from spamhdr.engine.match import HeaderSource
from spamhdr.engine.metafast import (
    IndexedFn,
    compile_meta_indexed,
    literal_chain,
    logic_program,
)
from spamhdr.engine.model import HeaderTest, MetaTest, RuleSet, positive_value
from spamhdr.engine.multipattern import AVAILABLE
from spamhdr.message import same_value_key
from spamhdr.rules.meta import RULENAME_RE, meta_names, perl_truth, tokenize_meta

__all__ = [
    "STEP_AND",
    "STEP_CALL",
    "STEP_MAPPING",
    "STEP_OR",
    "STEP_PROGRAM",
    "MetaSchedule",
    "MetaStep",
    "Plan",
    "build_plan",
    "evaluate_meta_state",
    "order_sensitive",
    "positive_value",
]

#: How ``run.py`` evaluates one meta (``MetaSchedule.steps``): kind (``STEP_*``), terms
#: (``STEP_AND``/``STEP_OR``: ``2 * slot + negated`` per operand; ``STEP_PROGRAM``: the
#: ``metafast.logic_program``), evaluator over the values by slot (``STEP_CALL``,
#: ``STEP_MAPPING``), score, and the positions of the metas it reads.
MetaStep = tuple[int, tuple[int, ...], IndexedFn | None, float, tuple[int, ...]]
#: A chain of literals under ``&&`` / ``||``, evaluated in line.
STEP_AND: Final = 0
STEP_OR: Final = 1
#: A compiled expression over the values by slot; a division by zero gives 0, as
#: ``compile.py``'s ``evaluate`` returns.
STEP_CALL: Final = 2
#: A meta without ``tree`` (hand-built): its own evaluators on a name → value dict.
STEP_MAPPING: Final = 3
#: Nested ``&&``/``||``/``!`` and comparisons of sums, evaluated by ``run.py`` without
#: calls (``metafast.logic_program``).
STEP_PROGRAM: Final = 4


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

    The same, as ``run.py`` uses it per message (numbers instead of names: list and
    byte-string indexing instead of dict look-ups):

        slots: every name of ``base_values`` → its slot; the live metas take slots
            0 … len(order) - 1, slot = position.
        names: slot → name.
        base_slots: ``base_values`` by slot.
        base_present: per position, whether the meta has an entry at the baseline.
        base_hit: per position, whether the meta hits at the baseline.
        base_hit_positions: the positions where ``base_hit`` is true.
        ranks: per position, its place in hit order (``rank`` ascending).
        ranked: place in hit order → position.
        readers: per slot, the positions of the live metas that read it (ascending).
        base_header_slots: the slots of ``base_header_hits``.
        sub_names: the names of sub-rules (``__``) among ``names``, sorted.
        sub_ranks: per slot, the name's index in ``sub_names``, or -1 (not a sub-rule).
        steps: per position, how to evaluate it (:data:`MetaStep`).
        slot_band: per slot, the band index of a header test (-1 for other names).
        slot_order: per slot, a header test's place in the reference scheduler's order
            (bands ascending, then as ``RuleSet.header_tests`` lists them; -1 for other
            names): groups merge specs across bands, so hits come in another order.
        place_phase: per place in hit order, the meta's phase: a meta hit of phase p is
            recorded after the header hits of bands up to p and before those of later
            bands, as SpamAssassin's ``got_hit`` calls come (the order the score is
            summed in, which can change the third decimal).
    """

    order: tuple[MetaTest, ...]
    meta_deps: tuple[tuple[str, ...], ...]
    dependents: Mapping[str, tuple[int, ...]]
    rank: Mapping[str, tuple[int, int]]
    base_values: Mapping[str, float]
    base_absent: frozenset[str]
    base_hits: Mapping[str, float]
    base_header_hits: tuple[str, ...]
    slots: Mapping[str, int]
    names: tuple[str, ...]
    base_slots: tuple[float, ...]
    base_present: tuple[bool, ...]
    base_hit: tuple[bool, ...]
    base_hit_positions: tuple[int, ...]
    ranks: tuple[int, ...]
    ranked: tuple[int, ...]
    readers: tuple[tuple[int, ...], ...]
    base_header_slots: tuple[int, ...]
    sub_names: tuple[str, ...]
    sub_ranks: tuple[int, ...]
    steps: tuple[MetaStep, ...]
    slot_band: tuple[int, ...] = ()
    place_phase: tuple[int, ...] = ()
    slot_order: tuple[int, ...] = ()


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
        """Forget every group's value memo and its trial counts (``groups.py``); results
        never depend on them. Benchmarks call this so that each round starts cold."""
        for group in self.groups:
            group.memo.clear()
            group.memo_counts[:] = [0, 0]


_NEVER = 1 << 30
#: Timeout for matching the typical message at compile time.
_COMPILE_TIMEOUT = 5.0


def _schedule(ruleset: RuleSet, typical: Mapping[str, float]) -> MetaSchedule:
    metas = ruleset.metas
    finish = len(ruleset.bands)
    header_phase: dict[str, int] = {}
    header_order: dict[str, int] = {}  # the reference scheduler's (Check.pm's) test order
    for index, band in enumerate(ruleset.bands):
        for _spec, tests in ruleset.header_tests.get(band, ()):
            for test in tests:
                header_phase.setdefault(test.name, index)
                header_order.setdefault(test.name, len(header_order))
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
    readers_of = {k: tuple(sorted(set(v))) for k, v in dependents.items()}
    rank = {name: (phase[name], position[name]) for name in live}
    base_header_hits = tuple(sorted(n for n in header_phase if base.get(n)))
    # Slots: the live metas first, in topological order, then every other name.
    names = tuple(live) + tuple(name for name in base if name not in position)
    slots = {name: slot for slot, name in enumerate(names)}
    ranked = tuple(position[name] for name in sorted(live, key=rank.__getitem__))
    ranks = [0] * len(live)
    sub_names = tuple(sorted(name for name in names if name.startswith("__")))
    sub_rank = {name: rank for rank, name in enumerate(sub_names)}
    for place, at in enumerate(ranked):
        ranks[at] = place
    return MetaSchedule(
        order=order,
        meta_deps=meta_deps,
        dependents=MappingProxyType(readers_of),
        rank=MappingProxyType(rank),
        base_values=MappingProxyType(base),
        base_absent=frozenset(absent),
        base_hits=MappingProxyType(hits),
        base_header_hits=base_header_hits,
        slots=MappingProxyType(slots),
        names=names,
        base_slots=tuple(base[name] for name in names),
        base_present=tuple(name not in absent for name in live),
        base_hit=tuple(name in hits for name in live),
        base_hit_positions=tuple(position[name] for name in live if name in hits),
        ranks=tuple(ranks),
        ranked=ranked,
        readers=tuple(readers_of.get(name, ()) for name in names),
        base_header_slots=tuple(slots[name] for name in base_header_hits),
        sub_names=sub_names,
        sub_ranks=tuple(sub_rank.get(name, -1) for name in names),
        steps=tuple(
            _step(meta, tuple(position[d] for d in meta_deps[i]), slots, names)
            for i, meta in enumerate(order)
        ),
        slot_band=tuple(header_phase.get(name, -1) for name in names),
        slot_order=tuple(header_order.get(name, -1) for name in names),
        place_phase=tuple(phase[live[at]] for at in ranked),
    )


def _step(
    meta: MetaTest, reads: tuple[int, ...], slots: Mapping[str, int], names: tuple[str, ...]
) -> MetaStep:
    """How ``run.py`` evaluates ``meta`` (:data:`MetaStep`)."""
    tree = meta.tree
    if tree is not None and all(name in slots for name in meta_names(tree)):
        chain = literal_chain(tree, slots)
        if chain is not None:
            is_or, terms = chain
            return (STEP_OR if is_or else STEP_AND), terms, None, meta.score, reads
        program = logic_program(tree, slots)
        if program is not None:
            return STEP_PROGRAM, program, None, meta.score, reads
        return STEP_CALL, (), compile_meta_indexed(tree, slots), meta.score, reads
    return STEP_MAPPING, (), _mapping_step(meta, names), meta.score, reads


def _mapping_step(meta: MetaTest, names: tuple[str, ...]) -> IndexedFn:
    """``meta``'s own evaluators on the values as a dict with exactly the names of
    ``base_values`` (slower; only hand-built metas, which have no ``tree``, need it)."""
    direct = meta.direct or meta.evaluate
    evaluate = meta.evaluate

    def step(values: list[float]) -> float | str:
        mapping = dict(zip(names, values, strict=True))
        try:
            return direct(mapping)
        except (KeyError, ZeroDivisionError):
            return evaluate(mapping)

    return step


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
    # One group per value: the tests of every band on specs with the same value run
    # together (one get(), one scan). Bands only order got_hit calls, and run.py restores
    # that order from MetaSchedule.slot_order; the values tests get do not depend on it.
    by_value: dict[str, tuple[str, list[HeaderTest]]] = {}
    for band in ruleset.bands:
        for spec, tests in ruleset.header_tests.get(band, ()):
            by_value.setdefault(same_value_key(spec), (spec, []))[1].extend(tests)
    frozen = tuple(
        compile_group(spec, tuple(tests), multipattern=use_scanner, cache_dir=cache_dir)
        for spec, tests in by_value.values()
    )
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
