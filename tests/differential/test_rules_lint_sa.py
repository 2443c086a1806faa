"""Our lint against the real ``spamassassin --lint`` on the golden fixtures.

All fixtures of ``tests/golden/rules/`` are put in one rules directory and linted by
SpamAssassin (with Debian's site directory for the plugin ``.pre`` files) and by us. We
compare: SpamAssassin's issue count with our error count; the message kinds (each
SpamAssassin message is classified by its text); the message texts (normalised: the
``config:`` prefix and the ``in FILE (line N): LINE`` suffix removed); and, for the messages
where SpamAssassin names a file and line, that we report the same file and line.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from spamhdr.rules import Config, RulePaths, load_config

FIXTURES = Path(__file__).parent.parent / "golden" / "rules"
SITE = Path("/etc/spamassassin")

# SpamAssassin message (after "config: ") → our kind.
KIND_OF = [
    (r"^invalid regexp for \S+ '.*': missing regexp delimiters$", "missing-delimiters"),
    (r"^invalid regexp for \S+ '.*': unquoted delimiter", "unquoted-delimiter"),
    (r"^invalid regexp for \S+ '.*': invalid end delimiter/mods$", "invalid-end-delimiter"),
    (r"^invalid regexp for \S+ '.*': always matching regexp", "always-matching-regexp"),
    (r"^invalid regexp for ", "invalid-regexp"),
    (r"^invalid header modifier for ", "invalid-header-modifier"),
    (r"^invalid head test ", "invalid-head-test"),
    (r"^invalid '\w+' value", "invalid-value"),
    (r"^missing '\w+' value", "missing-value"),
    (r"^missing '\w+' condition", "missing-condition"),
    (r"^error: rule '.*' has invalid characters", "invalid-rule-name"),
    (r"^warning: rule name '.*' is over 40 chars", "long-rule-name"),
    (r"^invalid expression for rule ", "invalid-meta-expression"),
    (r"^invalid meta \S+ token: ", "invalid-meta-token"),
    (r"^invalid meta \S+ rule: ", "invalid-meta-rule"),
    (r"^rules: excluding meta test ", "unsolved-meta-dependency"),
    (r"^failed to parse line", "unparseable-line"),
    (r"^missing starting 'if'", "missing-if"),
    (r"^'else' missing starting if", "else-without-if"),
    (r"^'\w+' must be standalone", "not-standalone"),
    (r"^unclosed '\w+' found", "unclosed-conditional"),
    (r"^rules: unknown eval ", "unknown-eval"),
    (r"^registryboundaries: no tlds defined", "no-tlds"),
]
_LOCATION = re.compile(r" in (\S+) \(line (\d+)\)(?:: .*)?$")


def normalise(message: str) -> str:
    return _LOCATION.sub("", message.removeprefix("config: "))


def classify(message: str) -> str:
    for pattern, kind in KIND_OF:
        if re.search(pattern, message):
            return kind
    raise AssertionError(f"unclassified SpamAssassin message: {message}")


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("lint") / "rules"
    target.mkdir()
    for fixture in FIXTURES.glob("*.cf"):
        shutil.copy(fixture, target / fixture.name)
    return target


@pytest.fixture(scope="module")
def sa_messages(spamassassin_bin: str, rules_dir: Path) -> tuple[list[str], int]:
    proc = subprocess.run(
        [spamassassin_bin, "--lint", "-C", str(rules_dir), "--siteconfigpath", str(SITE)],
        capture_output=True,
        text=True,
        encoding="latin-1",
        timeout=120,
        check=False,
    )
    messages, issues = [], -1
    for line in proc.stderr.splitlines():
        match = re.search(r"\] warn: (.*)$", line)
        if not match:
            continue
        text = match.group(1).replace("\\\\", "\\")
        summary = re.match(r"lint: (\d+) issues detected", text)
        if summary:
            issues = int(summary.group(1))
        else:
            messages.append(text)
    return messages, issues


@pytest.fixture(scope="module")
def ours(rules_dir: Path) -> Config:
    return load_config(RulePaths((rules_dir,), SITE, None), lint=True)


def test_issue_count_equals_error_count(sa_messages: tuple[list[str], int], ours: Config) -> None:
    assert sa_messages[1] == len(ours.errors)


def test_same_kinds(sa_messages: tuple[list[str], int], ours: Config) -> None:
    theirs = Counter(classify(normalise(m)) for m in sa_messages[0])
    assert Counter(d.kind for d in ours.diagnostics) == theirs


def test_same_messages(sa_messages: tuple[list[str], int], ours: Config) -> None:
    theirs = Counter(normalise(m) for m in sa_messages[0])
    assert Counter(normalise(d.message) for d in ours.diagnostics) == theirs


def test_same_lines_where_spamassassin_names_them(
    sa_messages: tuple[list[str], int], ours: Config
) -> None:
    located = {(d.file, d.line, d.kind) for d in ours.diagnostics}
    for message in sa_messages[0]:
        where = _LOCATION.search(message)
        if where is None:
            continue
        key = (where.group(1), int(where.group(2)), classify(normalise(message)))
        assert key in located, message
