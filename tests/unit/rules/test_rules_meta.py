"""Meta expressions: SpamAssassin's lexer quirks, validation verdicts, Perl value semantics.

Expected values come from spec/sa-rules.md §6.1–6.2 (verified there against SpamAssassin).
"""

from __future__ import annotations

import pytest

from spamhdr.rules.meta import (
    evaluate_meta,
    expand_rules_matching,
    meta_names,
    parse_meta,
    tokenize_meta,
    validate_meta,
)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("A &&& B", ["A", "&&", "B"]),  # the stray & is dropped
        ("__A+1", ["__A", "+1"]),  # sign glued to the number
        ("X > -1", ["X", ">", "-1"]),
        ("(__A)+(__A)", ["(", "__A", ")", "+", "(", "__A", ")"]),
        ("A != B", ["A", "!=", "B"]),
        ("!A", ["!", "A"]),
    ],
)
def test_lexer(text: str, tokens: list[str]) -> None:
    assert tokenize_meta(text) == tokens


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("__A+1", "invalid-meta-token", "invalid meta M token: +1"),
        ("X > -1", "invalid-meta-token", "invalid meta M token: -1"),
        (
            "B_X / B_Y",
            "invalid-meta-expression",
            'invalid expression for rule M: "B_X / B_Y": division by zero possible',
        ),
        (
            "abs(B_X)",
            "invalid-meta-expression",
            'invalid expression for rule M: "abs(B_X)": syntax error',
        ),
        (
            "A and B",
            "invalid-meta-expression",
            'invalid expression for rule M: "A and B": syntax error',
        ),
        ("$x", "invalid-meta-rule", "invalid meta M rule: $x"),
        ("A::B", "invalid-meta-rule", "invalid meta M rule: A::B"),
    ],
)
def test_rejected(text: str, kind: str, message: str) -> None:
    verdict = validate_meta("M", text)
    assert (verdict.kind, verdict.message) == (kind, message)


@pytest.mark.parametrize(
    "text",
    [
        "__A + 1",
        "__A>1",
        "(__A)+(__A)",
        "1.5 * __A",
        "__A == 1 ? 1 : 0",
        "A &&& B",
        "(A + B) / 10",
        "()",
        "!A && !(B || C)",
        "A > 1 < 2",
    ],
)
def test_accepted(text: str) -> None:
    assert validate_meta("M", text).kind is None


@pytest.mark.parametrize(
    ("text", "values", "result"),
    [
        ("A && B", {"A": 1, "B": 2}, 2),  # && returns the right operand
        ("A || B", {"A": 0, "B": 2}, 2),
        ("A + B + C", {"A": 1, "B": 2, "C": 2}, 5),
        ("A ? 7 : 0", {"A": 1}, 7),
        ("(A + 1) / 2", {"A": 2}, 1.5),
        ("1 ^ 1", {}, 0),
        ("!A", {"A": 0}, 1),
        ("!A", {"A": 3}, ""),
        ("A > 1", {"A": 1}, ""),
        ("A - 5", {"A": 1}, -4),
        ("UNDEFINED || 0", {}, 0),
        ("A * 2 + 1 > 4 && B", {"A": 2, "B": 3}, 3),
    ],
)
def test_perl_values(text: str, values: dict[str, float], result: float | str) -> None:
    assert evaluate_meta(parse_meta(text), lambda n: values.get(n, 0)) == result


def test_precedence_not_binds_tighter_than_arithmetic() -> None:
    # Perl: !A + B is (!A) + B.
    assert evaluate_meta(parse_meta("!A + B"), lambda n: {"A": 0, "B": 1}.get(n, 0)) == 2


def test_names_keep_order_and_duplicates() -> None:
    assert meta_names(parse_meta("A && (B || A) && !C")) == ["A", "B", "A", "C"]


def test_rules_matching_expansion() -> None:
    text = expand_rules_matching(
        "rules_matching(__FOO_*) >= 2", "META", ["__FOO_1", "__FOO_2", "X", "META"]
    )
    assert text == " (__FOO_1+__FOO_2)  >= 2"
    assert expand_rules_matching("rules_matching(NONE*)", "META", ["X"]) == " (0) "
