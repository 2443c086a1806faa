"""Golden lint fixtures: one ``.cf`` file per message kind of spec/sa-rules.md §10.

Each fixture marks the lines that must be reported with a trailing ``# expect: KIND``
comment (comments are stripped before parsing, so the marker never changes the rule).
The set of (kind, line) we report must equal the marked set, exactly. The same fixtures are
run through the real ``spamassassin --lint`` in
``tests/differential/test_rules_lint_sa.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spamhdr.rules import RulePaths, load_config, parse_text

FIXTURES = Path(__file__).parent / "rules"
# The plugins Debian's default .pre files load (spec §1), so eval functions resolve.
DEBIAN_PLUGINS = [
    "URIDNSBL",
    "SPF",
    "Rule2XSBody",
    "Pyzor",
    "Razor2",
    "SpamCop",
    "AutoLearnThreshold",
    "WelcomeListSubject",
    "MIMEHeader",
    "ReplaceTags",
    "DKIM",
    "Check",
    "HTTPSMismatch",
    "URIDetail",
    "Bayes",
    "BodyEval",
    "DNSEval",
    "HTMLEval",
    "HeaderEval",
    "MIMEEval",
    "RelayEval",
    "URIEval",
    "WLBLEval",
    "VBounce",
    "ImageInfo",
    "FreeMail",
    "AskDNS",
    "HashBL",
    "DMARC",
]
_EXPECT = re.compile(r"#\s*expect:\s*([a-z-]+)")


def expected(path: Path) -> set[tuple[str, int]]:
    found = set()
    for number, line in enumerate(path.read_text(encoding="latin-1").split("\n"), start=1):
        match = _EXPECT.search(line)
        if match:
            found.add((match.group(1), number))
    return found


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.cf")), ids=lambda p: p.stem)
def test_fixture_reports_its_kind_at_its_line(fixture: Path) -> None:
    config = parse_text(
        fixture.read_text(encoding="latin-1"), name=str(fixture), plugins=DEBIAN_PLUGINS, lint=True
    )
    got = {(d.kind, d.line) for d in config.diagnostics}
    assert got == expected(fixture), "\n".join(d.render() for d in config.diagnostics)


def test_every_fixture_has_an_expectation() -> None:
    for fixture in FIXTURES.glob("*.cf"):
        assert expected(fixture), fixture


def test_fixture_through_the_file_loader(tmp_path: Path) -> None:
    """The loader path (files, file names, lines) gives the same positions as parse_text."""
    fixture = FIXTURES / "invalid-regexp.cf"
    config = load_config(RulePaths((fixture,), None, None), lint=True)
    [diag] = config.errors
    assert (diag.file, diag.line, diag.kind) == (str(fixture), 3, "invalid-regexp")
    assert diag.message == (
        "invalid regexp for B_BADRE '/foo(/': Unmatched ( in regex; marked by <-- HERE in "
        "m/foo( <-- HERE /"
    )
