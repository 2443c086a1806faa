"""Header-spec groups → the header hits of one message (``Check.pm do_head_tests``, batched).

Input: the header tests of one band on one spec (``compile_group``, once per rule set), then
per message a view with ``get(spec)`` (``match_groups``). Output: ``(test, Outcome)`` for
every test that hit, in run order, plus defect texts. Every outcome is the one
:func:`spamhdr.engine.match.match_header_test` gives (the reference scheduler runs that
function on every test); what differs is how little work it takes:

* **absent headers** — a group whose spec names ordinary headers
  (:func:`spamhdr.message.spec_field_names`) is undefined when the message has none of
  them, without calling ``get``; an undefined value takes the group's outcomes
  precomputed at compile time (they are the same for every message);
* **multi-pattern scan** (optional, ``multipattern.py``) — one Hyperscan scan of the value
  names the rules that may match; the others take their "no match" outcome. Where the
  database holds a rule's *exact* translation, the scan's answer is the regex's answer:
  a ``!~`` rule it names does not hit, and a ``=~`` sub-rule (``__``, never reported
  with a span) it names hits without its regex running (the automaton's scan is linear,
  so there is nothing to time out);
* **required literals** (``prefilter.py``) — a substring test proves "no match" before
  a regex runs;
* **back-reference guards** (``guards.py``) — for the stock ``ALL`` rules that compare two
  fields through a back-reference, a check that the captured text occurs where the
  back-reference needs it proves "no match" before their backtracking regex runs;
* **shape deciders** (``guards_shapes.py``) — for a dozen stock patterns with a lookahead,
  a back-reference or an empty match, a few ``find`` calls tell "no match" (the rule takes
  its "no match" outcome) or "matches" (a ``!~`` rule does not hit; a ``=~`` sub-rule
  without ``multiple`` hits once, its span unreported, as on the exact scan path); any
  other answer runs the regex;
* **value memo** — a group's hits and defects on a value are a pure function of the value,
  so short values seen before (``Content-Type``, ``MIME-Version``, ``X-Mailer``,
  ``List-*`` repeat across real mail) reuse the earlier result. Bounded: at most
  :data:`MEMO_ENTRIES` values of at most :data:`MEMO_VALUE_BYTES` bytes per group,
  least recently used dropped first; results with defects (timeouts) are never kept.
  A group whose values hardly repeat (``Message-Id``, ``Date``, ``Subject``: under one hit
  in :data:`MEMO_MIN_HIT_SHARE` over a trial of :data:`MEMO_TRIAL` look-ups) stops using
  its memo for the next :data:`MEMO_PAUSE` values, then tries again: storing values that
  never come back costs the insertion, the eviction and the garbage collector's time
  on every kept result (measured: ~26 results kept per message, half of them never hit).

Thread safety: a group is shared by every check on its rule set; the memo is a dict only
ever read, assigned and trimmed with single operations, so concurrent checks may miss the
memo but never see a wrong entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from spamhdr.engine.guards import Guard, guard_for
from spamhdr.engine.guards_shapes import MATCHES, NO_MATCH, Decider, shape_for
from spamhdr.engine.match import (
    NO_HIT,
    HeaderSource,
    Outcome,
    match_header_test,
    timeout_defect,
)
from spamhdr.engine.model import HeaderTest
from spamhdr.engine.multipattern import GroupScanner, compile_scanner
from spamhdr.engine.prefilter import Prefilter, required_literals
from spamhdr.message import SAMessage, spec_field_names

__all__ = [
    "MEMO_ENTRIES",
    "MEMO_MIN_HIT_SHARE",
    "MEMO_PAUSE",
    "MEMO_TRIAL",
    "MEMO_VALUE_BYTES",
    "MIN_SCANNED",
    "GroupIndex",
    "HeaderEntry",
    "HeaderHits",
    "SpecGroup",
    "compile_group",
    "index_groups",
    "match_groups",
]

#: Timeout for the compile-time runs on constant values (undefined headers).
_COMPILE_TIMEOUT = 5.0
#: Groups with fewer regex rules than this get no Hyperscan database, unless the scan
#: alone decides their rules (``_scan_decides``). A single rule's literal prefilter is as
#: fast as a scan when the regex must run anyway; from two rules on, the scan wins
#: (ALL:raw's two rules cost 21 µs/message with literals, 1.2 µs with a scan; measured
#: with ``benchmarks.rule_throughput`` and a per-rule timing of the corpus sample).
MIN_SCANNED = 2
#: Memo bounds per group (module docstring).
MEMO_ENTRIES = 256
MEMO_VALUE_BYTES = 200
MEMO_TRIAL = 256
MEMO_MIN_HIT_SHARE = 10
MEMO_PAUSE = 4096

#: (test, outcome) of every header test that hit, in run order.
HeaderHits = list[tuple[HeaderTest, Outcome]]
_Result = tuple[tuple[tuple[HeaderTest, Outcome], ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class HeaderEntry:
    """One header test inside its spec group.

    Attributes:
        test: the compiled test.
        prefilter: proves "no match" cheaply, or None (always run the regex).
        on_no_match: the outcome when a prefilter or the scanner proves no match (NO_HIT
            unless the rule is negated).
        plain: a ``=~`` regex without ``multiple`` (the common case, matched inline).
        quick: the prefilter's first requirement when it is one literal (tested inline,
            without a call), else ``b""``; ``quick_folded``: compare it ASCII-folded.
        more: the prefilter has requirements beyond ``quick``.
        guard: a back-reference guard (``guards.py``), run on the lower-cased value after
            the prefilter, or None.
        decide: a shape decider (``guards_shapes.py``), run after the guard, or None;
            ``decide_folded``: it reads the lower-cased value.
        settled_by_match: a match alone fixes the outcome: the rule is ``!~`` (no hit) or a
            ``=~`` sub-rule (``__``) without ``multiple`` (one hit, no span).
    """

    test: HeaderTest
    prefilter: Prefilter | None
    on_no_match: Outcome
    plain: bool
    quick: bytes = b""
    quick_folded: bool = False
    more: bool = False
    guard: Guard | None = None
    decide: Decider | None = None
    decide_folded: bool = False
    settled_by_match: bool = False


@dataclass(frozen=True, slots=True)
class SpecGroup:
    """The tests of one band on one header spec.

    Attributes:
        spec: what ``get()`` is asked for.
        entries: the tests in run order.
        when_undefined: outcome per entry when ``get(spec)`` is None, or None when some
            entry could not be precomputed (then they run per message).
        needs_lower: some prefilter compares ASCII-folded literals, or some entry has a guard
            or a decider that reads the lower-cased value.
        undefined_hits: the entries of ``when_undefined`` that hit, with their outcomes.
        undefined_defects: the defects of ``when_undefined``, in order.
        field_names: the value is undefined when a message has none of these fields
            (None: always ask ``get``).
        scanner: the group's Hyperscan database, or None.
        visit: with a scanner, the positions looked at whatever the scan says: rules it
            does not cover, and covered rules whose "no match" outcome is a hit.
        known_hit: exactly covered positions (``GroupScanner.exact``) whose outcome when
            the scan reports them is one hit without running the regex: ``=~`` sub-rules
            (``__``), whose span is never reported.
        known_miss: exactly covered ``!~`` rules: reported by the scan means "the regex
            matches", i.e. no hit.
        memo: value → (hits, defects), bounded (module docstring); mutable cache.
        memo_counts: ``[look-ups, hits]`` of the current memo trial, or ``[-n, 0]``
            while the memo pauses for ``n`` more values (module docstring); mutable.
    """

    spec: str
    entries: tuple[HeaderEntry, ...]
    when_undefined: tuple[Outcome, ...] | None
    needs_lower: bool
    undefined_hits: tuple[tuple[HeaderTest, Outcome], ...] = ()
    undefined_defects: tuple[str, ...] = ()
    field_names: frozenset[bytes] | None = None
    scanner: GroupScanner | None = None
    visit: tuple[int, ...] = ()
    known_hit: frozenset[int] = frozenset()
    known_miss: frozenset[int] = frozenset()
    memo: dict[bytes, _Result] = field(default_factory=dict, compare=False, repr=False)
    memo_counts: list[int] = field(default_factory=lambda: [0, 0], compare=False, repr=False)


def _is_plain(test: HeaderTest) -> bool:
    return test.pattern is not None and not test.negate and test.maxhits is None


def _scan_decides(scanner: GroupScanner, tests: tuple[HeaderTest, ...]) -> bool:
    """Whether the scan alone decides every covered rule (exact ``__`` sub-rules and exact
    ``!~`` rules): then even one rule's scan saves its regex run on every value."""
    return all(
        i in scanner.exact
        and (tests[i].negate or (tests[i].maxhits is None and tests[i].name.startswith("__")))
        for i in scanner.covered
    )


