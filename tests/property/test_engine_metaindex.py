"""Metas over value slots (plan.py ``MetaSchedule.steps``, run.py) equal ``compile_meta``.

The engine keeps a message's ``tests_already_hit`` values in a list by slot and evaluates
literal chains (``A && !B && C``, ``A || B``, ``A``, ``!A``) in line, other expressions
through closures over that list (metafast.py ``compile_meta_indexed``) or, for nested
``&&``/``||``/``!`` and comparisons of sums, as a small program (``logic_program``, run
by run.py ``_run_program``). Reference:
:func:`spamhdr.rules.compile_meta`, the Perl-semantics evaluator (perlop: ``&&`` returns
the first false operand or the last, ``||`` the first true one or the last, ``!`` gives
``""`` or 1). Checked here: the closures return what it returns, and whole checks with
metas that carry their ``tree`` (as ``compile.py`` builds them) give exactly the
reference scheduler's result (reference.py), for chains and for everything else.
"""

from __future__ import annotations

import regex
from engine_rulesets import Headers, hand_built_ruleset, meta_evaluator
from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.engine.metafast import COMPARISONS, compile_meta_indexed, literal_chain, logic_program
from spamhdr.engine.model import CheckResult, HeaderTest, MetaTest, RuleSet, positive_value
from spamhdr.engine.reference import run_rules_reference
from spamhdr.engine.run import _run_program, run_rules
from spamhdr.rules import compile_meta
from spamhdr.rules.meta import (
    Binary,
    Chain,
    MetaExpr,
    Name,
    Num,
    Ternary,
    Unary,
    meta_names,
    perl_truth,
)

HEADERS = [f"H{i}" for i in range(5)]
METAS = [f"M{i}" for i in range(6)] + ["__S0", "__S1"]
NAMES = HEADERS + METAS + ["BODY_RULE"]


def _literal_chains(names: list[str]) -> st.SearchStrategy[MetaExpr]:
    """``A``, ``!A`` and left-associative ``&&``/``||`` chains of them (840 of the 921
    stock metas have this shape)."""
    literal = st.builds(
        lambda name, negated: Unary("!", Name(name)) if negated else Name(name),
        st.sampled_from(names),
        st.booleans(),
    )

    def chain(op: str, operands: list[MetaExpr]) -> MetaExpr:
        tree = operands[0]
        for operand in operands[1:]:
            tree = Binary(op, tree, operand)
        return tree

    return st.builds(
        chain, st.sampled_from(["&&", "||"]), st.lists(literal, min_size=1, max_size=5)
    )


def _trees(names: list[str]) -> st.SearchStrategy[MetaExpr]:
    leaves = st.one_of(
        st.sampled_from(names).map(Name),
        st.sampled_from([0, 1, 2, 0.5]).map(Num),
        _literal_chains(names),
    )

    def extend(inner: st.SearchStrategy[MetaExpr]) -> st.SearchStrategy[MetaExpr]:
        return st.one_of(
            st.builds(Unary, st.sampled_from(["!", "!", "-"]), inner),
            st.builds(
                Binary,
                st.sampled_from(["&&", "||", "&&", "||", "+", ">", "/", "==", ">=", "<", "!="]),
                inner,
                inner,
            ),
            st.builds(lambda a, b, c: Chain(("<", "<="), (a, b, c)), inner, inner, inner),
            st.builds(Ternary, inner, inner, inner),
        )

    return st.one_of(_literal_chains(names), st.recursive(leaves, extend, max_leaves=6))


def _logic_trees(names: list[str]) -> st.SearchStrategy[MetaExpr]:
    """What ``logic_program`` compiles: names, integer constants, ``!``, ``&&``/``||``,
    comparisons of left-associative sums (``__A + __B + 1 > 2``)."""

    def total(operands: list[MetaExpr]) -> MetaExpr:
        tree = operands[0]
        for operand in operands[1:]:
            tree = Binary("+", tree, operand)
        return tree

    addend: st.SearchStrategy[MetaExpr] = st.one_of(
        st.sampled_from(names).map(Name), st.sampled_from([0, 1, 2, 3]).map(Num)
    )
    sums = st.lists(addend, min_size=1, max_size=4).map(total)
    comparison = st.builds(Binary, st.sampled_from(COMPARISONS), sums, sums)
    leaves = st.one_of(
        st.sampled_from(names).map(Name), st.sampled_from([0, 1, 2, 1.0]).map(Num), comparison
    )

    def extend(inner: st.SearchStrategy[MetaExpr]) -> st.SearchStrategy[MetaExpr]:
        return st.one_of(
            st.builds(Unary, st.just("!"), inner),
            st.builds(Binary, st.sampled_from(["&&", "||"]), inner, inner),
        )

    return st.recursive(leaves, extend, max_leaves=8)


