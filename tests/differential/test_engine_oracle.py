"""spamhdr check agrees with SpamAssassin 4.0.1 on the shared corpus (issue 4 acceptance).

The oracle (../shared/oracle/sa-4.0.1-header-meta-hits.jsonl) is SpamAssassin run with only
its header regex/exists rules and metas, score set 0, no network, no Bayes (oracle README).
For every message the header rules that hit (scored and ``__``), the metas that hit (scored
and ``__``) and the score to 3 decimals must be equal. The test prints the agreement rate
and every mismatch; it fails below the issue's 99.5 % floor, and also on any mismatch not
listed in KNOWN_MISMATCHES (each entry there must say which SpamAssassin behaviour explains
it), so a regression cannot hide under the floor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spamhdr.engine import CheckResult, RuleSet, check_message, compile_ruleset
from spamhdr.rules import RulePaths, load_config

FLOOR = 0.995
#: corpus file → why spamhdr and SpamAssassin differ there (none known).
KNOWN_MISMATCHES: dict[str, str] = {}


@pytest.fixture(scope="module")
def ruleset(shared_dir: Path, spamassassin_bin: str) -> RuleSet:
    inventory = json.loads((shared_dir / "oracle" / "sa-4.0.1-rules.json").read_text())
    config = load_config(
        RulePaths((Path("/usr/share/spamassassin"),), Path("/etc/spamassassin"), None),
        post_config_text=inventory["post_config_text"],
    )
    return compile_ruleset(config)


def _ours(result: CheckResult) -> dict[str, Any]:
    return {
        "header_rule_hits": sorted({h.name for h in result.hits if h.type == "header"}),
        "meta_hits": sorted({h.name for h in result.hits if h.type == "meta"}),
        "subtest_hits": list(result.subtests),
        "score": round(result.score, 3),
    }


def _theirs(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "header_rule_hits": sorted(set(line["header_rule_hits"])),
        "meta_hits": sorted(set(line["meta_hits"])),
        "subtest_hits": sorted(set(line["subtest_hits"])),
        "score": line["score"],
    }


def _describe(ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    parts = []
    for key in ("header_rule_hits", "meta_hits", "subtest_hits"):
        extra = sorted(set(ours[key]) - set(theirs[key]))
        missing = sorted(set(theirs[key]) - set(ours[key]))
        if extra or missing:
            parts.append(f"{key}: +{extra} -{missing}")
    if ours["score"] != theirs["score"]:
        parts.append(f"score {ours['score']} vs {theirs['score']}")
    return "; ".join(parts)


def test_header_and_meta_hits_equal_spamassassin(
    shared_dir: Path, ruleset: RuleSet, capsys: pytest.CaptureFixture[str]
) -> None:
    oracle_file = shared_dir / "oracle" / "sa-4.0.1-header-meta-hits.jsonl"
    lines = [json.loads(line) for line in oracle_file.read_text().splitlines()]
    mismatches: dict[str, str] = {}
    for line in lines:
        data = (shared_dir / "corpus" / line["file"]).read_bytes()
        ours, theirs = _ours(check_message(ruleset, data)), _theirs(line)
        if ours != theirs:
            mismatches[line["file"]] = _describe(ours, theirs)
    agreement = 1 - len(mismatches) / len(lines)
    with capsys.disabled():
        print(
            f"\nengine vs SpamAssassin 4.0.1: {len(lines) - len(mismatches)}/{len(lines)} "
            f"messages identical ({agreement:.2%})"
        )
        for name, why in mismatches.items():
            print(f"  MISMATCH {name}: {why}")
    assert agreement >= FLOOR
    unexplained = sorted(set(mismatches) - set(KNOWN_MISMATCHES))
    assert not unexplained, f"{len(unexplained)} unexplained mismatches, first: {unexplained[:5]}"