def _entry(test: HeaderTest) -> HeaderEntry:
    prefilter = required_literals(test.pattern) if test.pattern is not None else None
    guard = guard_for(test.pattern.pattern) if test.pattern is not None else None
    shape = shape_for(test.pattern.pattern) if test.pattern is not None else None
    # Undefined-or-empty subjects are never filtered, so the subject is a placeholder;
    # match_header_test does not run the regex when no_match is set.
    on_no_match = (
        match_header_test(test, b"", _COMPILE_TIMEOUT, no_match=True)
        if test.pattern is not None
        else NO_HIT
    )
    quick = b""
    quick_folded = False
    more = prefilter is not None
    if prefilter is not None:
        first = prefilter.requirements[0]
        if len(first.exact) + len(first.folded) == 1:
            quick = (first.exact or first.folded)[0]
            quick_folded = bool(first.folded)
            more = len(prefilter.requirements) > 1
    return HeaderEntry(
        test,
        prefilter,
        on_no_match,
        _is_plain(test),
        quick,
        quick_folded,
        more,
        guard,
        shape.decide if shape is not None else None,
        shape is not None and shape.folded,
        test.negate or (test.maxhits is None and test.name.startswith("__")),
    )


def compile_group(
    spec: str,
    tests: tuple[HeaderTest, ...],
    *,
    multipattern: bool = False,
    cache_dir: Path | None = None,
) -> SpecGroup:
    """Compile the tests of one band on ``spec``.

    Args:
        spec: the header spec.
        tests: in run order.
        multipattern: build a Hyperscan database when the backend is available and the
            group has at least :data:`MIN_SCANNED` regex rules.
        cache_dir: where serialized databases may be kept (``multipattern.py``).
    """
    entries = tuple(_entry(test) for test in tests)
    undefined: list[Outcome] = []
    for test in tests:
        outcome = match_header_test(test, None, _COMPILE_TIMEOUT)
        if any("timed out" in d for d in outcome.defects):
            undefined = []
            break
        undefined.append(outcome)
    complete = len(undefined) == len(tests)
    scanner = None
    regex_rules = sum(t.pattern is not None for t in tests)
    if multipattern and regex_rules >= 1:
        scanner = compile_scanner([t.pattern for t in tests], cache_dir)
        if scanner is not None and regex_rules < MIN_SCANNED and not _scan_decides(scanner, tests):
            scanner = None
    visit: tuple[int, ...] = ()
    known_hit: set[int] = set()
    known_miss: set[int] = set()
    if scanner is not None:
        visit = tuple(
            i
            for i, entry in enumerate(entries)
            if i not in scanner.covered or entry.on_no_match.count or entry.on_no_match.defects
        )
        for i in scanner.exact:
            test = entries[i].test
            if test.negate:
                known_miss.add(i)  # match_header_test: a match means no hit for !~
            elif test.maxhits is None and test.name.startswith("__"):
                known_hit.add(i)
    return SpecGroup(
        spec,
        entries,
        tuple(undefined) if complete else None,
        any(
            (e.prefilter is not None and e.prefilter.needs_lower)
            or e.guard is not None
            or e.decide_folded
            for e in entries
        ),
        tuple((t, o) for t, o in zip(tests, undefined, strict=False) if o.count)
        if complete
        else (),
        tuple(d for o in undefined for d in o.defects) if complete else (),
        spec_field_names(spec) if complete else None,
        scanner,
        visit,
        frozenset(known_hit),
        frozenset(known_miss),
    )


