"""Properties of the rule compiler.

* render ∘ parse: a generated rule set rendered to ``.cf`` text and parsed back gives the
  same rules (type, target, modifiers, operator, pattern, flags, if-unset, expression,
  tflags, priority, scores, describe);
* arbitrary text (and arbitrary regex or meta text) never raises anything but spamhdr's
  own errors — in fact nothing at all: problems are diagnostics;
* a meta's value never depends on rules it does not name.
"""

from __future__ import annotations

import contextlib
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.rules import Rule, parse_text
from spamhdr.rules.meta import MetaSyntaxError, evaluate_meta, parse_meta, validate_meta
from spamhdr.rules.perl_regex import compile_perl_regex

NAMES = st.from_regex(r"[A-Z][A-Z0-9_]{0,20}", fullmatch=True)
HEADERS = st.sampled_from(["Subject", "From", "To", "X-Mailer", "Message-ID", "ALL", "ToCc"])
MODIFIERS = st.sampled_from([(), ("raw",), ("addr",), ("name",), ("name", "raw"), ("host",)])
# Patterns from a safe alphabet: literals, classes, groups, quantifiers; no delimiter "/".
ATOMS = st.sampled_from(
    ["a", "b", "\\d", "\\w+", "[a-z]", "(?:x|y)", "\\.", "^", "$", "\\s*", "\\xe9", "[^<]"]
)
PATTERNS = st.lists(ATOMS, min_size=1, max_size=6).map("".join)
FLAGS = st.sampled_from(["", "i", "m", "s", "ims"])
SCORE = st.decimals(min_value=-20, max_value=20, places=3).map(lambda d: float(str(d)))


@st.composite
def rule_sets(draw: st.DrawFn) -> dict[str, dict[str, object]]:
    names = draw(st.lists(NAMES, min_size=1, max_size=8, unique=True))
    rules: dict[str, dict[str, object]] = {}
    for name in names:
        kind = draw(st.sampled_from(["header", "exists", "meta"]))
        spec: dict[str, object] = {"kind": kind}
        if kind == "header":
            spec.update(
                header=draw(HEADERS),
                modifiers=draw(MODIFIERS),
                pattern=draw(PATTERNS),
                flags=draw(FLAGS),
                op=draw(st.sampled_from(["=~", "!~"])),
                if_unset=draw(st.none() | st.sampled_from(["unset", "a b]c"])),
            )
        elif kind == "exists":
            spec.update(header=draw(HEADERS))
        else:
            others = names[: names.index(name)] or ["1"]  # no cycles
            operands = draw(st.lists(st.sampled_from(others), min_size=1, max_size=3))
            ops = draw(
                st.lists(
                    st.sampled_from(["&&", "||", "+"]),
                    min_size=len(operands) - 1,
                    max_size=len(operands) - 1,
                )
            )
            expr = operands[0]
            for op, operand in zip(ops, operands[1:], strict=True):
                expr += f" {op} !{operand}"
            spec.update(expression=expr)
        spec["scores"] = draw(st.none() | st.lists(SCORE, min_size=4, max_size=4))
        spec["describe"] = draw(
            st.none() | st.text(string.ascii_letters + " ", min_size=1).map(str.strip).filter(bool)
        )
        spec["tflags"] = draw(
            st.none() | st.sampled_from(["nice", "multiple maxhits=3", "publish"])
        )
        spec["priority"] = draw(st.none() | st.integers(-1000, 1000))
        rules[name] = spec
    return rules


def render(rules: dict[str, dict[str, object]]) -> str:
    lines = []
    for name, spec in rules.items():
        if spec["kind"] == "header":
            target = ":".join((str(spec["header"]), *spec["modifiers"]))  # type: ignore[misc]
            unset = f" [if-unset: {spec['if_unset']}]" if spec["if_unset"] else ""
            lines.append(
                f"header {name} {target} {spec['op']} /{spec['pattern']}/{spec['flags']}{unset}"
            )
        elif spec["kind"] == "exists":
            lines.append(f"header {name} exists:{spec['header']}")
        else:
            lines.append(f"meta {name} {spec['expression']}")
        if spec["scores"] is not None:
            lines.append(f"score {name} " + " ".join(str(s) for s in spec["scores"]))  # type: ignore[attr-defined]
        if spec["describe"] is not None:
            lines.append(f"describe {name} {spec['describe']}")
        if spec["tflags"] is not None:
            lines.append(f"tflags {name} {spec['tflags']}")
        if spec["priority"] is not None:
            lines.append(f"priority {name} {spec['priority']}")
    return "\n".join(lines) + "\n"


