"""Our lint against the real ``spamassassin --lint`` on the golden fixtures.

All fixtures of ``tests/golden/rules/`` are put in one rules directory and linted by
SpamAssassin (with Debian's site directory for the plugin ``.pre`` files) and by us. We
compare: SpamAssassin's issue count with our error count; the message kinds (each
SpamAssassin message is classified by its text); the message texts (normalised: the
``config:`` prefix and the ``in FILE (line N): LINE`` suffix removed); and, for the messages
where SpamAssassin names a file and line, that we report the same file and line.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from _rules_sa import LOCATION, SPAMHDR_ONLY, classify, normalise, sa_lint

from spamhdr.rules import Config, Diagnostic, RulePaths, load_config

FIXTURES = Path(__file__).parent.parent / "golden" / "rules"
SITE = Path("/etc/spamassassin")


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("lint") / "rules"
    target.mkdir()
    for fixture in FIXTURES.glob("*.cf"):
        shutil.copy(fixture, target / fixture.name)
    return target


@pytest.fixture(scope="module")
def sa_messages(spamassassin_bin: str, rules_dir: Path) -> tuple[list[str], int]:
    return sa_lint(spamassassin_bin, rules_dir, SITE)


@pytest.fixture(scope="module")
def ours(rules_dir: Path) -> Config:
    return load_config(RulePaths((rules_dir,), SITE, None), lint=True)


def test_issue_count_equals_error_count(sa_messages: tuple[list[str], int], ours: Config) -> None:
    assert sa_messages[1] == len(ours.errors)


def _shared(ours: Config) -> list[Diagnostic]:
    """Our diagnostics without the warnings only spamhdr gives."""
    return [d for d in ours.diagnostics if d.kind not in SPAMHDR_ONLY]


def test_same_kinds(sa_messages: tuple[list[str], int], ours: Config) -> None:
    theirs = Counter(classify(normalise(m)) for m in sa_messages[0])
    assert Counter(d.kind for d in _shared(ours)) == theirs


def test_same_messages(sa_messages: tuple[list[str], int], ours: Config) -> None:
    theirs = Counter(normalise(m) for m in sa_messages[0])
    assert Counter(normalise(d.message) for d in _shared(ours)) == theirs


def test_spamhdr_only_warnings_are_warnings(ours: Config) -> None:
    extra = [d for d in ours.diagnostics if d.kind in SPAMHDR_ONLY]
    assert extra, "the fixtures exercise spamhdr's own warnings"
    assert {d.severity for d in extra} == {"warning"}


def test_same_lines_where_spamassassin_names_them(
    sa_messages: tuple[list[str], int], ours: Config
) -> None:
    located = {(d.file, d.line, d.kind) for d in ours.diagnostics}
    for message in sa_messages[0]:
        where = LOCATION.search(message)
        if where is None:
            continue
        key = (where.group(1), int(where.group(2)), classify(normalise(message)))
        assert key in located, message
