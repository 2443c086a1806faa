"""The score is summed in SpamAssassin's hit order: bands ascending, each band's header hits
followed by the metas evaluated after it.

Floating-point addition is not associative, and SpamAssassin rounds the sum to three
decimals, so the order can change the score (``fixtures/engine_hit_order.cf`` has three
scores where it does). The fast scheduler must add them as the reference scheduler (the
transcription of ``Check.pm``) and the real SpamAssassin do.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from spamhdr.engine import RuleSet, check_message, compile_ruleset
from spamhdr.engine.reference import run_rules_reference
from spamhdr.message import TrustConfig, parse_sa_message
from spamhdr.rules import RulePaths, load_config

HERE = Path(__file__).parent
RULES = HERE / "fixtures" / "engine_hit_order.cf"
HARNESS = HERE / "harness" / "sa_check.pl"
STOCK_RULES = Path("/usr/share/spamassassin")
MESSAGE = b"From: a@example.org\nTo: b@example.org\nSubject: alpha beta\n\nHello.\n"


def _ruleset(rules_dir: Path, site_dir: Path) -> RuleSet:
    config = load_config(
        RulePaths((rules_dir,), site_dir, None), post_config_text=RULES.read_text()
    )
    return compile_ruleset(config)


def test_the_three_scores_really_depend_on_the_order() -> None:
    a, m, b = 2.1355, 2.4328, 2.2112
    assert f"{(a + m) + b:.3f}" != f"{(a + b) + m:.3f}"


def test_fast_path_sums_in_the_reference_order(tmp_path: Path) -> None:
    ruleset = _ruleset(tmp_path, tmp_path)
    ours = check_message(ruleset, MESSAGE)
    trust = ruleset.trust
    assert trust is None or isinstance(trust, TrustConfig)
    reference = run_rules_reference(ruleset, parse_sa_message(MESSAGE, trust))
    assert {h.name for h in ours.hits} == {"ORDER_A", "ORDER_B", "ORDER_M"}
    assert ours.test_names == reference.test_names == ("ORDER_A", "ORDER_M", "ORDER_B")
    assert ours.score == reference.score == 6.779


def test_spamassassin_sums_the_same_way(tmp_path: Path, spamassassin_bin: str) -> None:
    # Only the fixture's rules, plus what SpamAssassin cannot start without: the plugin
    # .pre files of the site directory and the TLD list of the stock rules.
    rules_dir, site_dir = tmp_path / "rules", Path("/etc/spamassassin")
    rules_dir.mkdir()
    shutil.copy(STOCK_RULES / "20_aux_tlds.cf", rules_dir)
    ruleset = _ruleset(rules_dir, site_dir)
    message = tmp_path / "m.eml"
    message.write_bytes(MESSAGE)
    command = ["perl", str(HARNESS), "--rules", str(rules_dir), "--site", str(site_dir)]
    done = subprocess.run(
        [*command, "--cf", str(RULES), str(message)],
        capture_output=True,
        check=True,
        timeout=300,
    )
    theirs = json.loads(done.stdout.decode("latin-1").splitlines()[0])
    assert sorted(theirs["header_rule_hits"] + theirs["meta_hits"]) == [
        "ORDER_A",
        "ORDER_B",
        "ORDER_M",
    ]
    assert theirs["score"] == 6.779
    assert check_message(ruleset, MESSAGE).score == theirs["score"]
