"""The compiled engine (plan.py + run.py) equals the reference scheduler (reference.py).

reference.py is SpamAssassin's band/meta loop transcribed step by step (``Check.pm``,
``PerMsgStatus.pm got_hit``/``rule_ready``; spec/sa-rules.md §5.6–6.3). The fast path
replaces it with a static schedule, a baseline and delta propagation; these properties
check, on random rule graphs and random header hits, that nothing observable changes:
hits and their values, sub-rules, score, ``tests=`` names, defects — including zero-score
rules and metas (the dead end), never-run dependencies, dependency cycles, several bands,
``!~``, ``exists:``, ``multiple``, and any baseline message. Also: the flattened meta
closures (metafast.py) return exactly what ``spamhdr.rules.compile_meta`` returns.
"""

from __future__ import annotations

from dataclasses import replace

import regex
from engine_rulesets import Headers, hand_built_ruleset, meta_evaluator
from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.engine.metafast import compile_meta_fast
from spamhdr.engine.model import HeaderTest, MetaTest, RuleSet
from spamhdr.engine.plan import build_plan
from spamhdr.engine.reference import run_rules_reference
from spamhdr.engine.run import run_rules
from spamhdr.rules import compile_meta
from spamhdr.rules.meta import Binary, Chain, MetaExpr, Name, Num, Ternary, Unary, meta_names

HEADER_NAMES = [f"H{i}" for i in range(6)]
META_NAMES = [f"M{i}" for i in range(6)] + [f"__S{i}" for i in range(2)]
OTHER_NAMES = ["BODY_RULE", "__UNDEFINED"]
ALL_NAMES = HEADER_NAMES + META_NAMES + OTHER_NAMES


def _trees(names: list[str]) -> st.SearchStrategy[MetaExpr]:
    leaves = st.one_of(
        st.sampled_from(names).map(Name),
        st.sampled_from([0, 1, 2, 0.5]).map(Num),
    )

    def extend(inner: st.SearchStrategy[MetaExpr]) -> st.SearchStrategy[MetaExpr]:
        return st.one_of(
            st.builds(Unary, st.sampled_from(["!", "!", "-"]), inner),
            st.builds(
                Binary, st.sampled_from(["&&", "||", "&&", "||", "+", ">", "=="]), inner, inner
            ),
            st.builds(lambda a, b, c: Chain(("<", "<="), (a, b, c)), inner, inner, inner),
            st.builds(Ternary, inner, inner, inner),
        )

    return st.recursive(leaves, extend, max_leaves=6)


@st.composite
def rule_sets(draw: st.DrawFn) -> tuple[RuleSet, dict[str, bytes]]:
    tests = []
    for name in draw(st.lists(st.sampled_from(HEADER_NAMES), unique=True, max_size=6)):
        kind = draw(st.sampled_from(["re", "re", "not", "exists", "multiple", "unset"]))
        tests.append(
            HeaderTest(
                name=name,
                spec=f"X-{name}",
                pattern=None if kind == "exists" else regex.compile(rb"x"),
                negate=kind == "not" or (kind == "exists" and draw(st.booleans())),
                if_unset=b"x" if kind == "unset" else None,
                maxhits=draw(st.sampled_from([0, 2])) if kind == "multiple" else None,
                score=draw(st.sampled_from([1.0, 1.0, 0.5, 0.0])),
                priority=draw(st.sampled_from([0, 0, -100, 500])),
            )
        )
    metas = []
    for name in draw(st.lists(st.sampled_from(META_NAMES), unique=True, max_size=8)):
        tree = draw(_trees(ALL_NAMES))
        deps = tuple(dict.fromkeys(meta_names(tree)))
        score = draw(st.sampled_from([1.0, 1.0, 2.5, 0.0]))
        metas.append(MetaTest(name, deps, meta_evaluator(tree), score))
    bands = sorted(
        {t.priority for t in tests} | {0, *draw(st.lists(st.sampled_from([-50, 900]), max_size=1))}
    )
    ruleset = hand_built_ruleset(tests, metas, bands=bands)
    values = {
        f"X-{name}": draw(st.sampled_from([b"x\n", b"xxx\n", b"y\n", b"\n"]))
        for name in HEADER_NAMES
        if draw(st.booleans())
    }
    return ruleset, values


def _observable(result: object) -> tuple[object, ...]:
    return (
        [(h.name, h.type, h.score, h.value, h.span) for h in result.hits],  # type: ignore[attr-defined]
        result.subtests,  # type: ignore[attr-defined]
        result.score,  # type: ignore[attr-defined]
        sorted(result.test_names),  # type: ignore[attr-defined]
        sorted(result.defects),  # type: ignore[attr-defined]
        result.x_spam_status,  # type: ignore[attr-defined]
    )


@settings(max_examples=400, deadline=None)
@given(rule_sets(), st.data())
def test_compiled_engine_equals_the_reference_scheduler(
    generated: tuple[RuleSet, dict[str, bytes]], data: st.DataObject
) -> None:
    ruleset, values = generated
    expected = _observable(run_rules_reference(ruleset, Headers(values)))
    assert _observable(run_rules(ruleset, Headers(values))) == expected
    # Any baseline message gives the same result (the baseline decides speed only).
    typical = data.draw(
        st.dictionaries(st.sampled_from([f"X-{n}" for n in HEADER_NAMES]), st.just(b"x\n"))
    )
    with_baseline = replace(ruleset, plan=build_plan(ruleset, Headers(typical)))
    assert _observable(run_rules(with_baseline, Headers(values))) == expected


@settings(max_examples=500, deadline=None)
@given(
    _trees(["A", "B", "C", "D"]),
    st.fixed_dictionaries({n: st.sampled_from([0, 1, 2, 0.5, 1.0, 3]) for n in "ABCD"}),
)
def test_flattened_meta_closures_equal_compile_meta(
    tree: MetaExpr, values: dict[str, float]
) -> None:
    try:
        expected: object = compile_meta(tree)(values.__getitem__)
    except ZeroDivisionError:
        expected = ZeroDivisionError
    try:
        got: object = compile_meta_fast(tree)(values)
    except ZeroDivisionError:
        got = ZeroDivisionError
    assert got == expected and type(got) is type(expected)
