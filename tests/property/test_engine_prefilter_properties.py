"""Prefiltered matching equals plain ``regex`` matching for the stock 4.0.1 header rules.

For random header values — built from the rule's own literals (in random case), header-ish
text and random bytes, so that real matches are frequent — a value the prefilter rejects
must never be matched by the rule's regex. The stock rules come from the installed
SpamAssassin (``/usr/share/spamassassin``), hence the ``spamassassin_bin`` fixture.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from spamhdr.engine.prefilter import Prefilter, required_literals
from spamhdr.rules import RulePaths, load_config

_PATTERNS: list[tuple[str, object, Prefilter]] = []


@pytest.fixture(scope="module")
def stock_patterns(spamassassin_bin: str) -> list[tuple[str, object, Prefilter]]:
    if not _PATTERNS:
        config = load_config(
            RulePaths((Path("/usr/share/spamassassin"),), Path("/etc/spamassassin"), None)
        )
        for name in sorted(config.rules):
            rule = config.rules[name]
            if rule.type != "header" or rule.regex is None or rule.operator == "exists":
                continue
            pattern = rule.regex.compiled
            prefilter = required_literals(pattern)
            if prefilter is not None:
                _PATTERNS.append((name, pattern, prefilter))
    return _PATTERNS


def _pieces(prefilter: Prefilter) -> list[bytes]:
    return [lit for req in prefilter.requirements for lit in (*req.exact, *req.folded)]


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_prefilter_never_rejects_a_matching_value(
    stock_patterns: list[tuple[str, object, Prefilter]], data: st.DataObject
) -> None:
    name, pattern, prefilter = data.draw(st.sampled_from(stock_patterns))
    pieces = _pieces(prefilter)
    chunk = st.one_of(
        st.sampled_from(pieces).flatmap(
            lambda p: st.sampled_from([p, p.upper(), p.lower(), p.capitalize(), p[:-1]])
        ),
        st.sampled_from([b" ", b"\n", b"@", b".", b"<", b">", b"[ ", b" ]", b"=", b"1"]),
        st.binary(max_size=6),
        st.sampled_from([b"rdns=", b" helo=", b"ip=1.2.3.4 ", b"From: ", b"Subject: "]),
    )
    value = b"".join(data.draw(st.lists(chunk, max_size=10)))
    found = pattern.search(value, timeout=1.0)  # type: ignore[attr-defined]
    event("matched" if found is not None else "no match")
    if found is not None:
        assert prefilter.may_match(value, value.lower()), (name, value)
