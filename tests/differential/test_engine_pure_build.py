"""The pure-Python build agrees with SpamAssassin 4.0.1 too (setup.py's fallback).

The suite runs on the installed package, which CI builds with mypyc (``setup.py``); users
without a C compiler, and ``SPAMHDR_PURE=1`` installs, run the same modules as plain
Python. This test runs the engine from the source tree (``src/``, nothing compiled) in a
child process on every fifth oracle message and compares its hits and score with what the
real SpamAssassin decided (``../shared/oracle``), as ``test_engine_oracle.py`` does for
the installed build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_CHILD = r"""
import json, sys
from pathlib import Path
from spamhdr._build import compiled_modules
from spamhdr.engine import check_message, compile_ruleset
from spamhdr.rules import RulePaths, load_config

shared = Path(sys.argv[1])
inventory = json.loads((shared / "oracle" / "sa-4.0.1-rules.json").read_text())
config = load_config(
    RulePaths((Path("/usr/share/spamassassin"),), Path("/etc/spamassassin"), None),
    post_config_text=inventory["post_config_text"],
)
ruleset = compile_ruleset(config)
print(json.dumps({"compiled": list(compiled_modules())}))
for name in sys.stdin.read().split():
    result = check_message(ruleset, (shared / "corpus" / name).read_bytes())
    print(json.dumps({
        "file": name,
        "header_rule_hits": sorted({h.name for h in result.hits if h.type == "header"}),
        "meta_hits": sorted({h.name for h in result.hits if h.type == "meta"}),
        "subtest_hits": list(result.subtests),
        "score": round(result.score, 3),
    }))
"""


def test_pure_python_engine_matches_the_oracle(
    shared_dir: Path, spamassassin_bin: str, repo_dir: Path
) -> None:
    oracle_file = shared_dir / "oracle" / "sa-4.0.1-header-meta-hits.jsonl"
    oracle = [json.loads(line) for line in oracle_file.read_text().splitlines()][::5]
    env = {**os.environ, "PYTHONPATH": str(repo_dir / "src")}
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(shared_dir)],
        input="\n".join(line["file"] for line in oracle),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    first, *rows = (json.loads(line) for line in child.stdout.splitlines())
    assert first["compiled"] == [], "the child must run the plain-Python sources"
    assert len(rows) == len(oracle)
    mismatches = []
    for ours, theirs in zip(rows, oracle, strict=True):
        expected = {
            "file": theirs["file"],
            "header_rule_hits": sorted(set(theirs["header_rule_hits"])),
            "meta_hits": sorted(set(theirs["meta_hits"])),
            "subtest_hits": sorted(set(theirs["subtest_hits"])),
            "score": theirs["score"],
        }
        if ours != expected:
            mismatches.append(theirs["file"])
    assert mismatches == []