def _run_entry(
    entry: HeaderEntry,
    value: bytes,
    lowered: bytes,
    timeout: float,
    hits: HeaderHits,
    defects: list[str],
    scanned: bool = False,
) -> None:
    """One test on a defined value: prefilter, guard and decider, then the regex (or
    match_header_test). ``scanned``: the group's scan named the test; its database holds
    the test's superset, which keeps every literal the prefilter requires, so only the
    guard is left to try."""
    test = entry.test
    prefilter = entry.prefilter
    if value and (
        (
            not scanned
            and prefilter is not None
            and (
                entry.quick not in (lowered if entry.quick_folded else value)
                or (entry.more and not prefilter.may_match(value, lowered))
            )
        )
        or (entry.guard is not None and not entry.guard(lowered))
    ):
        _no_match(entry, value, hits, defects)
        return
    decide = entry.decide
    if decide is not None and value:
        decided = decide(value, lowered)
        if decided == NO_MATCH:
            _no_match(entry, value, hits, defects)
            return
        if decided == MATCHES and entry.settled_by_match:
            if not test.negate:  # a sub-rule: one hit, its span never reported
                hits.append((test, Outcome(1, None, value)))
            return
    if entry.plain and value:
        assert test.pattern is not None
        try:
            found = test.pattern.search(value, timeout=timeout)
        except TimeoutError:
            defects.append(timeout_defect(test, timeout))
            return
        if found is not None:
            hits.append((test, Outcome(1, found.span(), value)))
        return
    outcome = match_header_test(test, value, timeout)
    if outcome.defects:
        defects.extend(outcome.defects)
    if outcome.count:
        hits.append((test, outcome))


