"""Directive loop and compile stage: table-shaped checks of spec/sa-rules.md §1–3, §7–9.

Each case is configuration text and the effective result SpamAssassin gives (the spec
sections marked [verified] or read from Conf.pm/Parser.pm, cited per test).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spamhdr.rules import Config, RulePaths, load_config, parse_text
from spamhdr.rules.load import locale_tag

PLUGINS = ("HeaderEval", "ReplaceTags", "MIMEHeader", "DNSEval", "Check")


def cfg(text: str, **kwargs: object) -> Config:
    return parse_text(text, plugins=PLUGINS, **kwargs)  # type: ignore[arg-type]


def kinds(config: Config) -> list[tuple[str, int]]:
    return [(d.kind, d.line) for d in config.diagnostics]


def test_comment_and_escaped_hash() -> None:  # §2 step 1
    config = cfg("header A Subject =~ /a\\#b/ # comment\nheader B Subject =~ /x/#c\n")
    assert config.rules["A"].pattern == "a#b"
    assert config.rules["B"].pattern == "x"


def test_defaults_and_last_wins() -> None:  # §7, §8
    config = cfg(
        "header A X =~ /a/\nheader T_B X =~ /b/\nheader C X =~ /c/\ntflags C nice\n"
        "score A 2\nscore A 1 2 3 4\ndescribe A one\ndescribe A two\n"
        "header D X =~ /d/\nscore D 1\nscore D (2) (0) (1) (0)\n"
    )
    assert config.rules["A"].scores == (1, 2, 3, 4)
    assert config.describe("A") == "two"
    assert config.rules["T_B"].score() == 0.01
    assert config.rules["C"].score() == -1.0
    assert config.rules["D"].scores == (3, 1, 2, 1)


def test_header_forms() -> None:  # §3.2
    config = cfg(
        "header A From:addr =~ /x/i\nheader B Subject: =~ /y/\nheader C exists:X-Foo:\n"
        "header D To !~ /z/ [if-unset: unset@unset]\nheader E Subject=~/q/\n"
        "header F eval:check_for_missing_to_header()\nheader G eval:check_rbl('a', 'b.')\n"
        "header H From:name:raw =~ /n/\n"
    )
    a, b, c, d = (config.rules[n] for n in "ABCD")
    assert (a.header, a.modifiers, a.operator, a.flags) == ("From", ("addr",), "=~", "i")
    assert (b.header, b.modifiers) == ("Subject", ())
    assert (c.header, c.operator) == ("X-Foo", "exists")
    assert (d.operator, d.if_unset) == ("!~", "unset@unset")
    assert config.rules["E"].pattern == "q"
    assert config.rules["F"].type == "header_eval"
    assert config.rules["G"].type == "rbl_eval"
    assert config.rules["H"].header_spec == "From:name:raw"


def test_failed_redefinition_keeps_the_old_rule() -> None:  # Parser.pm add_test returns early
    config = cfg("header A X =~ /good/\nheader A X =~ /bad(/\n")
    assert config.rules["A"].pattern == "good"
    assert kinds(config) == [("invalid-regexp", 2)]


def test_conditional_stack_and_else() -> None:  # §2.1
    config = cfg(
        "ifplugin Mail::SpamAssassin::Plugin::HeaderEval\nheader A X =~ /a/\nelse\n"
        "header B X =~ /b/\nendif\n"
        "if !plugin(Mail::SpamAssassin::Plugin::NoSuch)\n if version >= 3.004000\n"
        "  header C X =~ /c/\n else\n  header D X =~ /d/\n endif\nendif\n"
        "if plugin(Mail::SpamAssassin::Plugin::NoSuch)\n if (version >= 4.0)\n header E X =~ /e/\n"
        " else\n header F X =~ /f/\n endif\nendif\n"
    )
    assert set(config.rules) == {"A", "C"}  # Bug 7848: else stays skipped inside a false if


def test_conditions_can_has_aliases() -> None:  # §2.1
    config = cfg(
        "enable_compat welcomelist_blocklist\n"
        "if can(Mail::SpamAssassin::Conf::feature_capture_rules)\nheader A X =~ /a/\nendif\n"
        "if can(Mail::SpamAssassin::Conf::compat_welcomelist_blocklist)\nheader B X =~ /b/\nendif\n"
        "if can(Mail::SpamAssassin::Plugin::BodyEval::has_check_body_length)\n"
        "header C X =~ /c/\nendif\n"
        "if (perl_version >= 5.010000) && local_tests_only\nheader D X =~ /d/\nendif\n"
        "ifplugin Mail::SpamAssassin::Plugin::RaciallyCharged\nheader E X =~ /e/\nendif\n"
    )
    assert set(config.rules) == {"A", "B", "D", "E"}  # BodyEval is not loaded here


def test_unclosed_if_is_file_scoped(tmp_path: Path) -> None:  # §2.1
    (tmp_path / "a.cf").write_text("if (version > 1)\nheader A X =~ /a/\n")
    (tmp_path / "b.cf").write_text("header B X =~ /b/\nendif\n")
    config = load_config(RulePaths((tmp_path,), None, None))
    assert set(config.rules) == {"A", "B"}
    assert kinds(config)[:2] == [("unclosed-conditional", 1), ("missing-if", 2)]


def test_include_runs_inside_false_block_and_resets_conditionals(tmp_path: Path) -> None:
    # §2.2 [verified]: the include is read, and the splice closes the open ifplugin.
    (tmp_path / "inc.inc").write_text("header INC X =~ /i/\n")
    (tmp_path / "main.cf").write_text(
        "ifplugin Mail::SpamAssassin::Plugin::NoSuch\ninclude inc.inc\nheader AFTER X =~ /a/\n"
        "endif\n"
    )
    config = load_config(RulePaths((tmp_path,), None, None))
    assert set(config.rules) == {"INC", "AFTER"}
    assert [d.kind for d in config.diagnostics if d.kind != "no-tlds"] == [
        "unclosed-conditional",
        "missing-if",
    ]


def test_include_loop_is_harmless(tmp_path: Path) -> None:
    (tmp_path / "a.cf").write_text("include a.cf\nheader A X =~ /a/\n")
    config = load_config(RulePaths((tmp_path,), None, None))
    assert set(config.rules) == {"A"}
    assert "include-loop" in {d.kind for d in config.diagnostics}


def test_file_order_and_pre_files(tmp_path: Path) -> None:  # §1
    rules, site = tmp_path / "rules", tmp_path / "site"
    rules.mkdir()
    site.mkdir()
    (site / "init.pre").write_text("loadplugin Mail::SpamAssassin::Plugin::HeaderEval\n")
    (rules / "b.cf").write_text("header R X =~ /b/\n")
    (rules / "a.cf").write_text("header R X =~ /a/\n")
    (rules / "updates_spamassassin_org.cf").write_text("header R X =~ /first/\n")
    (rules / "c.CF").write_text(
        "ifplugin Mail::SpamAssassin::Plugin::HeaderEval\nscore R 3\nendif\n"
    )
    (site / "local.cf").write_text("describe R site\n")
    config = load_config(RulePaths((rules,), site, None))
    assert config.rules["R"].pattern == "b"
    assert config.rules["R"].score() == 3
    assert config.describe("R") == "site"


def test_lang_lines() -> None:  # §2 step 4
    text = "header A X =~ /a/\ndescribe A english\nlang de describe A deutsch\n"
    assert cfg(text, lang="de_DE").describe("A") == "deutsch"
    assert cfg(text, lang="en_US").describe("A") == "english"
    assert locale_tag({"LANG": "de_DE.UTF-8"}) == "de_DE"
    assert locale_tag({"LANGUAGE": "fr:de", "LANG": "C"}) == "fr"
    assert locale_tag({}) == "en_US"


def test_require_version_skips_rest_of_file() -> None:  # §2.2
    config = cfg("require_version 3.004006\nheader A X =~ /a/\n")
    assert "A" not in config.rules
    assert kinds(config) == [("require-version", 1)]
    assert "A" in cfg("require_version @@VERSION@@\nheader A X =~ /a/\n").rules


def test_capture_rule_priority_and_templates() -> None:  # §3.3
    config = cfg("header __GB To:addr =~ /(?<GB_TO_ADDR>.*)/\nheader T From =~ /%{GB_TO_ADDR}/\n")
    assert config.rules["__GB"].priority == -10000
    assert config.rules["T"].pattern == "%\\{GB_TO_ADDR\\}"


def test_meta_priorities_and_net_flags() -> None:  # §6.3 fix_priorities / fix_tflags
    config = cfg(
        "header __A X =~ /a/\npriority __A 500\nheader __N X =~ /n/\ntflags __N net\n"
        "meta __M __A && __N\npriority __M -200\nmeta TOP __M || 0\n"
    )
    assert config.rules["__A"].priority == -200
    assert config.rules["__N"].priority == -100  # net dependency clamped
    assert config.rules["__M"].tflags == "net"
    assert config.rules["TOP"].tflags == "net"  # transitive (our deterministic choice)
    assert config.rules["__N"].effective_priority == -100


def test_meta_cycle() -> None:  # §6.3
    config = cfg("meta A B\nmeta B A\nmeta C A || 1\n")
    assert {n for n in "ABC" if config.rules[n].unsolved} == {"A", "B", "C"}
    assert [d.message for d in config.diagnostics] == [
        "rules: excluding meta test A, unsolved meta dependencies: B",
        "rules: excluding meta test B, unsolved meta dependencies: A",
        "rules: excluding meta test C, unsolved meta dependencies: A",
    ]


def test_replace_tags() -> None:  # §9
    config = cfg(
        "replace_tag T [tT]\nreplace_tag I [iI1]\nreplace_inter W \\W?\nreplace_post P {1,2}\n"
        "header A Subject =~ /<inter W><post P><T><I><T>/i\nreplace_rules A\n"
        "header B Subject =~ /<X>/\nreplace_rules B\n"
    )
    assert config.rules["A"].pattern == "[tT]{1,2}\\W?[iI1]{1,2}\\W?[tT]{1,2}"
    assert config.rules["A"].replaced
    assert config.rules["B"].pattern == "<X>" and not config.rules["B"].replaced


def test_settings() -> None:
    config = cfg(
        "required_hits 6.5\ntrusted_networks 10.0.0.0/8 192.168.1.1\nclear_trusted_networks\n"
        "trusted_networks 1.2.3.4\noriginating_ip_headers X-A x-a X-B\n"
        "envelope_sender_header X-Envelope-From\nreport_safe 0\nrewrite_header Subject [SPAM]\n"
        "add_header all Level _STARS(*)_\nutil_rb_tld com NET\nutil_rb_2tld co.uk\n"
    )
    assert config.required_score == 6.5
    assert config.trusted_networks == ("1.2.3.4",)
    assert config.originating_ip_headers == ("X-A", "X-B")
    assert config.envelope_sender_header == "X-Envelope-From"
    assert config.report_safe == 0
    assert config.rewrite_header == {"Subject": "[SPAM]"}
    assert ("Level", "_STARS(*)_") in config.headers_ham
    assert ("Report", "_REPORT_") in config.headers_spam
    assert config.util_rb_tld == ("com", "net")
    assert config.util_rb_2tld == ("co.uk",)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("x" * 200 + "\n", "unparseable-line"),
        ("loadplugin Foo::Bar\n", "plugin-not-found"),
        ("ok_languages en\n", "migrated-setting"),
        ("uridnsbl X y z\n", "unparseable-line"),  # URIDNSBL is not loaded here
        ("required_score high\n", "invalid-value"),
        ("rewrite_header Date x\n", "invalid-value"),
    ],
)
def test_directive_errors(text: str, kind: str) -> None:
    assert [d.kind for d in cfg(text).diagnostics] == [kind]


def test_bad_input_files(tmp_path: Path) -> None:
    (tmp_path / "bin.cf").write_bytes(b"header A X =~ /a/\n\x00\x01\x02")
    (tmp_path / "long.cf").write_bytes(b"header B X =~ /" + b"a" * 2_000_000 + b"/\n")
    config = load_config(RulePaths((tmp_path,), None, None))
    assert {d.kind for d in config.diagnostics} >= {"binary-file", "line-too-long"}
    assert not config.rules
