"""The reference scheduler: SpamAssassin's band/meta loop transcribed step by step.

Input: a :class:`RuleSet` and a message view with ``get(spec) -> bytes | None``. Output: a
:class:`CheckResult`. This is the straightforward transcription of ``Check.pm`` that
:mod:`spamhdr.engine.run` replaces with a compiled plan (``plan.py``); it is kept, slow and
simple, as the executable statement of the semantics the fast path must reproduce (the
unit and property tests compare the two). Per-message state lives in one :class:`_Run`
object created per call; the rule set is never mutated.

Scheduling (spec/sa-rules.md §5.6–5.7, §6.3; Plugin/Check.pm ``check_main``,
``do_head_tests``, ``do_meta_tests``; PerMsgStatus.pm ``got_hit``, ``rule_ready``):

* bands run in ascending priority; in each, every header test (score ≠ 0) is marked ready,
  then matched; then ready metas are evaluated until none becomes ready;
* metas with no dependencies are ready from the start (evaluated after the first band);
* at the end, the non-meta dependencies of *pending* metas (score ≠ 0) that never ran count
  as 0, and pending metas are evaluated; a zero-score meta is therefore only evaluated
  before the end, and when it is true it records nothing, so its dependents never become
  ready (the "zero-score-meta dead end" of §6.3).
"""

from __future__ import annotations

from typing import Protocol

from spamhdr.engine.model import CheckResult, HeaderTest, RuleHit, RuleSet, positive_value
from spamhdr.engine.score import is_spam, render_status, total_score
from spamhdr.options import DEFAULT_OPTIONS, Options
from spamhdr.rules.meta import perl_truth

__all__ = ["HeaderSource", "run_rules_reference"]


class HeaderSource(Protocol):
    """What the engine needs from a message: SpamAssassin's ``get()`` for a spec."""

    def get(self, spec: str) -> bytes | None: ...


