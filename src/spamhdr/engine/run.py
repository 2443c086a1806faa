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

from spamhdr.engine.groups import match_groups
from spamhdr.engine.match import HeaderSource
from spamhdr.engine.model import CheckResult, RuleHit, RuleSet
from spamhdr.engine.plan import MetaSchedule, Plan, build_plan, positive_value
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
    header_hits = match_groups(plan.groups, message, options.regex_timeout, defects, plan.index)

    schedule = plan.metas
    base = schedule.base_values
    # base_values is a MappingProxyType: its copy() copies the dict underneath (4 µs);
    # dict(proxy) walks the mapping protocol key by key (80 µs for the stock rules).
    copy = getattr(base, "copy", None)
    values: dict[str, float] = copy() if copy is not None else dict(base)
    hit_scores: list[float] = []
    test_names: list[str] = []
    subtests: list[str] = []
    details: dict[str, RuleHit] = {}
    changed: list[str] = []
    for test, outcome in header_hits:
        score = test.score
        if not score:
            continue  # got_hit ignores zero-score rules (hand-built rule sets only)
        name = test.name
        count = outcome.count if test.maxhits is not None else 1
        values[name] = count
        if base.get(name) != count:
            changed.append(name)
        if name.startswith("__"):
            subtests.append(name)  # sub-rules only need their name (no RuleHit)
        else:
            hit_scores.extend([score] * count)
            test_names.extend([name] * count)
            details[name] = RuleHit(
                name, "header", score, count, test.spec, outcome.subject, outcome.span
            )
    if schedule.base_header_hits:
        hit_names = set(subtests).union(details)
        for name in schedule.base_header_hits:
            if name not in hit_names:
                values[name] = 0
                changed.append(name)

    meta_hits = _run_metas(schedule, values, changed)
    rank = schedule.rank
    metas = ruleset.metas
    for name in sorted(meta_hits, key=rank.__getitem__):
        if name.startswith("__"):
            subtests.append(name)
        else:
            score = metas[name].score
            hit_scores.append(score)
            test_names.append(name)
            details[name] = RuleHit(name, "meta", score, meta_hits[name])

    total = total_score(hit_scores)
    required = ruleset.required_score
    return CheckResult(
        score=total,
        required=required,
        is_spam=is_spam(total, required),
        hits=tuple(details[n] for n in sorted(details)),
        subtests=tuple(sorted(set(subtests))),
        test_names=tuple(test_names),
        not_evaluated=ruleset.not_evaluated,
        defects=tuple(defects),
        x_spam_status=render_status(score=total, required=required, names=test_names),
    )


def _run_metas(
    schedule: MetaSchedule, values: dict[str, float], changed: list[str]
) -> dict[str, float]:
    """Propagate the header tests in ``changed`` through the metas; ``values`` is updated
    in place. Returns the metas that hit, with their values.

    This is ``plan.evaluate_meta_state`` inlined (it runs ~100 times per message): a
    meta reading an absent meta is absent; a true result is a hit with an entry only
    with a non-zero score (the zero-score dead end); a false one records 0.
    """
    absent = set(schedule.base_absent)
    meta_hits = dict(schedule.base_hits)
    dependents = schedule.dependents
    steps = schedule.steps
    # Pending positions as a byte map scanned upwards with bytearray.find (C speed): a
    # meta's readers always come later in the topological order, so one ascending pass
    # evaluates each pending meta once, after everything it reads.
    pending = bytearray(len(steps))
    for name in changed:
        for position in dependents.get(name, ()):
            pending[position] = 1
    position = pending.find(1)
    while position >= 0:
        name, meta_deps, direct, evaluate, score = steps[position]
        position = pending.find(1, position + 1)
        present = hit = False
        value: float = 0.0
        if not absent or absent.isdisjoint(meta_deps):
            try:
                result = direct(values)
            except (KeyError, ZeroDivisionError):
                result = evaluate(values)
            # perl_true: false for 0, "" and "0"
            truthy = result not in ("", "0") if isinstance(result, str) else result != 0
            if not truthy:
                present = True
            elif score:
                present = hit = True
                value = positive_value(result)
        was_present = name not in absent
        if present == was_present and value == values[name] and hit == (name in meta_hits):
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
        readers = dependents.get(name)
        if readers:
            for reader in readers:
                pending[reader] = 1
            if position < 0 or readers[0] < position:
                position = readers[0]  # readers are sorted, all after this meta
    return meta_hits
