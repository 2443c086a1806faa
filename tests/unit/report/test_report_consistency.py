"""Unit tables for consistency findings and SpamAssassin's display rules.

Expected display values are SpamAssassin 4.0.1's (spec headers-and-delivery.md §2.2 rule
1, [run] examples: 4.96 → "4.9", 0.07 with required 0.1 → "0", 5.0 → spam "5.0").
"""

from __future__ import annotations

import pytest

from spamhdr.report import parse_reports, sa_display_score, sa_stars


@pytest.mark.parametrize(
    ("real", "required", "shown", "spam"),
    [
        (4.96, 5.0, "4.9", False),  # sample sa401-near-threshold-real-4.96-displayed-4.9
        (0.07, 0.1, "0", False),  # sample sa401-required-0.1-real-0.07-displayed-score-0
        (5.0, 5.0, "5.0", True),  # sample sa401-exact-threshold-5.0
        (4.934, 5.0, "4.9", False),  # sample sa401-custom-x-spam-tests (ordinary rounding)
        (1000.0, 5.0, "1000.0", True),
        (-22.7, 5.0, "-22.7", False),
        (4.9996, 5.0, "5.0", True),  # rounded to 3 decimals first: 5.000 >= 5
        (6.3, 6.31, "6.2", False),  # required 6.31 displays as 6.3; floor is 6.2
    ],
)
def test_sa_display_score(real: float, required: float, shown: str, spam: bool) -> None:
    assert sa_display_score(real, required) == (shown, spam)


@pytest.mark.parametrize(
    ("score", "stars"), [(4.96, 4), (0.99, 0), (-3.0, 0), (1000.0, 50), (50.9, 50), (7.0, 7)]
)
def test_sa_stars(score: float, stars: int) -> None:
    assert sa_stars(score) == stars
    assert sa_stars(score, 64) == min(max(int(score), 0), 64)


def _codes(data: bytes) -> dict[str, str]:
    (report,) = parse_reports(data)
    return {f.code: f.severity for f in report.findings}


# (header block, {finding code: severity}) — contradictory or easy-to-misread headers
FINDINGS_TABLE = [
    # SA: Flag YES on a "No" status
    (
        b"X-Spam-Flag: YES\nX-Spam-Status: No, score=1.0 required=5.0 tests=A version=4.0.1\n",
        {"flag-vs-status": "warning"},
    ),
    # SA: Yes below required
    (
        b"X-Spam-Flag: YES\nX-Spam-Status: Yes, score=3.0 required=5.0 tests=A version=4.0.1\n",
        {"verdict-vs-required": "warning"},
    ),
    # SA: raw scores (X-Spam-Tests) that do not give the shown score
    (
        b"X-Spam-Status: No, score=2.0 required=5.0 tests=A,B version=4.0.1\n"
        b"X-Spam-Tests: A=1.234,B=1.5\n",
        {"score-vs-tests": "warning"},
    ),
    # SA: stars that do not fit int(score)
    (
        b"X-Spam-Level: *******\nX-Spam-Status: No, score=2.0 required=5.0 tests=none "
        b"version=4.0.1\n",
        {"stars": "warning"},
    ),
    # SA: more than 50 stars is amavis' cap, never SA's
    (
        b"X-Spam-Checker-Version: SpamAssassin 4.0.1 (2024-03-25) on vm\nX-Spam-Level: "
        + b"*" * 60
        + b"\nX-Spam-Status: Yes, score=60.0 required=5.0 tests=A version=4.0.1\n"
        b"X-Spam-Flag: YES\n",
        {"star-cap": "warning"},
    ),
    # amavis: Yes below required without BLACKLISTED — only a tag3 level below tag2 does
    # that (Amavis.pm: tag3 implies tag2; seen in test_report_amavis_live), so an info;
    # but no amavis writes a status below its tag level
    (
        b"X-Spam-Flag: YES\nX-Spam-Status: Yes, score=1.2 tagged_above=2 required=6.31 "
        b"tests=[A=1.2] autolearn=no\n",
        {"tag3": "info", "tagged-above": "warning"},
    ),
    # amavis: X-Spam-Score must equal score= unless listed
    (
        b"X-Spam-Score: 64\nX-Spam-Status: No, score=1.2 tagged_above=1 required=6.31 "
        b"tests=[A=1.2] autolearn=no\n",
        {"x-spam-score": "warning"},
    ),
    # amavis whitelisted: No, X-Spam-Score lowered to 0, no stars — consistent
    (
        b"X-Spam-Flag: NO\nX-Spam-Score: 0\nX-Spam-Level:\nX-Spam-Status: No, score=7.5 "
        b"tagged_above=-999 required=6.31 WHITELISTED tests=[A=7.5] autolearn=no\n",
        {"listed": "info"},
    ),
    # rspamd: False but spam (spec §0): information, not an error
    (
        b"X-Spamd-Result: default: False [8.89 / 15.00]; A(8.89)[]\nX-Rspamd-Action: add header\n"
        b"X-Spam: Yes\n",
        {"false-is-not-ham": "info"},
    ),
    # rspamd: True must mean reject
    (
        b"X-Spamd-Result: default: True [8.89 / 15.00]; A(8.89)[]\nX-Rspamd-Action: add header\n",
        {"rejected-vs-action": "warning"},
    ),
    # rspamd: status Yes with "no action"
    (
        b"X-Rspamd-Action: no action\nX-Spam-Status: Yes, score=1.00\n",
        {"action-vs-status": "warning"},
    ),
    # rspamd: bar must be + x floor(score)
    (b"X-Spamd-Bar: ++\nX-Spam-Status: Yes, score=7.42\n", {"bar": "warning"}),
    # rspamd: score over the reject threshold, action not reject
    (
        b"X-Spamd-Result: default: False [16.00 / 15.00]; A(16.00)[]\n"
        b"X-Rspamd-Action: add header\n",
        {"action-vs-threshold": "warning", "false-is-not-ham": "info"},
    ),
    # Exim: score_int is (int)((score + 0.001) * 10)
    (b"X-Spam_score_int: -21\nX-Spam_score: -2.1\n", {"score-int": "warning"}),
]


@pytest.mark.parametrize(("data", "codes"), FINDINGS_TABLE)
def test_findings(data: bytes, codes: dict[str, str]) -> None:
    assert _codes(data) == codes


def test_consistent_headers_have_no_findings() -> None:
    assert _codes(b"X-Spam_score_int: -20\nX-Spam_score: -2.1\nX-Spam_bar: --\n") == {}
    assert (
        _codes(
            b"X-Spamd-Bar: /\nX-Spam-Status: No, score=0.40\n"  # rspamd34 sample (c)
        )
        == {}
    )
    assert (
        _codes(
            b"X-Spam-Flag: YES\nX-Spam-Score: 4.5\nX-Spam-Level: ****\nX-Spam-Status: Yes, "
            b"score=4.5 tagged_above=1 required=4.5 tests=[TEST_A=4.5] autolearn=no "
            b"autolearn_force=no\n"
        )
        == {}
    )


def test_display_floor_with_raw_scores_names_the_real_score() -> None:
    (report,) = parse_reports(
        b"X-Spam-Level: ****\nX-Spam-Status: No, score=4.9 required=5.0 tests=A,B,C,D "
        b"version=4.0.1\nX-Spam-Tests: A=1.234,B=1.5,C=1.026,D=1.2\n"
    )
    (finding,) = report.findings
    assert finding.code == "display-floor"
    assert "4.96" in finding.message
