"""How SpamAssassin 4.0.1 really reads some odd rule lines (docs/rules.md, last section).

Every expected value below was produced by the real SpamAssassin through
``tests/differential/harness/sa_dump.pl`` (its compiled tables) on the same text; the live
differential test ``tests/differential/test_rules_dump_live.py`` found them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spamhdr.rules import Config, RulePaths, load_config, parse_text

DEBIAN = ("HeaderEval", "MIMEHeader", "Pyzor", "Razor2", "Check", "BodyEval")


def cfg(text: str, *plugins: str, lang: str = "en_US") -> Config:
    return parse_text(text, plugins=DEBIAN + plugins, lang=lang)


@pytest.mark.parametrize(
    ("text", "operator", "pattern", "if_unset"),
    [
        # A refused redefinition deletes the options of the definition that stays.
        ("header A Subject !~ /x/ [if-unset: u]\nheader A Subject =~ /(/\n", "=~", "x", None),
        # ... an exists: test becomes a regex test without a regex,
        ("header B exists:From\nheader B From:bogus =~ /x/\n", "=~", None, None),
        # ... or with the last regex compiled for the name.
        ("body C /abc/\nheader C exists:From\nheader C Foo Bar\n", "=~", "abc", None),
        # [if-unset:] is stored before the regex is compiled,
        ("header D Subject =~ /x/\nheader D Subject =~ /(/ [if-unset: fb]\n", "=~", "x", "fb"),
        # ... also for a later first definition.
        ("header E Subject =~ /(/ [if-unset: early]\nheader E From =~ /y/\n", "=~", "y", "early"),
        # An accepted redefinition starts clean.
        ("header F exists:From\nheader F Subject =~ /z/\n", "=~", "z", None),
    ],
)
def test_header_options_follow_parser_tables(
    text: str, operator: str, pattern: str | None, if_unset: str | None
) -> None:
    rule = cfg(text).rules[text.split()[1]]
    assert (rule.type, rule.operator, rule.pattern, rule.if_unset) == (
        "header",
        operator,
        pattern,
        if_unset,
    )


def test_pyzor_and_razor2_rules_run_at_minus_100() -> None:
    config = cfg(
        "full P eval:check_pyzor()\n"
        "full Q eval:check_pyzor()\nheader Q Subject =~ /q/\n"
        "full R eval:check_razor2_range('','51','100')\npriority R 20\n"
        "pyzor_fork 0\n"  # read at the end of parsing: Pyzor stops moving its rules
    )
    assert config.rules["R"].priority == -100
    assert config.rules["Q"].priority == 0
    assert cfg("full Q eval:check_pyzor()\nheader Q Subject =~ /q/\n").rules["Q"].priority == -100


def test_shortcircuit_priorities_and_tflags() -> None:
    config = cfg(
        "header S Subject =~ /s/\nshortcircuit S spam\n"
        "header H Subject =~ /h/\ntflags H multiple\nshortcircuit H ham\n"
        "priority T 5\nheader T Subject =~ /t/\nshortcircuit T spam\n"
        "header O Subject =~ /o/\nshortcircuit O on\n",
        "Shortcircuit",
    )
    found = {n: (config.rules[n].priority, config.rules[n].tflags) for n in "SHTO"}
    assert found == {
        "S": (-200, "noautolearn"),
        "H": (-200, "multiple nice noautolearn"),
        "T": (5, "noautolearn"),
        "O": (0, None),
    }
    assert config.rules["H"].scores[0] == -1.0  # nice: default score negated


def test_mimeheader_redefinition_keeps_its_first_place() -> None:
    rule = cfg("mimeheader M Content-Type =~ /a/\nmimeheader M X-Foo =~ /b/\n").rules["M"]
    assert (rule.header, rule.pattern, rule.source) == ("X-Foo", "b", "(text):1")
    taken = cfg("mimeheader N Content-Type =~ /a/\nbody N /n/\nmimeheader N X-Foo =~ /b/\n")
    assert taken.rules["N"].type == "body"


@pytest.mark.parametrize(
    ("lang", "expected"), [("en_US", "Hello"), ("de_DE", None), ("C", None), ("es", "Hello")]
)
def test_lang_tag_is_a_regex(lang: str, expected: str | None) -> None:
    config = cfg("header L Subject =~ /l/\nlang e. describe L Hello\n", lang=lang)
    assert config.rules["L"].describe == expected


def test_rules_matching_glob_is_expanded_once() -> None:
    # Parser.pm ruleglob_cache: the second meta reuses the first one's expansion, which
    # includes the second meta itself: a cycle, and the first depends on it.
    config = cfg(
        "header __F_1 Subject =~ /f/\n"
        "meta __F_ALL rules_matching(__F_*)\n"
        "meta __F_TWO rules_matching(__F_*) > 1\n"
    )
    assert config.rules["__F_ALL"].unsolved and config.rules["__F_TWO"].unsolved
    assert [d.kind for d in config.errors] == ["unsolved-meta-dependency"] * 2


@pytest.mark.parametrize(("name", "defined"), [("user_prefs", False), ("prefs.cf", True)])
def test_can_is_refused_in_files_named_user_prefs(tmp_path: Path, name: str, defined: bool) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    prefs = tmp_path / name
    prefs.write_text(
        "if can(Mail::SpamAssassin::Conf::feature_capture_rules)\n"
        "header IN_PREFS Subject =~ /x/\nendif\n"
    )
    config = load_config(RulePaths((rules,), None, prefs))
    assert ("IN_PREFS" in config.rules) is defined
    refused = [d for d in config.diagnostics if d.kind == "user-prefs-can"]
    assert [(d.severity, d.line) for d in refused] == ([] if defined else [("warning", 1)])
    if refused:
        assert refused[0].message == (
            "'if can Mail::SpamAssassin::Conf::feature_capture_rules' not available in user_prefs"
        )


def test_code_block_is_reported_before_an_unquoted_delimiter() -> None:
    config = cfg("header X Subject =~ /(?{ 1 })/x/\n")
    assert [d.kind for d in config.errors] == ["regexp-code-block"]


def test_unknown_eval_only_counts_when_lint_runs_the_rule() -> None:
    config = cfg(
        "header U1 eval:no_such_a()\n"
        "header U2 eval:no_such_b()\nscore U2 0\n"
        "header U3 eval:no_such_c()\ntflags U3 net\n"
        "header U4 eval:check_rbl_no_such('x','y.')\n"
    )
    assert [(d.kind, d.severity, d.line) for d in config.diagnostics] == [
        ("unknown-eval", "error", 1),
        ("unknown-eval-idle", "warning", 2),
        ("unknown-eval-idle", "warning", 4),
        ("unknown-eval-idle", "warning", 6),
    ]