def _no_match(entry: HeaderEntry, value: bytes, hits: HeaderHits, defects: list[str]) -> None:
    outcome = entry.on_no_match
    if outcome.defects:
        defects.extend(outcome.defects)
    if outcome.count:  # a negated rule: hits on the value it was given
        hits.append((entry.test, Outcome(outcome.count, None, value)))


def _run_group(group: SpecGroup, value: bytes, timeout: float) -> _Result:
    """Every test of ``group`` on a defined value."""
    hits: HeaderHits = []
    defects: list[str] = []
    entries = group.entries
    lowered = value.lower() if group.needs_lower and value else b""
    scanner = group.scanner
    found = scanner.candidates(value) if scanner is not None and value else None
    if found is None:
        for entry in entries:
            _run_entry(entry, value, lowered, timeout, hits, defects)
    else:
        assert scanner is not None
        covered = scanner.covered
        known_hit, known_miss = group.known_hit, group.known_miss
        positions: Sequence[int] = sorted(found.union(group.visit)) if found else group.visit
        for i in positions:
            if i not in found:
                if i in covered:
                    _no_match(entries[i], value, hits, defects)
                else:
                    _run_entry(entries[i], value, lowered, timeout, hits, defects)
            elif i in known_hit:
                hits.append((entries[i].test, Outcome(1, None, value)))
            elif i not in known_miss:
                _run_entry(entries[i], value, lowered, timeout, hits, defects, True)
    return tuple(hits), tuple(defects)


@dataclass(frozen=True, slots=True)
class GroupIndex:
    """Which groups a message can need, by the fields it has (``match_groups``).

    Attributes:
        by_name: lower-cased field name → positions of the groups that read it.
        always: positions of the groups run whatever the fields: specs without
            ``field_names``, and groups whose undefined outcome has hits or defects.
    """

    by_name: dict[bytes, tuple[int, ...]]
    always: frozenset[int]


