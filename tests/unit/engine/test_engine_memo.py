"""The group value memo (``groups.py``): it never changes a result, it pauses on values
that do not repeat and keeps working on values that do.

Expected outcomes come from :func:`match_header_test` run rule by rule on each value
(what the reference scheduler does), never from the memo's own earlier answers.
"""

from __future__ import annotations

from spamhdr.engine.groups import (
    MEMO_ENTRIES,
    MEMO_PAUSE,
    MEMO_TRIAL,
    SpecGroup,
    compile_group,
    match_groups,
)
from spamhdr.engine.match import match_header_test
from spamhdr.engine.model import HeaderTest
from spamhdr.rules.perl_regex import PerlRegex, compile_perl_regex


def _test(name: str, perl: str, *, negate: bool = False) -> HeaderTest:
    compiled = compile_perl_regex(perl)
    assert isinstance(compiled, PerlRegex) and compiled.compiled is not None
    return HeaderTest(
        name=name,
        spec="Message-Id",
        pattern=compiled.compiled,
        negate=negate,
        if_unset=None,
        maxhits=None,
        score=1.0,
        priority=0,
        raw=f"Message-Id =~ {perl}",
    )


TESTS = (
    _test("MID_DIGITS", r"/^<\d+\./"),
    _test("__MID_AT", r"/\@example\.org>/i"),
    _test("MID_NO_AT", r"/\@/", negate=True),
)


class _Value:
    def __init__(self, value: bytes) -> None:
        self.value = value

    def get(self, spec: str) -> bytes | None:
        return self.value


def _expected(value: bytes) -> list[tuple[str, int]]:
    return [(t.name, o.count) for t in TESTS if (o := match_header_test(t, value, 1.0)).count]


def _run(group: SpecGroup, value: bytes) -> list[tuple[str, int]]:
    defects: list[str] = []
    hits = match_groups((group,), _Value(value), 1.0, defects)
    assert defects == []
    return [(t.name, o.count) for t, o in hits]


def _unique(i: int) -> bytes:
    return b"<%d.%x@%s>" % (i, i * 7919, b"example.org" if i % 3 else b"mail.test")


def test_values_that_never_repeat_pause_the_memo_and_results_stay_exact() -> None:
    for multipattern in (False, True):
        group = compile_group("Message-Id", TESTS, multipattern=multipattern)
        for i in range(MEMO_TRIAL):
            assert _run(group, _unique(i)) == _expected(_unique(i))
        assert len(group.memo) == min(MEMO_TRIAL, MEMO_ENTRIES)
        # The look-up after a trial without hits pauses the memo and empties it.
        value = _unique(MEMO_TRIAL)
        assert _run(group, value) == _expected(value)
        assert group.memo == {}
        assert group.memo_counts[0] == -MEMO_PAUSE
        # Paused: values are not stored, and a repeated one is still matched correctly.
        for value in (_unique(1), _unique(2), _unique(1)):
            assert _run(group, value) == _expected(value)
        assert group.memo == {}
        assert group.memo_counts[0] == -MEMO_PAUSE + 3


def test_the_memo_retries_after_its_pause() -> None:
    group = compile_group("Message-Id", TESTS)
    group.memo_counts[:] = [-2, 0]
    for i in range(3):
        assert _run(group, _unique(i)) == _expected(_unique(i))
    assert list(group.memo) == [_unique(2)]  # the third value opened a new trial


def test_values_that_repeat_keep_the_memo() -> None:
    group = compile_group("Message-Id", TESTS)
    values = [_unique(i % 4) for i in range(3 * MEMO_TRIAL)]
    for value in values:
        assert _run(group, value) == _expected(value)
    assert group.memo_counts[0] >= 0  # never paused
    assert set(group.memo) == {_unique(i) for i in range(4)}
