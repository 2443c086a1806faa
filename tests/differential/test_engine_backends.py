"""The Hyperscan backend and the pure-Python path agree on every message of the corpus.

``test_engine_oracle.py`` compares the default engine (Hyperscan when installed) with
SpamAssassin 4.0.1 on rule names and scores; this test compares the two matching paths
with each other on everything a check returns — every hit with its count, tested subject
and first-match span, sub-rules, ``tests=`` order, defects and the ``X-Spam-Status``
text — for the whole shared corpus and the stock rules (issue 5: "speed must not change a
single hit"). The messages share one rule set each, so the value memos filled by earlier
messages are exercised as well. Every fifth message is also checked without the group
index (``groups.index_groups``: only the groups a message's fields can need are run).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from spamhdr.engine import CheckResult, check_message, compile_ruleset
from spamhdr.engine.multipattern import AVAILABLE
from spamhdr.rules import RulePaths, load_config


def _observable(result: CheckResult) -> tuple[object, ...]:
    return (
        result.hits,
        result.subtests,
        result.test_names,
        result.defects,
        result.x_spam_status,
        result.score,
    )


def test_hyperscan_and_pure_paths_give_identical_results(
    shared_dir: Path, spamassassin_bin: str
) -> None:
    if not AVAILABLE:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("hyperscan is not installed (required under CI=true: pip install .[test])")
        pytest.skip("hyperscan is not installed (pip install .[fast])")
    config = load_config(
        RulePaths((Path("/usr/share/spamassassin"),), Path("/etc/spamassassin"), None)
    )
    scanned = compile_ruleset(config, multipattern=True)
    pure = compile_ruleset(config, multipattern=False)
    unindexed = replace(pure, plan=replace(pure.plan, index=None))  # type: ignore[type-var]
    assert getattr(scanned.plan, "backend", None) == "hyperscan"
    assert getattr(pure.plan, "backend", None) == "literals"
    corpus = shared_dir / "corpus"
    files = sorted(
        p
        for p in corpus.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.suffix != ".md"
    )
    assert len(files) > 4000
    differing = []
    for number, path in enumerate(files):
        data = path.read_bytes()
        expected = _observable(check_message(pure, data))
        if _observable(check_message(scanned, data)) != expected or (
            number % 5 == 0 and _observable(check_message(unindexed, data)) != expected
        ):
            differing.append(str(path.relative_to(corpus)))
    assert not differing, differing[:20]
