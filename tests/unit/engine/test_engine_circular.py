"""Circular metas: evaluated once after the first band, on the values that exist then.

Expected outcomes were measured with the real SpamAssassin 4.0.1 on the same rules
(tests/differential/fixtures/engine_edge_rules.cf, EDGE_CIRC_*; docs/check.md): with
``Subject: abc`` both metas hit, without a Subject neither does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spamhdr.engine import check_message, compile_ruleset
from spamhdr.rules import RulePaths, load_config

RULES = """\
header   __CIRC_A   Subject =~ /[a-m]/
priority __CIRC_A   -20000
meta     CIRC_1     (__CIRC_A || CIRC_2)
meta     CIRC_2     (__CIRC_A || CIRC_1)
score    CIRC_1     0.15
score    CIRC_2     0.05
header   LATE       Subject =~ /z/
meta     CIRC_LATE_1 (LATE || CIRC_LATE_2)
meta     CIRC_LATE_2 (LATE || CIRC_LATE_1)
"""


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (b"Subject: abc\n\nx\n", {"CIRC_1", "CIRC_2"}),
        (b"X-Other: abc\n\nx\n", set()),
        # LATE runs at priority 0, after the first band (-20000): the cycle sees 0.
        (b"Subject: zzz\n\nx\n", {"LATE"}),
    ],
)
def test_circular_metas_run_after_the_first_band(
    tmp_path: Path, message: bytes, expected: set[str]
) -> None:
    (tmp_path / "10_circ.cf").write_text(RULES)
    ruleset = compile_ruleset(load_config(RulePaths((tmp_path,), None, None)))
    # The fast path is exercised twice per rule set: the first check builds its plan.
    for _ in range(2):
        result = check_message(ruleset, message)
        assert {h.name for h in result.hits} == expected