class _Run:
    """The per-message state SpamAssassin keeps on its PerMsgStatus object."""

    def __init__(self, ruleset: RuleSet, options: Options) -> None:
        self.ruleset = ruleset
        self.timeout = options.regex_timeout
        self.already_hit: dict[str, float] = {}  # tests_already_hit
        self.meta_ready: set[str] = set(ruleset.meta_nodeps)  # meta_check_ready
        self.meta_pending = {n for n, m in ruleset.metas.items() if m.score != 0}
        self.meta_done: set[str] = set()
        self.hit_scores: list[float] = []
        self.test_names: list[str] = []
        self.subtests: list[str] = []
        self.details: dict[str, RuleHit] = {}
        self.defects: list[str] = []

    # --- PerMsgStatus.pm ------------------------------------------------------------------

    def rule_ready(self, name: str) -> None:
        if name in self.already_hit:
            return
        self.meta_ready.update(self.ruleset.dependents.get(name, ()))
        self.already_hit[name] = 0

    def got_hit(self, name: str, score: float, value: float, multiple: bool) -> bool:
        if not score:
            return False
        already = self.already_hit.get(name, 0)
        if already and not multiple:
            return False
        self.rule_ready(name)
        self.already_hit[name] = already + value
        if name.startswith("__"):
            self.subtests.append(name)
        else:
            self.hit_scores.append(score)
            self.test_names.append(name)
        return True

    # --- Check.pm do_head_tests -----------------------------------------------------------

    def run_header_test(self, test: HeaderTest, value: bytes | None, spec: str) -> None:
        if value is None:
            value = test.if_unset
        self.rule_ready(test.name)
        if test.pattern is None:  # exists: (and its negation)
            if (value is not None) != test.negate:
                self._record(test, 1, spec, value, None)
            return
        subject = value if value is not None else b""  # undef matches as ""
        try:
            if test.maxhits is None:
                found = test.pattern.search(subject, timeout=self.timeout)
                if (found is not None) != test.negate:
                    span = found.span() if found is not None and not test.negate else None
                    self._record(test, 1, spec, subject, span)
                return
            self._run_multiple(test, subject, spec)
        except TimeoutError:
            self.defects.append(
                f"rule {test.name}: regex match on {spec} timed out after {self.timeout} s; "
                "counted as no hit"
            )

    def _run_multiple(self, test: HeaderTest, subject: bytes, spec: str) -> None:
        assert test.pattern is not None and test.maxhits is not None
        cap = test.maxhits
        if test.negate:
            # `while ($hval !~ /re/g)` loops until the cap when nothing matches, and never
            # stops without one (SpamAssassin hangs); spamhdr stops after one hit then.
            if test.pattern.search(subject, timeout=self.timeout) is None:
                if cap == 0:
                    self.defects.append(
                        f"rule {test.name}: !~ with tflags multiple and no "
                        "maxhits loops forever in SpamAssassin; counted once"
                    )
                for _ in range(cap or 1):
                    self._record(test, 1, spec, subject, None)
            return
        first_span: tuple[int, int] | None = None
        for count, found in enumerate(
            test.pattern.finditer(subject, timeout=self.timeout), start=1
        ):
            if first_span is None:
                first_span = found.span()
            self._record(test, 1, spec, subject, first_span)
            if cap and count >= cap:
                break

    def _record(
        self,
        test: HeaderTest,
        value: float,
        spec: str,
        subject: bytes | None,
        span: tuple[int, int] | None,
    ) -> None:
        if not self.got_hit(test.name, test.score, value, test.maxhits is not None):
            return
        self.details[test.name] = RuleHit(
            test.name,
            "header",
            0.0 if test.name.startswith("__") else test.score,
            self.already_hit[test.name],
            spec,
            subject,
            span,
        )

    # --- Check.pm do_meta_tests -----------------------------------------------------------

    def run_metas(self, finish: bool) -> None:
        metas = self.ruleset.metas
        hit = self.already_hit
        if finish:
            for name in self.meta_pending:
                for dep in metas[name].deps:
                    if dep not in metas and dep not in hit:
                        hit[dep] = 0
        elif not self.meta_ready:
            return
        retry = True
        while retry:
            retry = False
            candidates = self.meta_pending if finish else self.meta_ready
            # Sorted for determinism; the result does not depend on the order because a
            # meta runs only once all its dependencies have their final entries.
            for name in sorted(candidates):
                if name in self.meta_done or name not in candidates:
                    continue
                meta = metas[name]
                if any(dep not in hit for dep in meta.deps):
                    continue
                result = meta.evaluate(hit)
                self.meta_done.add(name)
                if perl_truth(result):
                    value = positive_value(result)
                    if self.got_hit(name, meta.score, value, False):
                        self.details[name] = RuleHit(
                            name, "meta", 0.0 if name.startswith("__") else meta.score, value
                        )
                else:
                    self.rule_ready(name)
                self.meta_ready.discard(name)
                self.meta_pending.discard(name)
                retry = True
        if not finish:
            self.meta_ready.clear()


def run_rules_reference(
    ruleset: RuleSet, message: HeaderSource, options: Options = DEFAULT_OPTIONS
) -> CheckResult:
    """Check one message against a compiled rule set, the slow, literal way.

    Args:
        ruleset: from :func:`spamhdr.engine.compile_ruleset`.
        message: the message's SpamAssassin header view (``spamhdr.message``).
        options: ``regex_timeout`` bounds every match.

    Returns:
        hits, score and verdict exactly as SpamAssassin computes them for header and
        meta rules; defects for matches that timed out.
    """
    run = _Run(ruleset, options)
    for band in ruleset.bands:
        for spec, tests in ruleset.header_tests.get(band, ()):
            value = message.get(spec)
            for test in tests:
                run.run_header_test(test, value, spec)
        run.run_metas(finish=False)
    run.run_metas(finish=True)
    score = total_score(run.hit_scores)
    required = ruleset.required_score
    hits = tuple(run.details[n] for n in sorted(run.details) if not n.startswith("__"))
    return CheckResult(
        score=score,
        required=required,
        is_spam=is_spam(score, required),
        hits=hits,
        subtests=tuple(sorted(set(run.subtests))),
        test_names=tuple(run.test_names),
        not_evaluated=ruleset.not_evaluated,
        defects=tuple(run.defects),
        x_spam_status=render_status(score=score, required=required, names=run.test_names),
    )
