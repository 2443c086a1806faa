"""`spamhdr check` keeps compiled Hyperscan databases between runs (issue 5's cache).

The cache only saves start-up time: a run that loads the databases must print exactly
what a run that compiled them printed, and ``--no-cache`` must write nothing. Files are
named by a hash of the patterns, so a rule change must produce new files, not reuse old
ones.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from spamhdr.cli import main
from spamhdr.engine.multipattern import AVAILABLE

pytestmark = pytest.mark.skipif(not AVAILABLE, reason="the optional hyperscan package")

RULES = """\
header   CACHE_SUBJ_PRIZE  Subject =~ /\\bprize\\b/i
score    CACHE_SUBJ_PRIZE  2.5
header   CACHE_SUBJ_WON    Subject =~ /\\bwin\\b/i
score    CACHE_SUBJ_WON    1.5
header   __CACHE_SUBJ_TODAY Subject =~ /today$/
meta     CACHE_BOTH        CACHE_SUBJ_PRIZE && __CACHE_SUBJ_TODAY
score    CACHE_BOTH        1
"""
SPAM = b"From: Winner <win@example.org>\nSubject: You won a PRIZE today\n\nHi\n"


def _check(*argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--json", *argv], out, err) == 0, err.getvalue()
    return out.getvalue()


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "10_cache.cf").write_text(RULES)
    (tmp_path / "spam.eml").write_bytes(SPAM)
    return rules, tmp_path / "spam.eml"


def test_second_run_loads_the_databases_and_prints_the_same(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    rules, message = setup
    cache = tmp_path / "cache"
    first = _check("--rules", str(rules), "--cache-dir", str(cache), str(message))
    stored = sorted(cache.glob("*.hsdb"))
    assert stored, "the Subject group's database was not stored"
    mtimes = [path.stat().st_mtime_ns for path in stored]
    second = _check("--rules", str(rules), "--cache-dir", str(cache), str(message))
    assert second == first
    assert '"CACHE_BOTH"' in first
    assert [path.stat().st_mtime_ns for path in sorted(cache.glob("*.hsdb"))] == mtimes


def test_a_rule_change_writes_new_databases(setup: tuple[Path, Path], tmp_path: Path) -> None:
    rules, message = setup
    cache = tmp_path / "cache"
    _check("--rules", str(rules), "--cache-dir", str(cache), str(message))
    before = {path.name for path in cache.glob("*.hsdb")}
    (rules / "10_cache.cf").write_text(RULES.replace("\\bwin\\b", "\\bwon\\b"))
    changed = _check("--rules", str(rules), "--cache-dir", str(cache), str(message))
    assert {path.name for path in cache.glob("*.hsdb")} - before
    # The old database (no "won") would have ruled the new pattern out before its regex ran.
    assert '"CACHE_SUBJ_WON"' in changed


def test_no_cache_writes_nothing(
    setup: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules, message = setup
    home_cache = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home_cache))
    _check("--rules", str(rules), "--no-cache", str(message))
    assert not home_cache.exists()
    _check("--rules", str(rules), str(message))
    assert list((home_cache / "spamhdr" / "hyperscan").glob("*.hsdb"))