def index_groups(groups: tuple[SpecGroup, ...]) -> GroupIndex:
    """Build the :class:`GroupIndex` of ``groups`` (once per rule set)."""
    by_name: dict[bytes, list[int]] = {}
    always: set[int] = set()
    for position, group in enumerate(groups):
        if (
            group.field_names is None
            or group.when_undefined is None
            or group.undefined_hits
            or group.undefined_defects
        ):
            always.add(position)
            continue
        for name in group.field_names:
            by_name.setdefault(name, []).append(position)
    return GroupIndex({k: tuple(v) for k, v in by_name.items()}, frozenset(always))


def match_groups(
    groups: tuple[SpecGroup, ...],
    message: HeaderSource,
    timeout: float,
    defects: list[str],
    index: GroupIndex | None = None,
) -> HeaderHits:
    """Run header groups on ``message`` (module docstring): ``get(spec)`` at most once per
    group; timeouts and other problems go to ``defects``.

    ``index`` (from :func:`index_groups` on the same ``groups``) lets a message with few
    fields skip the groups it cannot need: a group left out is one whose spec names only
    absent fields and whose undefined outcome has no hit and no defect.
    """
    hits: HeaderHits = []
    present = message.field_names if isinstance(message, SAMessage) else None
    selected: Sequence[SpecGroup] = groups
    if index is not None and present is not None:
        active = set(index.always)
        by_name = index.by_name
        for name in present:
            found = by_name.get(name)
            if found is not None:
                active.update(found)
        selected = [groups[position] for position in sorted(active)]
    for group in selected:
        names = group.field_names
        if present is not None and names is not None and present.isdisjoint(names):
            value = None
        else:
            value = message.get(group.spec)
        if value is None and group.when_undefined is not None:
            if group.undefined_defects:
                defects.extend(group.undefined_defects)
            hits.extend(group.undefined_hits)
            continue
        if value is None:
            # Some test's undefined outcome timed out at compile time: run them all.
            for entry in group.entries:
                outcome = match_header_test(entry.test, None, timeout)
                defects.extend(outcome.defects)
                if outcome.count:
                    hits.append((entry.test, outcome))
            continue
        memo = group.memo
        # A value longer than MEMO_VALUE_BYTES is never stored: looking it up would only
        # hash it (ALL is ~1.8 kB), so it goes straight to the run.
        short = len(value) <= MEMO_VALUE_BYTES and _memo_open(group.memo_counts, memo)
        result = memo.get(value) if short else None
        if short and result is not None:
            group.memo_counts[1] += 1
        if result is None:
            result = _run_group(group, value, timeout)
            if not result[1] and short:
                if len(memo) >= MEMO_ENTRIES:
                    # Drop the least recently used (dicts keep insertion order); another
                    # thread may have trimmed it first.
                    # (Not contextlib.suppress: interpreted, ~0.5 µs a call on this path.)
                    try:  # noqa: SIM105
                        del memo[next(iter(memo))]
                    except (KeyError, RuntimeError, StopIteration):
                        pass
                memo[value] = result
        else:
            try:  # mark as recently used: re-insert at the end
                del memo[value]
                memo[value] = result
            except KeyError:
                pass
        if result[1]:
            defects.extend(result[1])
        hits.extend(result[0])
    return hits


def _memo_open(counts: list[int], memo: dict[bytes, _Result]) -> bool:
    """Whether this value goes through the memo; counts the look-up (module docstring).
    Counts may race between threads: only the memo's usefulness depends on them."""
    looked = counts[0]
    if looked < 0:  # paused
        counts[0] = looked + 1
        return False
    if looked >= MEMO_TRIAL:
        if counts[1] * MEMO_MIN_HIT_SHARE < looked:
            counts[0] = -MEMO_PAUSE
            counts[1] = 0
            memo.clear()
            return False
        counts[0] = counts[1] = 0  # useful: a new trial
    counts[0] += 1
    return True