def _by_slot(values: dict[str, float]) -> tuple[dict[str, int], list[float]]:
    """Slots for A–D (in reverse, so that slot order is not name order) and the values
    stored by them."""
    slots = {"D": 0, "C": 1, "B": 2, "A": 3}
    return slots, [values[name] for name in sorted(slots, key=slots.__getitem__)]


def _same(got: object, expected: object) -> bool:
    """Equal Perl values: the same number, or the same string (the compiled build may
    return 1.0 where the pure one returns 1; the engine only reads truth and number)."""
    return isinstance(got, str) == isinstance(expected, str) and got == expected


@settings(max_examples=500, deadline=None)
@given(
    _trees(["A", "B", "C", "D"]),
    st.fixed_dictionaries({n: st.sampled_from([0, 1, 2, 0.5, 1.0, 3]) for n in "ABCD"}),
)
def test_indexed_closures_equal_compile_meta(tree: MetaExpr, values: dict[str, float]) -> None:
    slots, by_slot = _by_slot(values)
    try:
        expected: object = compile_meta(tree)(values.__getitem__)
    except ZeroDivisionError:
        expected = ZeroDivisionError
    try:
        got: object = compile_meta_indexed(tree, slots)(by_slot)
    except ZeroDivisionError:
        got = ZeroDivisionError
    assert _same(got, expected)


@settings(max_examples=500, deadline=None)
@given(
    _logic_trees(["A", "B", "C", "D"]),
    st.fixed_dictionaries({n: st.sampled_from([0, 1, 2, 0.5, 1.0, 3]) for n in "ABCD"}),
)
def test_logic_programs_equal_compile_meta(tree: MetaExpr, values: dict[str, float]) -> None:
    slots, by_slot = _by_slot(values)
    program = logic_program(tree, slots)
    assert program is not None
    expected = compile_meta(tree)(values.__getitem__)
    truthy, number, end = _run_program(program, 0, by_slot)
    assert end == len(program)
    # The engine reads the truth, and the value only when true (``got_hit``'s value).
    assert truthy == perl_truth(expected)
    if truthy:
        assert (number if number > 0 else 1.0) == positive_value(expected)


@settings(max_examples=300, deadline=None)
@given(_literal_chains(["A", "B", "C"]))
def test_literal_chains_are_recognised(tree: MetaExpr) -> None:
    slots = {"A": 0, "B": 1, "C": 2}
    chain = literal_chain(tree, slots)
    assert chain is not None
    is_or, terms = chain
    names = meta_names(tree)
    assert [("ABC"[term >> 1]) for term in terms] == names
    assert is_or == (isinstance(tree, Binary) and tree.op == "||")
    assert literal_chain(tree, {"A": 0}) is None or set(names) == {"A"}


@st.composite
def rule_sets(draw: st.DrawFn) -> tuple[RuleSet, dict[str, bytes]]:
    tests = []
    for name in draw(st.lists(st.sampled_from(HEADERS), unique=True, max_size=5)):
        kind = draw(st.sampled_from(["re", "not", "multiple", "unset"]))
        tests.append(
            HeaderTest(
                name=name,
                spec=f"X-{name}",
                pattern=regex.compile(rb"x"),
                negate=kind == "not",
                if_unset=b"x" if kind == "unset" else None,
                maxhits=draw(st.sampled_from([0, 2])) if kind == "multiple" else None,
                score=draw(st.sampled_from([1.0, 0.5, 0.0])),
                priority=draw(st.sampled_from([0, 0, 500])),
            )
        )
    metas = []
    for name in draw(st.lists(st.sampled_from(METAS), unique=True, max_size=8)):
        tree = draw(_trees(NAMES))
        deps = tuple(dict.fromkeys(meta_names(tree)))
        score = draw(st.sampled_from([1.0, 2.5, 0.0]))
        # With its tree the engine compiles the expression itself; without, it calls
        # ``evaluate`` (hand-built metas): both must give the reference's result.
        with_tree = draw(st.booleans()) or draw(st.booleans())
        metas.append(
            MetaTest(name, deps, meta_evaluator(tree), score, tree=tree if with_tree else None)
        )
    ruleset = hand_built_ruleset(tests, metas, required_score=3.0)
    values = {
        f"X-{name}": draw(st.sampled_from([b"x\n", b"xxx\n", b"y\n"]))
        for name in HEADERS
        if draw(st.booleans())
    }
    return ruleset, values


def _observable(result: CheckResult) -> tuple[object, ...]:
    return (
        [(h.name, h.type, h.score, h.value, h.span) for h in result.hits],
        result.subtests,
        result.score,
        sorted(result.test_names),  # as test_engine_plan_properties.py compares them
        result.x_spam_status,
    )


@settings(max_examples=400, deadline=None)
@given(rule_sets())
def test_checks_with_compiled_trees_equal_the_reference(
    generated: tuple[RuleSet, dict[str, bytes]],
) -> None:
    ruleset, values = generated
    expected = run_rules_reference(ruleset, Headers(values))
    assert _observable(run_rules(ruleset, Headers(values))) == _observable(expected)