def check(rule: Rule, spec: dict[str, object]) -> None:
    if spec["kind"] == "header":
        assert (rule.type, rule.header, rule.modifiers) == (
            "header",
            spec["header"],
            spec["modifiers"],
        )
        assert (rule.operator, rule.pattern, rule.flags) == (
            spec["op"],
            spec["pattern"],
            spec["flags"],
        )
        assert rule.if_unset == spec["if_unset"]
    elif spec["kind"] == "exists":
        assert (rule.type, rule.operator, rule.header) == ("header", "exists", spec["header"])
    else:
        assert (rule.type, rule.expression) == ("meta", spec["expression"])
    if spec["scores"] is not None:
        assert list(rule.scores) == spec["scores"]
    else:
        default = 0.01 if rule.name.startswith("T_") else 1.0
        if spec["tflags"] == "nice":
            default = -default
        assert rule.scores == (default,) * 4
    assert rule.describe == spec["describe"]
    assert (
        rule.tflags == spec["tflags"] or (rule.tflags or "").replace(" net", "") == spec["tflags"]
    )
    if spec["priority"] is not None and spec["kind"] != "meta":
        # a meta may lower its dependencies' priority (fix_priorities)
        assert rule.priority <= spec["priority"]  # type: ignore[operator]


@settings(max_examples=150, deadline=None)
@given(rule_sets())
def test_render_then_parse_gives_the_same_rules(rules: dict[str, dict[str, object]]) -> None:
    config = parse_text(render(rules))
    assert not config.errors, [d.render() for d in config.errors]
    assert set(config.rules) == set(rules)
    for name, spec in rules.items():
        check(config.rules[name], spec)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    config = parse_text(text, lint=True)
    for diagnostic in config.diagnostics:
        diagnostic.render()


LINES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "header",
                "meta",
                "body",
                "score",
                "if",
                "ifplugin",
                "endif",
                "else",
                "include",
                "tflags",
                "describe",
                "priority",
                "replace_rules",
                "lang de",
            ]
        ),
        st.text(alphabet="ABC_ /:=~!()[]{}|&^*+?.\\#<>$@%-0123456789ieamsx'\"", max_size=30),
    ).flatmap(
        lambda head: st.text(alphabet="AB_ /:=~!()[]|&*+?.\\#<>-019ix", max_size=30).map(
            lambda t: f"{head} {t}"
        )
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(LINES)
def test_directive_shaped_junk_never_raises(lines: list[str]) -> None:
    config = parse_text("\n".join(lines), lint=True, plugins=("ReplaceTags", "HeaderEval"))
    for rule in config.rules.values():
        if rule.regex is not None:
            rule.regex.compiled  # noqa: B018 - compiling must not raise either


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=60))
def test_any_regex_text_gives_a_pattern_or_a_problem(text: str) -> None:
    compile_perl_regex("/" + text.replace("/", "\\/") + "/", lint=True)
    compile_perl_regex(text, lint=True)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="AB_ ()!&|^+-*/<>=?:.0123456789", max_size=40))
def test_meta_validation_agrees_with_parsing(text: str) -> None:
    verdict = validate_meta("M", text)
    if verdict.kind is None:
        tree = parse_meta(text)
        # A divisor mixing rules and constants may still be zero (documented).
        with contextlib.suppress(ZeroDivisionError):
            evaluate_meta(tree, lambda name: {"A": 1, "B": 2}.get(name, 0))
    else:
        assert verdict.message


@given(st.text(alphabet="AB ()!&|+", max_size=30))
def test_meta_value_only_depends_on_named_rules(text: str) -> None:
    try:
        tree = parse_meta(text)
    except MetaSyntaxError:
        return
    a = evaluate_meta(tree, lambda n: {"A": 1, "B": 0}.get(n, 0))
    b = evaluate_meta(tree, lambda n: {"A": 1, "B": 0, "C": 5}.get(n, 0))
    assert a == b
