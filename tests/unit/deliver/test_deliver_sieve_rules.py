"""The Sieve verdict table of spec §8 and the multi-script semantics of §5.4.

Expected verdicts are Pigeonhole's own output recorded in shared/sieve/expected-verdicts.txt
(run-oracle.sh) and the rows of §8; the evaluator must reproduce every one of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spamhdr.deliver import evaluate_chain, render_scripts
from spamhdr.deliver.model import MailUser
from spamhdr.deliver.sieve import JUNK_RULES
from spamhdr.deliver.sieve_eval import NotEvaluated
from spamhdr.headers import parse_header_block

FAMILY_OF_SCRIPT = {
    "junk-ispconfig-3.1": "3.1",
    "junk-ispconfig-3.2.0-3.2.2": "3.2.0-3.2.2",
    "junk-ispconfig-3.2.3-3.2.4": "3.2.3-3.2.4",
    "junk-ispconfig-3.2.5plus": "3.2.5+",
}


def _fields(text: bytes) -> list[tuple[str, str]]:
    return [(f.name, f.text) for f in parse_header_block(text).fields]


def _verdicts(shared: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in (shared / "sieve" / "expected-verdicts.txt").read_text().splitlines():
        script, fixture, verdict = line.split()[:3]
        if script in FAMILY_OF_SCRIPT:
            rows.append((script, fixture, verdict.replace("INBOX(implicit-keep)", "INBOX")))
    return rows


def test_every_recorded_pigeonhole_verdict(shared_dir: Path) -> None:
    rows = _verdicts(shared_dir)
    assert len(rows) == 96
    for script, fixture, verdict in rows:
        text = (shared_dir / "sieve" / f"{script}.sieve").read_text()
        fields = _fields((shared_dir / "sieve" / "fixtures" / fixture).read_bytes())
        assert evaluate_chain([(script, text)], fields).folder == verdict, (script, fixture)


def test_rendered_rules_give_the_recorded_verdicts(shared_dir: Path) -> None:
    # The rule inside ISPConfig's full rendered script behaves like the minimal stand-in.
    for script, fixture, verdict in _verdicts(shared_dir):
        family = FAMILY_OF_SCRIPT[script]
        scripts = render_scripts(family, MailUser(1, "bob@example.com", move_junk="y"))
        fields = _fields((shared_dir / "sieve" / "fixtures" / fixture).read_bytes())
        outcome = evaluate_chain([(s.name, s.text) for s in scripts.scripts], fields)
        assert outcome.folder == verdict, (family, fixture)


H = "From: a@example.org\nSubject: test\n"
# §8 verdict table (≥ 3.2.5 rule) and the version-specific rows.
SECTION_8 = [
    ("X-Spam-Flag: NO\n", "3.2.5+", "INBOX"),
    ("X-Spam-Flag: YES\n", "3.2.5+", "Junk"),
    ("x-spam-flag: yes\n", "3.2.5+", "Junk"),
    ("X-Spam-Flag: YES \n", "3.2.5+", "Junk"),
    ("X-Spam-Flag: =?us-ascii?Q?YES?=\n", "3.2.5+", "Junk"),
    ("X-Spam-Flag: True\n", "3.2.5+", "INBOX"),
    ("X-Spam-Status: Yes, score=7.234 tagged_above=3 required=5\n tests=[A=1]\n", "3.2.5+",
     "Junk"),
    ("X-Spam-Status: Yes,\n score=7\n", "3.2.5+", "Junk"),
    ("X-Spam-Status:    Yes, score=7\n", "3.2.5+", "Junk"),
    ("X-Spam-Status: Yes,score=9.0\n", "3.2.5+", "INBOX"),
    ("X-Spam-Status: No, score=1 tests=[BAYES_99=3.5]\n", "3.2.5+", "INBOX"),
    ("X-Spam-Status: No, score=1 tests=[BAYES_99=3.5]\n", "3.2.3-3.2.4", "Junk"),
    ("X-Spam: Yes\n", "3.2.5+", "Junk"),
    ("X-Spam: Yes\n", "3.1", "INBOX"),
    ("X-Spam-Status: Yes, score=16.50\n", "3.2.5+", "Junk"),
    ("X-Spam-Flag: NO\nReceived: from relay\nX-Spam-Flag: YES\n", "3.2.5+", "Junk"),
    ("X-Spam-Level: ********\nX-Spam-Score: 8.1\n", "3.2.5+", "INBOX"),
    ("Subject: ***SPAM*** hi\n", "3.2.5+", "INBOX"),
    ("Subject: ***SPAM*** hi\n", "3.2.0-3.2.2", "Junk"),
    ("Subject: *** SPAM *** hi\n", "3.2.0-3.2.2", "Junk"),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "family", "verdict"), SECTION_8)
def test_section_8_verdicts(extra: str, family: str, verdict: str) -> None:
    script = (
        f'require ["fileinto", "mailbox"];\nif {JUNK_RULES[family]} {{ fileinto "Junk"; stop; }}\n'
    )
    fields = _fields((H + extra + "\nbody\n").encode())
    assert evaluate_chain([("rule", script)], fields).folder == verdict


SPAM = _fields(b"From: a@example.org\nSubject: test\nX-Spam-Flag: YES\n\nbody\n")
HAM = _fields(b"From: a@example.org\nSubject: test\nX-Spam-Flag: NO\n\nbody\n")


def _run(move_junk: str, custom: str | None, fields: list[tuple[str, str]], family: str = "3.2.5+"):  # type: ignore[no-untyped-def]
    scripts = render_scripts(
        family, MailUser(1, "b@example.com", move_junk=move_junk, custom_mailfilter=custom)
    )
    return evaluate_chain([(s.name, s.text) for s in scripts.scripts], fields)


def test_move_junk_y_stops_before_custom_filters() -> None:
    # §5.4: the before-script files into Junk and stops: nothing else runs.
    outcome = _run("y", 'fileinto "Work";', SPAM)
    assert outcome.folders == ("Junk",)
    assert outcome.scripts_run == (".ispconfig-before.sieve",)


def test_move_junk_a_fileinto_cancels_the_after_script() -> None:
    # §5.4: implicit keep cancelled → the after-script is not run, spam stays in Work.
    outcome = _run("a", 'fileinto "Work";', SPAM)
    assert outcome.folders == ("Work",)


def test_move_junk_a_keep_stop_still_runs_the_after_script() -> None:
    # §5.4: keep; stop; → after-script still runs; the message ends up only in Junk.
    outcome = _run("a", "keep;\nstop;", SPAM)
    assert outcome.folders == ("Junk",)


def test_move_junk_n_never_junk() -> None:
    assert _run("n", None, SPAM).folders == ("INBOX",)
    assert _run("a", None, HAM).folders == ("INBOX",)


def test_ispconfig_31_explicit_keep_after_custom_filter() -> None:
    # sieve_filter_1.2.master ends with "keep;": a fileinto without stop also keeps INBOX.
    assert _run("y", 'fileinto "Work";', HAM, "3.1").folders == ("Work", "INBOX")
    assert _run("y", 'fileinto "Work"; stop;', HAM, "3.1").folders == ("Work",)
    assert _run("a", None, SPAM, "3.1").folders == ("INBOX",)  # 'a' has no rule in 3.1


NOT_EVALUATED = [
    'require ["fileinto"];\nfileinto "Work";',  # require after other commands
    'if envelope :is "from" "a@b" { discard; }',
    "if size :over 100K { discard; }",
    'if header :regex "subject" "^t" { discard; }',
    'vacation "away";',
    'if header :comparator "i;ascii-numeric" :is "x" "1" { discard; }',
    "frobnicate;",
    'if header :contains "subject" "x" { fileinto "Work" }',  # syntax error
]


@pytest.mark.parametrize("custom", NOT_EVALUATED)
def test_outside_the_subset_is_reported_not_guessed(custom: str) -> None:
    with pytest.raises(NotEvaluated):
        _run("y", custom, HAM)


def test_address_and_exists_tests() -> None:
    custom = (
        'if address :domain "from" "example.org" { fileinto "Org"; stop; }\n'
        'if exists "X-Nothing" { discard; }'
    )
    assert _run("n", custom, HAM).folders == ("Org",)
    custom = 'if not exists "X-Nothing" { if address :localpart "from" "a" { discard; stop; } }'
    outcome = _run("n", custom, HAM)
    assert outcome.folders == () and outcome.discarded
