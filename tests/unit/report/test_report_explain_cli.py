"""``spamhdr explain``: output per report, the JSON schema of issue 2 §3, exit codes,
non-mail and unreadable inputs, --anonymize; plus the pure explain core.

The command is driven in-process through its own ``register``/``run`` (the same objects
``spamhdr.cli`` dispatches to), so these tests do not depend on other sub-commands.
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from spamhdr._commands import explain as explain_command
from spamhdr.cli import _Parser
from spamhdr.errors import UsageError
from spamhdr.report import parse_reports
from spamhdr.report.explain import explain_report, explain_why, report_to_json

SCHEMA_KEYS = {
    "producer",
    "position",
    "header_names",
    "verdict",
    "score",
    "required",
    "tagged_above",
    "tests",
    "autolearn",
    "version",
    "defects",
    "findings",
}


RULES_CF = """# a tiny rule file for the tests (loading a full rule set takes seconds)
header RCVD_ILLEGAL_IP eval:check_for_illegal_ip()
describe RCVD_ILLEGAL_IP Received: contains illegal IP address
score RCVD_ILLEGAL_IP 1.3
"""


_RULES: list[str] = []


@pytest.fixture(autouse=True, scope="module")
def _rules_file(tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("rules") / "tiny.cf"
    path.write_text(RULES_CF)
    _RULES[:] = [str(path)]


def _run(*argv: str) -> tuple[int, str, str]:
    parser = _Parser(prog="spamhdr")
    sub = parser.add_subparsers(parser_class=_Parser)
    explain_command.register(sub)
    extra = ["--rules", _RULES[0]] if argv else []
    args = parser.parse_args(["explain", *extra, *argv])
    out, err = io.StringIO(), io.StringIO()
    code = args.handler(args, out, err)
    return code, out.getvalue(), err.getvalue()


def test_json_one_object_per_file_with_the_issue_schema(repo_dir: Path) -> None:
    files = sorted(str(p) for p in (repo_dir / "examples").glob("*.eml"))
    code, out, _ = _run("--json", *files)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(files) >= 4
    for line, name in zip(lines, files, strict=True):
        obj = json.loads(line)
        assert obj["file"] == name
        for report in obj["reports"]:
            assert set(report) >= SCHEMA_KEYS
            for test in report["tests"]:
                assert set(test) == {"name", "score", "description"}


def test_json_values_for_the_amavis_example(repo_dir: Path) -> None:
    code, out, _ = _run("--json", str(repo_dir / "examples" / "amavis-spammy.eml"))
    assert code == 0
    (report,) = json.loads(out)["reports"]
    # written in the example with amavis 2.13's format (examples/README.md)
    assert report["producer"] == "amavis"
    assert (report["verdict"], report["score"], report["required"]) == ("spam", 8.496, 6.31)
    assert report["tagged_above"] == 2
    assert report["tests"][1] == {"name": "DEAR_FRIEND", "score": 2.683, "description": None}
    assert (report["autolearn"], report["autolearn_force"]) == ("no", "no")
    assert report["listed"] is None and report["x_spam_score"] == 8.496


def test_text_output_names_producer_verdict_table_and_why(repo_dir: Path) -> None:
    code, out, _ = _run(str(repo_dir / "examples" / "multi-hop.eml"))
    assert code == 0
    assert "[0] spamassassin (topmost block): not spam" in out
    assert "[1] rspamd (block 2 of 2, upstream" in out
    assert "score 2.3, required 5" in out
    assert "why: not spam because score 2.3 < required 5" in out
    assert "BAYES_SPAM" in out and "+47.8%" in out  # 3.3 of the 6.9 points moved
    # the local SA block has no report: descriptions and scores come from --rules
    assert "RCVD_ILLEGAL_IP                1.3 (rules)" in out
    assert "Received: contains illegal IP address (rules)" in out
    assert "false-is-not-ham" in out


def test_bad_inputs_get_one_line_and_the_others_run(tmp_path: Path, repo_dir: Path) -> None:
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    json_file = tmp_path / "data.json"
    json_file.write_bytes(b'{\n"a": 1\n}\n')
    good = repo_dir / "examples" / "spamassassin-spam.eml"
    code, out, err = _run(str(empty), str(tmp_path / "missing.eml"), str(json_file), str(good))
    assert code == 1
    lines = err.splitlines()
    assert f"spamhdr: {empty}: not a mail message: the input is empty" in lines
    assert f"spamhdr: {tmp_path / 'missing.eml'}: No such file or directory" in lines
    assert f"spamhdr: {json_file}: not a mail message: it does not start with a header field" in (
        lines
    )
    assert "Traceback" not in err
    assert f"== {good}" in out


def test_message_without_scanner_headers(tmp_path: Path) -> None:
    plain = tmp_path / "plain.eml"
    plain.write_bytes(b"From: a@example.org\nSubject: hi\n\nbody\n")
    code, out, _ = _run(str(plain))
    assert code == 0
    assert "no spam-scanner headers found" in out
    code, out, _ = _run("--json", str(plain))
    assert json.loads(out) == {"file": str(plain), "reports": []}


def test_anonymize_masks_addresses(tmp_path: Path) -> None:
    msg = tmp_path / "m.eml"
    msg.write_bytes(
        b"X-Spamd-Result: default: False [1.00 / 15.00]; R_SPF_ALLOW(1.00)[+ip4:52.209.6.89:c];"
        b" FORWARDED(0.00)[jane.doe@example.org]\nX-Rspamd-Action: no action\n\nbody\n"
    )
    for argv in (("--anonymize",), ("--anonymize", "--json")):
        code, out, _ = _run(*argv, str(msg))
        assert code == 0
        assert "52.209.6.89" not in out and "jane.doe" not in out
        assert "192.0.2.x" in out and "xxx@example.org" in out


def test_usage_error_without_files() -> None:
    with pytest.raises(UsageError):
        _run()


def test_stdin_is_labelled_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    fake = argparse.Namespace(buffer=io.BytesIO(b"X-Spam-Status: Yes, score=7.42\n\nx\n"))
    monkeypatch.setattr(sys, "stdin", fake)
    code, out, _ = _run("--json", "-")
    assert code == 0
    assert json.loads(out)["file"] == "-"


class _Rules:
    """A stand-in rule configuration with the RuleLookup shape (describe/score)."""

    def describe(self, name: str) -> str | None:
        return {"BAYES_00": "Bayes spam probability is 0 to 1%"}.get(name)

    def score(self, name: str, score_set: int = 0) -> float:
        return {"BAYES_00": -1.9, "DKIM_SIGNED": 0.1}.get(name, 0.0)


def test_explain_core_uses_rule_descriptions_only_where_the_message_has_none() -> None:
    (report,) = parse_reports(
        b"X-Spam-Status: No, score=-1.8 required=5.0 tests=BAYES_00,DKIM_SIGNED "
        b"autolearn=ham autolearn_force=no version=4.0.1\n"
    )
    explanation = explain_report(report, _Rules())
    first, second = explanation.rows
    assert (first.score, first.score_from_rules) == (-1.9, True)
    assert (first.description, first.description_from_rules) == (
        "Bayes spam probability is 0 to 1%",
        True,
    )
    assert second.description is None
    assert first.share == pytest.approx(-1.9 / 2.0)
    # the JSON tests stay what the message says
    assert report_to_json(report)["tests"][0] == {
        "name": "BAYES_00",
        "score": None,
        "description": None,
    }
    assert "not spam because score -1.8 < required 5" in explanation.why


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (
            b"X-Spam-Status: Yes, score=1.2 tagged_above=2 required=6.31 BLACKLISTED "
            b"tests=[BAYES_50=0.8] autolearn=no\n",
            "spam because the sender is blacklisted",
        ),
        (b"X-Virus-Scanned: Debian amavis at example.com\n", "amavis scanned the message"),
        (
            b"X-Rspamd-Action: rewrite subject\nX-Spam-Status: Yes, score=7.42\n",
            "spam: action 'rewrite subject' at score 7.42",
        ),
        (
            b"X-Spam-Status: No, score=3.1 tagged_above=1 tests=[A=3.1] autolearn=no\n",
            "no spam level (tag2, required=) applies",
        ),
    ],
)
def test_explain_why(data: bytes, why: str) -> None:
    (report,) = parse_reports(data)
    assert why in explain_why(report)


def test_through_the_spamhdr_entry_point(repo_dir: Path) -> None:
    from spamhdr.cli import main

    out, err = io.StringIO(), io.StringIO()
    path = str(repo_dir / "examples" / "rspamd-add-header.eml")
    assert main(["explain", "--json", path], out, err) == 0
    assert json.loads(out.getvalue())["reports"][0]["action"] == "add header"
    assert main(["explain"], io.StringIO(), err) == 2
    assert main(["explain", "--no-such-option", path], io.StringIO(), io.StringIO()) == 2
