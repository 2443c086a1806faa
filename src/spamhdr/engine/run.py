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

Values are kept by slot (a number per rule name, ``MetaSchedule.slots``) in one set of
arrays per thread and schedule (``_Scratch``), holding the baseline between checks: a
check writes the entries it changes and restores exactly those, so a message costs what
it changes, not the ~2,400 baseline values. Otherwise per-message state is a few small
lists; no rule objects are built. The rule set is never mutated, so checks may run
concurrently on one rule set (``tests/unit/engine/test_engine_scratch.py``).
"""

from __future__ import annotations

import threading

from spamhdr.engine.groups import HeaderHits, match_groups
from spamhdr.engine.match import HeaderSource
from spamhdr.engine.metafast import (
    OP_AND,
    OP_CONSTANT,
    OP_LITERAL,
    OP_NOT,
    OP_OR,
)
from spamhdr.engine.model import CheckResult, RuleHit, RuleSet
from spamhdr.engine.plan import (
    STEP_AND,
    STEP_CALL,
    STEP_OR,
    STEP_PROGRAM,
    MetaSchedule,
    Plan,
    build_plan,
    positive_value,
)
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
    return _collect(ruleset, plan.metas, header_hits, defects)


class _Scratch:
    """One thread's per-message arrays for one schedule, kept between checks.

    Between checks every entry equals the schedule's baseline: a check writes only the
    entries it changes and restores exactly those at the end, instead of copying the
    ~2,400 baseline values per message. A check takes the scratch out of the thread's
    slot while it runs, so a nested or concurrent use (and a check that raised) never
    sees it half-written: those build a fresh one.
    """

    def __init__(self, schedule: MetaSchedule) -> None:
        self.schedule = schedule
        self.values: list[float] = list(schedule.base_slots)
        self.present: list[bool] = list(schedule.base_present)
        self.hit: list[bool] = list(schedule.base_hit)
        self.pending: list[bool] = [False] * len(schedule.steps)


_LOCAL = threading.local()


def _collect(
    ruleset: RuleSet,
    schedule: MetaSchedule,
    header_hits: HeaderHits,
    defects: list[str],
) -> CheckResult:
    """Header hits → metas → the result (everything after the header groups).

    Values live in a list by slot (``MetaSchedule.slots``) holding the baseline; a header
    test whose value differs from it has its slot in ``changed``.
    """
    scratch = getattr(_LOCAL, "scratch", None)
    if isinstance(scratch, _Scratch) and scratch.schedule is schedule:
        _LOCAL.scratch = None
    else:
        scratch = _Scratch(schedule)
    base = schedule.base_slots
    slots = schedule.slots
    values = scratch.values
    written: list[int] = []  # header slots written (restored at the end)
    changed: list[int] = []
    # Header tests that hit at the baseline: 0 unless they hit again (compared below).
    base_header_slots = schedule.base_header_slots
    for slot in base_header_slots:
        values[slot] = 0
    # Scored header hits (order, band, name, score, count), merged with the meta hits below.
    scored: list[tuple[int, int, str, float, int]] = []
    slot_band = schedule.slot_band
    slot_order = schedule.slot_order
    # Sub-rules that hit, as indexes into the sorted ``sub_names`` (sorting numbers is
    # cheaper than sorting their names).
    sub_ranks = schedule.sub_ranks
    subs: list[int] = []
    details: dict[str, RuleHit] = {}
    for test, outcome in header_hits:
        score = test.score
        if not score:
            continue  # got_hit ignores zero-score rules (hand-built rule sets only)
        name = test.name
        count = outcome.count if test.maxhits is not None else 1
        slot = slots[name]
        values[slot] = count
        written.append(slot)
        if not base[slot] and count:
            changed.append(slot)  # (a test with a baseline value is compared below)
        sub = sub_ranks[slot]
        if sub >= 0:
            subs.append(sub)  # sub-rules only need their name (no RuleHit)
        else:
            scored.append((slot_order[slot], slot_band[slot], name, score, count))
            details[name] = RuleHit(
                name, "header", score, count, test.spec, outcome.subject, outcome.span
            )
    for slot in base_header_slots:
        if values[slot] != base[slot]:
            changed.append(slot)

    touched = _run_metas(schedule, scratch, changed)
    # Meta hits in SpamAssassin's order (plan.py ``rank``): the baseline's that still
    # hit, and the metas that hit now and did not at the baseline.
    hit = scratch.hit
    base_hit = schedule.base_hit
    ranks = schedule.ranks
    places = [ranks[p] for p in schedule.base_hit_positions if hit[p]]
    for position in touched:
        if hit[position] and not base_hit[position]:
            places.append(ranks[position])
    places.sort()
    names = schedule.names
    ranked = schedule.ranked
    steps = schedule.steps
    place_phase = schedule.place_phase
    # got_hit order: a band's header hits, then the metas evaluated after that band.
    scored.sort()
    hit_scores: list[float] = []
    test_names: list[str] = []
    next_header = 0
    for place in places:
        position = ranked[place]
        sub = sub_ranks[position]
        if sub >= 0:
            subs.append(sub)
            continue
        phase = place_phase[place]
        while next_header < len(scored) and scored[next_header][1] <= phase:
            _, _, header_name, header_score, count = scored[next_header]
            hit_scores.extend([header_score] * count)
            test_names.extend([header_name] * count)
            next_header += 1
        name = names[position]
        score = steps[position][3]
        hit_scores.append(score)
        test_names.append(name)
        details[name] = RuleHit(name, "meta", score, values[position])
    for _, _, header_name, header_score, count in scored[next_header:]:
        hit_scores.extend([header_score] * count)
        test_names.extend([header_name] * count)

    # Back to the baseline for the next message.
    for slot in written:
        values[slot] = base[slot]
    for slot in base_header_slots:
        values[slot] = base[slot]
    present = scratch.present
    base_present = schedule.base_present
    for position in touched:
        values[position] = base[position]
        present[position] = base_present[position]
        hit[position] = base_hit[position]
    _LOCAL.scratch = scratch
    subs.sort()
    sub_names = schedule.sub_names
    subtests: list[str] = []
    previous = -1
    for sub in subs:
        if sub != previous:
            subtests.append(sub_names[sub])
            previous = sub

    total = total_score(hit_scores)
    required = ruleset.required_score
    return CheckResult(
        score=total,
        required=required,
        is_spam=is_spam(total, required),
        hits=tuple(details[n] for n in sorted(details)),
        subtests=tuple(subtests),
        test_names=tuple(test_names),
        not_evaluated=ruleset.not_evaluated,
        defects=tuple(defects),
        x_spam_status=render_status(score=total, required=required, names=test_names),
    )


def _run_metas(schedule: MetaSchedule, scratch: _Scratch, changed: list[int]) -> list[int]:
    """Propagate the header tests whose slots are in ``changed`` through the metas, in
    ``scratch``. Returns the positions of the metas whose state changed (each once).

    This is ``plan.evaluate_meta_state`` inlined (it runs ~100 times per message): a
    meta reading an absent meta is absent; a true result is a hit with an entry only
    with a non-zero score (the zero-score dead end); a false one records 0.
    """
    values = scratch.values
    present = scratch.present
    hit = scratch.hit
    pending = scratch.pending
    readers = schedule.readers
    steps = schedule.steps
    touched: list[int] = []
    # Pending positions as flags scanned upwards: a meta's readers always come later in
    # the topological order, so one ascending pass evaluates each pending meta once,
    # after everything it reads; the flags are all false again when the pass ends.
    first = len(steps)
    last = -1
    for slot in changed:
        followers = readers[slot]
        if followers:
            for reader in followers:
                pending[reader] = True
            first = min(first, followers[0])
            last = max(last, followers[-1])
    current = first
    while current <= last:
        if not pending[current]:
            current += 1
            continue
        pending[current] = False
        kind, terms, evaluate, score, reads = steps[current]
        is_present = is_hit = False
        value: float = 0.0
        ready = True
        for read in reads:
            if not present[read]:
                ready = False
                break
        if ready:
            truthy = False
            number: float = 0.0
            if kind == STEP_AND:
                # Perl's &&: the first false operand, else the last one (``!`` gives 1).
                truthy = True
                for term in terms:
                    operand = values[term >> 1]
                    if term & 1:
                        if operand:
                            truthy = False
                            break
                        number = 1.0
                    elif operand:
                        number = operand
                    else:
                        truthy = False
                        break
            elif kind == STEP_PROGRAM:
                truthy, number, _end = _run_program(terms, 0, values)
            elif kind == STEP_OR:
                # Perl's ||: the first true operand (``!`` of a false one gives 1).
                for term in terms:
                    operand = values[term >> 1]
                    if term & 1:
                        if not operand:
                            truthy = True
                            number = 1.0
                            break
                    elif operand:
                        truthy = True
                        number = operand
                        break
            else:
                assert evaluate is not None
                result: float | str
                if kind == STEP_CALL:
                    try:
                        result = evaluate(values)
                    except ZeroDivisionError:
                        result = 0  # Perl dies in the meta's sub: no hit (compile.py)
                else:
                    result = evaluate(values)
                # perl_true: false for 0, "" and "0"
                truthy = result not in ("", "0") if isinstance(result, str) else result != 0
                if truthy:
                    number = positive_value(result)
            if not truthy:
                is_present = True
            elif score:
                is_present = is_hit = True
                value = number if number > 0 else 1.0  # positive_value
        if is_present == present[current] and value == values[current] and is_hit == hit[current]:
            current += 1
            continue
        values[current] = value
        present[current] = is_present
        hit[current] = is_hit
        touched.append(current)
        followers = readers[current]
        if followers:
            for reader in followers:
                pending[reader] = True
            last = max(last, followers[-1])  # readers are sorted, all after this meta
        current += 1
    return touched


def _run_program(program: tuple[int, ...], at: int, values: list[float]) -> tuple[bool, float, int]:
    """Evaluate the node of a ``metafast.logic_program`` that starts at ``at``: (Perl
    truth, its value when true, the index after the node). Perl semantics (perlop):
    ``&&`` gives its first false operand or its last one, ``||`` its first true one,
    ``!`` and comparisons give 1 or false; a false value is never read."""
    op = program[at]
    if op == OP_LITERAL:
        term = program[at + 1]
        operand = values[term >> 1]
        if term & 1:
            return not operand, 1.0, at + 2
        return operand != 0, operand, at + 2
    if op in (OP_AND, OP_OR):
        end = program[at + 1]
        at += 2
        want = op == OP_OR  # the truth that ends the chain early
        truthy = False
        number = 0.0
        while at < end:
            truthy, number, at = _run_program(program, at, values)
            if truthy == want:
                return truthy, number, end
        return truthy, number, end
    if op == OP_NOT:
        truthy, _number, at = _run_program(program, at + 1, values)
        return not truthy, 1.0, at
    if op == OP_CONSTANT:
        constant = float(program[at + 1])
        return constant != 0, constant, at + 2
    # OP_COMPARE: two sums, each added up left to right as Perl does; ``which`` indexes
    # metafast.COMPARISONS.
    which = program[at + 1]
    at += 2
    sums = [0.0, 0.0]
    for side in range(2):
        count = program[at]
        at += 1
        total = 0.0
        for index in range(count):
            code = program[at + index]
            addend = float(code >> 1) if code & 1 else values[code >> 1]
            total = addend if index == 0 else total + addend
        sums[side] = total
        at += count
    left = sums[0]
    right = sums[1]
    if which == 0:
        result = left < right
    elif which == 1:
        result = left > right
    elif which == 2:
        result = left <= right
    elif which == 3:
        result = left >= right
    elif which == 4:
        result = left == right
    else:
        result = left != right
    return result, 1.0, at
