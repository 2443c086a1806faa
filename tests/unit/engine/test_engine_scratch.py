"""A check leaves nothing behind: run.py keeps one set of per-message arrays per thread and
rule set between checks (restored to the baseline after each), so results must not
depend on the messages checked before, on a check that raised, or on other threads.

Expected results come from the reference scheduler (reference.py: SpamAssassin's loop
transcribed, fresh state per message).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import regex
from engine_rulesets import Headers, hand_built_ruleset

from spamhdr.engine.model import CheckResult, HeaderTest, MetaTest, RuleSet
from spamhdr.engine.plan import build_plan
from spamhdr.engine.reference import run_rules_reference
from spamhdr.engine.run import run_rules
from spamhdr.rules import compile_meta
from spamhdr.rules.meta import meta_names, parse_meta


def _meta(name: str, text: str, score: float = 1.0) -> MetaTest:
    tree = parse_meta(text)
    compiled = compile_meta(tree)

    def evaluate(hits: Mapping[str, float]) -> float | str:
        return compiled(lambda n: hits.get(n) or 0)

    return MetaTest(name, tuple(dict.fromkeys(meta_names(tree))), evaluate, score, text, None, tree)


def _boom(hits: Mapping[str, float]) -> float | str:
    if hits.get("BOOM_TRIGGER"):
        raise RuntimeError("evaluator failed")
    return 0


def _ruleset() -> RuleSet:
    tests = [
        HeaderTest("SUBJ_X", "Subject", regex.compile(rb"x"), False, None, None, 1.0, 0),
        HeaderTest("__FROM_Y", "From", regex.compile(rb"y"), False, None, None, 1.0, 0),
        HeaderTest("MANY_Z", "To", regex.compile(rb"z"), False, None, 0, 0.5, 0),
        HeaderTest("BOOM_TRIGGER", "X-Boom", regex.compile(rb"."), False, None, None, 0.1, 0),
    ]
    metas = [
        _meta("BOTH", "SUBJ_X && __FROM_Y", 2.0),
        _meta("__EITHER", "SUBJ_X || MANY_Z"),
        _meta("NOT_EITHER", "!__EITHER && !__FROM_Y", 0.3),
        _meta("COUNTED", "(MANY_Z + __FROM_Y) > 2", 1.5),
        MetaTest("BOOM", ("BOOM_TRIGGER",), _boom, 1.0),
    ]
    ruleset = hand_built_ruleset(tests, metas, required_score=3.0)
    # A baseline message that hits, so that restoring it matters.
    typical = Headers({"Subject": b"x\n", "To": b"zz\n"})
    return replace(ruleset, plan=build_plan(ruleset, typical))


MESSAGES = [
    {"Subject": b"x\n", "From": b"y\n"},
    {"Subject": b"x\n", "To": b"zz\n"},
    {"To": b"zzzz\n", "From": b"y\n"},
    {},
    {"From": b"y\n"},
    {"Subject": b"a\n", "To": b"z\n"},
]


def _observable(result: CheckResult) -> tuple[object, ...]:
    return (
        result.hits,
        result.subtests,
        result.score,
        sorted(result.test_names),
        result.x_spam_status,
    )


def test_results_do_not_depend_on_earlier_messages() -> None:
    ruleset = _ruleset()
    expected = [_observable(run_rules_reference(ruleset, Headers(m))) for m in MESSAGES]
    for before in MESSAGES:
        for index, message in enumerate(MESSAGES):
            run_rules(ruleset, Headers(before))
            assert _observable(run_rules(ruleset, Headers(message))) == expected[index]


def test_a_check_that_raised_leaves_nothing_behind() -> None:
    ruleset = _ruleset()
    expected = [_observable(run_rules_reference(ruleset, Headers(m))) for m in MESSAGES]
    for before in MESSAGES:
        for index, message in enumerate(MESSAGES):
            with pytest.raises(RuntimeError):
                run_rules(ruleset, Headers({**before, "X-Boom": b"!\n"}))
            assert _observable(run_rules(ruleset, Headers(message))) == expected[index]


def test_concurrent_checks_on_one_rule_set() -> None:
    ruleset = _ruleset()
    expected = [_observable(run_rules_reference(ruleset, Headers(m))) for m in MESSAGES]
    work = [i % len(MESSAGES) for i in range(3000)]

    def check(index: int) -> tuple[int, tuple[object, ...]]:
        return index, _observable(run_rules(ruleset, Headers(MESSAGES[index])))

    with ThreadPoolExecutor(max_workers=4) as pool:
        for index, got in pool.map(check, work):
            assert got == expected[index]


def test_two_rule_sets_alternating_in_one_thread() -> None:
    first, second = _ruleset(), _ruleset()
    expected = [_observable(run_rules_reference(first, Headers(m))) for m in MESSAGES]
    for index, message in enumerate(MESSAGES * 2):
        for ruleset in (first, second):
            got = _observable(run_rules(ruleset, Headers(message)))
            assert got == expected[index % len(MESSAGES)]
