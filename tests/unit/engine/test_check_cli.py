"""`spamhdr check` command line: JSON Lines shape, input forms, errors, exit codes.

Uses a small rule file written here, so the expected hits follow from the rule text and
the spec's semantics alone (no SpamAssassin installation needed).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from spamhdr.cli import main

RULES = """\
header   CLI_SUBJ_PRIZE  Subject =~ /\\bprize\\b/i
describe CLI_SUBJ_PRIZE  Subject mentions a prize
score    CLI_SUBJ_PRIZE  2.5
header   CLI_VOWELS      Subject =~ /[aeiou]/
tflags   CLI_VOWELS      multiple maxhits=3
score    CLI_VOWELS      0.5
header   __CLI_FROM_ORG  From:addr =~ /\\.org$/
meta     CLI_PRIZE_ORG   CLI_SUBJ_PRIZE && __CLI_FROM_ORG
score    CLI_PRIZE_ORG   3
header   CLI_BODYISH     eval:check_for_missing_to_header()
score    CLI_BODYISH     1
"""

SPAM = b"From: Winner <win@example.org>\nSubject: You won a PRIZE today\n\nHi\n"
HAM = b"From: Bob <bob@example.com>\nSubject: xyz\n\nHi\n"


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir()
    (directory / "10_cli.cf").write_text(RULES)
    return directory


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


def test_json_record_per_message_in_input_order(rules_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "spam.eml").write_bytes(SPAM)
    (tmp_path / "ham.eml").write_bytes(HAM)
    status, out, err = run(
        "check",
        "--json",
        "--rules",
        str(rules_dir),
        str(tmp_path / "spam.eml"),
        str(tmp_path / "ham.eml"),
    )
    assert status == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in records] == [str(tmp_path / "spam.eml"), str(tmp_path / "ham.eml")]
    spam = records[0]
    assert set(spam) >= {
        "file",
        "score",
        "required",
        "is_spam",
        "hits",
        "subtests",
        "not_evaluated",
        "x_spam_status",
    }
    hits = {h["name"]: h for h in spam["hits"]}
    # "You won a PRIZE today": vowels o,u,o,a,I... -> capped at maxhits=3, 0.5 per hit.
    assert hits["CLI_VOWELS"] == {"name": "CLI_VOWELS", "type": "header", "score": 0.5, "value": 3}
    assert hits["CLI_PRIZE_ORG"]["type"] == "meta"
    assert spam["score"] == 2.5 + 3 * 0.5 + 3
    assert spam["is_spam"] is True and spam["required"] == 5.0
    assert spam["subtests"] == ["__CLI_FROM_ORG"]
    assert spam["not_evaluated"] == ["CLI_BODYISH"]
    assert spam["x_spam_status"].startswith("Yes, score=7.0 required=5.0 tests=CLI_PRIZE_ORG,")
    assert records[1]["hits"] == [] and records[1]["is_spam"] is False


def test_mbox_messages_are_labelled_path_n(rules_dir: Path, tmp_path: Path) -> None:
    box = tmp_path / "box.mbox"
    box.write_bytes(
        b"From a@b Mon Jan  1 00:00:00 2024\n"
        + SPAM
        + b"\n"
        + b"From a@b Mon Jan  1 00:00:00 2024\n"
        + HAM
    )
    status, out, _ = run("check", "--json", "--mbox", "--rules", str(rules_dir), str(box))
    assert status == 0
    assert [json.loads(line)["file"] for line in out.splitlines()] == [f"{box}:1", f"{box}:2"]


def test_unreadable_input_is_reported_and_the_run_goes_on(rules_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "ham.eml"
    good.write_bytes(HAM)
    missing = tmp_path / "missing.eml"
    status, out, err = run("check", "--json", "--rules", str(rules_dir), str(missing), str(good))
    assert status == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0]["file"] == str(missing) and "error" in records[0]
    assert records[1]["file"] == str(good) and "score" in records[1]
    assert str(missing) in err and "Traceback" not in err


def test_human_output_marks_the_matched_span(rules_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "spam.eml").write_bytes(SPAM)
    status, out, _ = run("check", "--rules", str(rules_dir), str(tmp_path / "spam.eml"))
    assert status == 0
    assert "Subject: You won a »PRIZE« today" in out
    assert "X-Spam-Status: Yes, score=7.0" in out


def test_anonymize_masks_addresses(rules_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "spam.eml").write_bytes(SPAM)
    rules = rules_dir / "10_cli.cf"
    rules.write_text(RULES + "header CLI_FROM From =~ /win\\@/\nscore CLI_FROM 0.1\n")
    _, out, _ = run("check", "--anonymize", "--rules", str(rules_dir), str(tmp_path / "spam.eml"))
    assert "win@example.org" not in out and "xxx@example.org" in out


def test_bad_score_set_is_a_usage_error(rules_dir: Path) -> None:
    status, _, err = run("check", "--score-set", "7", "--rules", str(rules_dir), "x")
    assert status == 2 and "Traceback" not in err
