"""Score arithmetic and display, with expected values from SpamAssassin 4.0.1 runs.

Each case cites the header sample (../shared/header-samples) or spec line it comes from.
"""

from __future__ import annotations

import pytest

from spamhdr.engine.score import (
    display_score,
    format_tests,
    is_spam,
    render_status,
    stars,
    total_score,
)


@pytest.mark.parametrize(
    ("hits", "required", "total", "spam", "shown"),
    [
        # sa401-near-threshold-real-4.96-displayed-4.9.txt: 1.234+1.5+1.2+1.026
        ([1.234, 1.5, 1.2, 1.026], 5.0, 4.96, False, "4.9"),
        # sa401-exact-threshold-5.0-is-spam-autolearn-disabled.txt: 4 x 1.25
        ([1.25, 1.25, 1.25, 1.25], 5.0, 5.0, True, "5.0"),
        # sa401-required-0.1-real-0.07-displayed-score-0.txt: 0.5 x 3 - 1.43
        ([0.5, 0.5, 0.5, -1.43], 0.1, 0.07, False, "0"),
        # sa401-negative-score-minus22.7-tests-on-2nd-line.txt: -20, 1.5, -1.2, -3
        ([-20, 1.5, -1.2, -3], 5.0, -22.7, False, "-22.7"),
        # sa401-gtube-report_safe1-wrapped.txt: GTUBE 1000, NO_RECEIVED -0.001, NO_RELAYS -0.001
        ([1000, -0.001, -0.001], 5.0, 999.998, True, "1000.0"),
        ([], 5.0, 0.0, False, "0.0"),
    ],
)
def test_total_verdict_and_display(
    hits: list[float], required: float, total: float, spam: bool, shown: str
) -> None:
    score = total_score(hits)
    assert score == total
    assert is_spam(score, required) is spam
    assert display_score(score, required, spam) == shown


def test_stars_truncate_and_cap_at_50() -> None:
    # headers-and-delivery §2.3: int(score), cap 50, empty below 1.
    assert stars(4.96) == "****"
    assert stars(0.99) == ""
    assert stars(-3) == ""
    assert stars(999.998) == "*" * 50


def test_tests_list_sorted_in_byte_order_and_none() -> None:
    assert format_tests([]) == "none"
    assert format_tests(["NO_RELAYS", "GTUBE", "NO_RECEIVED"]) == "GTUBE,NO_RECEIVED,NO_RELAYS"
    # Perl sort is byte order: '_' (0x5F) sorts after upper-case letters.
    assert format_tests(["T_A", "TA"]) == "TA,T_A"
    # tflags multiple: one entry per hit (spec §0 point 11).
    assert format_tests(["T7_MULTI", "T7_MULTI"]) == "T7_MULTI,T7_MULTI"


def test_render_status_matches_spamassassin_with_bayes_off() -> None:
    # spamassassin -L --cf='use_bayes 0' --cf='bayes_auto_learn 0' on sample-nonspam.txt
    # wrote "No, score=0.0 required=5.0 tests=none autolearn=disabled version=4.0.1".
    assert (
        render_status(score=0.0, required=5.0, names=[])
        == "No, score=0.0 required=5.0 tests=none autolearn=disabled version=4.0.1"
    )
