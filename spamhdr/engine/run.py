"""Run a compiled header+meta rule set on one message, the way SpamAssassin schedules it.

Input: a :class:`RuleSet` (with its :class:`~spamhdr.engine.plan.Plan`) and a message view
with ``get(spec) -> bytes | None``. Output: a :class:`CheckResult` with exactly the hits,
values and score of the reference scheduler (``reference.py``, SpamAssassin's loop
transcribed), computed with less work (``plan.py`` says why it is the same):

* header groups in band order (``groups.py``): ``get(spec)`` once per group, precomputed
  outcomes for undefined headers, prefilters before regexes, every regex call bounded by
  the options' ``regex_timeout`` (a timeout is a defect on the result);
* metas: start from the plan's baseline and re-evaluate, in topological order, only the
  metas downstream of a header test whose value differs from it, stopping where nothing
  changes.

Per-message state is a few small dicts, sets and lists; no rule objects are built. The
rule set is never mutated, so checks may run concurrently on one rule set.
"""

from __future__ import annotations

import heapq

from spamhdr.engine.groups import match_groups
from spamhdr.engine.match import HeaderSource
from spamhdr.engine.model import CheckResult, RuleHit, RuleSet
from spamhdr.engine.plan import Plan, build_plan, evaluate_meta_state
from spamhdr.engine.score import is_spam, render_status, total_score
from spamhdr.options import DEFAULT_OPTIONS, Options

__all__ = ["HeaderSource", "run_rules"]


def run_rules(
    ruleset: RuleSet, message: HeaderSource, options: Options = DEFAULT_OPTIONS
) -> CheckResult:
    """Check one message against a compiled rule set.

    Args:
        ruleset: from :func:`spamhdr.engine.compile_ruleset`.
        message: the message's SpamAssassin header view (``spamhdr.message``).
        options: ``regex_timeout`` bounds every match.

    Returns:
        hits, score and verdict exactly as SpamAssassin computes them for header and
        meta rules; defects for matches that timed out.
    """
    plan = ruleset.plan if isinstance(ruleset.plan, Plan) else build_plan(ruleset)
    defects: list[str] = []
    header_hits = match_groups(plan.groups, message, options.regex_timeout, defects)

    schedule = plan.metas
    base = schedule.base_values
    values = dict(base)
    hit_scores: list[float] = []
    test_names: list[str] = []
    subtests: list[str] = []
    details: dict[str, RuleHit] = {}
    changed: list[str] = []
    for test, outcome in header_hits:
        if not test.score:
            continue  # got_hit ignores zero-score rules (hand-built rule sets only)
        name = test.name
        count = outcome.count if test.maxhits is not None else 1
        values[name] = count
        if base.get(name) != count:
            changed.append(name)
        if name.startswith("__"):
            subtests.append(name)
        else:
            hit_scores.extend([test.score] * count)
            test_names.extend([name] * count)
        details[name] = RuleHit(
            name,
            "header",
            0.0 if name.startswith("__") else test.score,
            count,
            test.spec,
            outcome.subject,
            outcome.span,
        )
    for name in schedule.base_header_hits:
        if name not in details:
            values[name] = 0
            changed.append(name)

    meta_hits = _run_metas(plan, values, changed)
    rank = schedule.rank
    metas = ruleset.metas
    for name in sorted(meta_hits, key=rank.__getitem__):
        score = metas[name].score
        if name.startswith("__"):
            subtests.append(name)
        else:
            hit_scores.append(score)
            test_names.append(name)
        details[name] = RuleHit(
            name, "meta", 0.0 if name.startswith("__") else score, meta_hits[name]
        )

    total = total_score(hit_scores)
    required = ruleset.required_score
    hits = tuple(details[n] for n in sorted(details) if not n.startswith("__"))
    return CheckResult(
        score=total,
        required=required,
        is_spam=is_spam(total, required),
        hits=hits,
        subtests=tuple(sorted(set(subtests))),
        test_names=tuple(test_names),
        not_evaluated=ruleset.not_evaluated,
        defects=tuple(defects),
        x_spam_status=render_status(score=total, required=required, names=test_names),
    )


def _run_metas(plan: Plan, values: dict[str, float], changed: list[str]) -> dict[str, float]:
    """Propagate the header tests in ``changed`` through the metas; ``values`` is updated
    in place. Returns the metas that hit, with their values."""
    schedule = plan.metas
    absent = set(schedule.base_absent)
    meta_hits = dict(schedule.base_hits)
    dependents = schedule.dependents
    order, meta_deps = schedule.order, schedule.meta_deps
    queue: list[int] = []
    queued: set[int] = set()
    for name in changed:
        for position in dependents.get(name, ()):
            if position not in queued:
                queued.add(position)
                queue.append(position)
    heapq.heapify(queue)
    while queue:
        position = heapq.heappop(queue)
        meta = order[position]
        name = meta.name
        present, value, hit = evaluate_meta_state(meta, meta_deps[position], values, absent)
        if present == (name not in absent) and value == values[name] and hit == (name in meta_hits):
            continue
        values[name] = value
        if present:
            absent.discard(name)
        else:
            absent.add(name)
        if hit:
            meta_hits[name] = value
        else:
            meta_hits.pop(name, None)
        for reader in dependents.get(name, ()):
            if reader not in queued:
                queued.add(reader)
                heapq.heappush(queue, reader)
    return meta_hits
