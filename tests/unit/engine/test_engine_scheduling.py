"""Meta scheduling and header-test semantics on hand-built rule sets.

Expected behaviour is SpamAssassin 4.0.1's, as spec/sa-rules.md records it from runs of
the real program ([verified] statements in §0, §5.6–5.7, §6.2–6.3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import regex
from engine_rulesets import Headers, hand_built_ruleset

from spamhdr.engine.model import HeaderTest, MetaTest, RuleSet
from spamhdr.engine.run import run_rules


def header(
    name: str,
    spec: str,
    pattern: bytes | None,
    *,
    score: float = 1.0,
    negate: bool = False,
    if_unset: bytes | None = None,
    maxhits: int | None = None,
) -> HeaderTest:
    compiled = regex.compile(pattern) if pattern is not None else None
    return HeaderTest(name, spec, compiled, negate, if_unset, maxhits, score, 0)


def meta(
    name: str, deps: tuple[str, ...], fn: Callable[[Mapping[str, float]], float], score: float = 1.0
) -> MetaTest:
    return MetaTest(name, deps, fn, score)


def ruleset(tests: list[HeaderTest], metas: list[MetaTest]) -> RuleSet:
    return hand_built_ruleset(tests, metas)


def names(result: object) -> list[str]:
    return sorted(h.name for h in result.hits)  # type: ignore[attr-defined]


def test_undefined_header_matches_as_empty_string() -> None:
    # §0 point 3: X =~ /^$/ hits and X !~ /foo/ hits when X is missing.
    rs = ruleset(
        [
            header("EMPTY", "X-Missing", rb"^$"),
            header("NOT_FOO", "X-Missing", rb"foo", negate=True),
            header("EXISTS", "X-Missing", None),
        ],
        [],
    )
    assert names(run_rules(rs, Headers({}))) == ["EMPTY", "NOT_FOO"]


def test_if_unset_applies_only_to_undefined_headers() -> None:
    # §5.6: only undef triggers [if-unset:]; an empty header ("\n") does not.
    rs = ruleset([header("UNSET", "X-A", rb"^dflt", if_unset=b"dflt")], [])
    assert names(run_rules(rs, Headers({}))) == ["UNSET"]
    assert names(run_rules(rs, Headers({"X-A": b"\n"}))) == []


def test_multiple_counts_matches_up_to_maxhits_and_scores_per_hit() -> None:
    # §0 point 11 and §5.7: score added once per hit, tests= lists the name per hit.
    rs = ruleset([header("T7_MULTI", "Subject", rb"a", score=1.5, maxhits=2)], [])
    result = run_rules(rs, Headers({"Subject": b"aaa\n"}))
    assert result.score == 3.0
    assert result.test_names == ("T7_MULTI", "T7_MULTI")
    assert result.hits[0].value == 2


def test_sub_rules_never_score_but_are_listed() -> None:
    rs = ruleset([header("__SUB", "Subject", rb"x")], [])
    result = run_rules(rs, Headers({"Subject": b"x\n"}))
    assert result.score == 0 and result.hits == () and result.subtests == ("__SUB",)


def test_meta_value_is_the_perl_result_or_one() -> None:
    # §6.2: `__A - 5` with __A = 1 hits with value 1; a sum keeps its value.
    rs = ruleset(
        [header("__A", "Subject", rb"x"), header("__B", "Subject", rb"x")],
        [
            meta("SUM", ("__A", "__B"), lambda h: (h.get("__A") or 0) + (h.get("__B") or 0)),
            meta("NEG", ("__A",), lambda h: (h.get("__A") or 0) - 5),
        ],
    )
    result = run_rules(rs, Headers({"Subject": b"x\n"}))
    values = {h.name: h.value for h in result.hits}
    assert values == {"SUM": 2, "NEG": 1}


def test_unrun_dependency_counts_as_zero_at_the_end() -> None:
    # §0 point 9 / oracle README: `!BODY_RULE` is true, `BODY_RULE && X` false.
    rs = ruleset(
        [header("__X", "Subject", rb"x")],
        [
            meta("NOT_BODY", ("BODY_RULE",), lambda h: 0 if h.get("BODY_RULE") else 1),
            meta("BODY_AND_X", ("BODY_RULE", "__X"), lambda h: h["BODY_RULE"] and h["__X"]),
        ],
    )
    assert names(run_rules(rs, Headers({"Subject": b"x\n"}))) == ["NOT_BODY"]


def test_true_zero_score_meta_blocks_its_dependents() -> None:
    # §6.3 [verified]: a true zero-score meta blocks `__M0 || 1` and `!__M0`.
    rs = ruleset(
        [header("__A", "Subject", rb"x")],
        [
            meta("__M0", ("__A",), lambda h: h["__A"], score=0),
            meta("OR_ONE", ("__M0",), lambda h: h.get("__M0") or 1),
            meta("NOT_M0", ("__M0",), lambda h: 0 if h.get("__M0") else 1),
        ],
    )
    assert names(run_rules(rs, Headers({"Subject": b"x\n"}))) == []
    # ... but while it evaluates false, its dependents run normally.
    assert names(run_rules(rs, Headers({"Subject": b"y\n"}))) == ["NOT_M0", "OR_ONE"]


def test_zero_score_rules_are_not_run() -> None:
    # §5.6: a rule whose score is 0 is not run; a meta sees it as 0 only at the end.
    rs = ruleset(
        [header("OFF", "Subject", rb"x", score=0)],
        [meta("SEES_OFF", ("OFF",), lambda h: h["OFF"])],
    )
    result = run_rules(rs, Headers({"Subject": b"x\n"}))
    assert names(result) == [] and result.score == 0


def test_catastrophic_regex_becomes_a_defect_not_a_hang() -> None:
    from dataclasses import replace

    from spamhdr.options import DEFAULT_OPTIONS

    rs = ruleset([header("SLOW", "Subject", rb"^(a|aa)+$")], [])
    options = replace(DEFAULT_OPTIONS, regex_timeout=0.05)
    result = run_rules(rs, Headers({"Subject": b"a" * 40 + b"!\n"}), options)
    assert names(result) == []
    assert any("SLOW" in d and "timed out" in d for d in result.defects)
