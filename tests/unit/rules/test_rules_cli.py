"""``spamhdr lint`` and ``spamhdr rules dump`` in-process: formats and exit codes (issue 3)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from spamhdr.cli import main

REPO = Path(__file__).resolve().parents[3]
SHIPPED = str(REPO / "rules")
FIXTURES = REPO / "tests" / "golden" / "rules"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_lint_clean_shipped_rules() -> None:
    code, out, _ = run("lint", "--rules", SHIPPED)
    assert code == 0
    assert out.startswith("lint: 0 errors, 0 warnings")


def test_lint_reports_file_line_col_and_fails() -> None:
    code, out, _ = run("lint", "--rules", SHIPPED, str(FIXTURES / "invalid-regexp.cf"))
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"{FIXTURES / 'invalid-regexp.cf'}:3:24: error: invalid regexp")
    assert first.endswith("[invalid-regexp]")
    assert out.splitlines()[-1].startswith("lint: 1 error, 0 warnings")


def test_lint_json_lines() -> None:
    code, out, _ = run("lint", "--json", "--rules", SHIPPED, str(FIXTURES / "missing-value.cf"))
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [(r["line"], r["kind"], r["severity"]) for r in records] == [
        (3, "missing-value", "error"),
        (4, "missing-value", "error"),
        (5, "missing-value", "error"),
    ]
    assert set(records[0]) == {"file", "line", "col", "severity", "kind", "message"}


def test_warnings_alone_exit_zero() -> None:
    code, out, _ = run("lint", "--rules", SHIPPED, str(FIXTURES / "invalid-meta-rule.cf"))
    assert code == 0
    assert "[invalid-meta-rule]" in out


def test_rules_dump_json() -> None:
    code, out, _ = run("rules", "dump", "--json", "--rules", SHIPPED)
    assert code == 0
    records = {r["name"]: r for r in map(json.loads, out.splitlines())}
    rule = records["SPAMHDR_TO_UNDISCLOSED"]
    assert rule == {
        "name": "SPAMHDR_TO_UNDISCLOSED",
        "type": "header",
        "header": "To",
        "modifiers": [],
        "operator": "=~",
        "pattern": "undisclosed[- ]recipients",
        "flags": "i",
        "if_unset": "undisclosed-recipients:;",
        "expression": None,
        "eval": None,
        "tflags": None,
        "priority": 0,
        "scores": [0.3, 0.3, 0.3, 0.3],
        "describe": "To: is missing or undisclosed recipients",
        "source": f"{SHIPPED}/10_spamhdr_default.cf:40",
    }
    assert records["SPAMHDR_GOOD_LIST"]["scores"] == [-0.2] * 4
    assert records["__SPAMHDR_HAS_DATE"]["operator"] == "exists"


def test_rules_dump_text_and_type_filter() -> None:
    code, out, _ = run("rules", "dump", "--type", "meta", "--rules", SHIPPED)
    assert code == 0
    lines = out.splitlines()
    assert lines and all("\tmeta\t" in line for line in lines)


def test_rules_without_action_is_a_usage_error() -> None:
    code, _, err = run("rules")
    assert code == 2
    assert "dump" in err
