"""Prefilter soundness: a required-literal prefilter may only skip a regex that cannot match.

Each row is a Perl rule regex (translated by the rule compiler, as the engine sees it) and
subjects it really matches (checked with the compiled pattern first, so the table cannot
drift from ``regex``): the prefilter must let every one of them through. The tricky parts
are the ones spec/sa-rules.md §3–4 lists for the translator: /i (ASCII folding in
``regex``, Latin-1 folding done by the translator as classes), alternations, optional
parts, lookarounds, back-references, POSIX classes, inline flag groups, negated rules.
"""

from __future__ import annotations

import pytest

from spamhdr.engine.groups import compile_group
from spamhdr.engine.match import match_header_test
from spamhdr.engine.model import HeaderTest
from spamhdr.engine.prefilter import required_literals
from spamhdr.rules.perl_regex import PerlRegex, compile_perl_regex

CASES: list[tuple[str, list[bytes]]] = [
    ("/viagra/i", [b"Buy VIAGRA now", b"ViAgRa"]),
    ("/\\xc9t\\xe9/i", [b"\xe9T\xc9", b"\xc9t\xe9"]),  # Latin-1 folding (§4.1)
    ("/caf\\xe9/i", [b"CAF\xc9", b"caf\xe9"]),
    ("/(?:foo)?bar/", [b"bar", b"foobar"]),
    ("/foo|bar/", [b"xbar", b"foo"]),
    ("/foo|/", [b"anything"]),  # an empty alternative: no requirement
    ("/a{0,3}bc/", [b"bc", b"aaabc"]),
    ("/(?:ab)+cd/", [b"ababcd"]),
    ("/x*y/", [b"y"]),
    ("/(?=foo)fo/", [b"foo"]),
    ("/(?!bar)ba./", [b"baz"]),
    ("/(?<=@)example\\.com/", [b"x@example.com"]),
    ("/(\\w+) \\1 end/", [b"hey hey end"]),
    ("/(?i:AbC)def/", [b"aBcdef"]),
    ("/x(?-i:Y)z/i", [b"XYZ", b"xYz"]),
    ("/[[:alpha:]]foo[[:digit:]]/", [b"afoo1"]),
    ("/[^a-z[:punct:]]bar/", [b"Xbar"]),
    ("/\\bword\\b/", [b"a word."]),
    ("/^Subject: (?:Re|Fw):/m", [b"X: y\nSubject: Fw: hi"]),
    ("/foo\\Z/", [b"foo\n", b"foo"]),
    ("/\\x41\\x{42}C/", [b"ABC"]),
    ("/a\\.b\\/c/", [b"a.b/c"]),
    ("/[Ff]oo|B(?:a|e)r/", [b"Foo", b"Ber"]),
    ("/(?:\\d{3}-)?\\d{4}/", [b"5551234", b"555-1234"]),
    ("/^(?!.*(?:spam|ham)).*eggs/", [b"green eggs"]),
    ("/mc(?:b|g)r|kpmg/i", [b"MCGR", b"KpMg"]),
    ("/ {2,}x/", [b"a   x"]),
    ("/\\s/", [b"a b"]),
    ("/^$/", [b""]),
]


def _compiled(perl: str) -> PerlRegex:
    result = compile_perl_regex(perl)
    assert isinstance(result, PerlRegex), result
    return result


@pytest.mark.parametrize(("perl", "subjects"), CASES)
def test_prefilter_never_skips_a_real_match(perl: str, subjects: list[bytes]) -> None:
    pattern = _compiled(perl).compiled
    prefilter = required_literals(pattern)
    for subject in subjects:
        assert pattern.search(subject) is not None, (perl, subject)  # the row is honest
        if prefilter is not None:
            assert prefilter.may_match(subject, subject.lower()), (perl, subject, prefilter)


@pytest.mark.parametrize(
    ("perl", "subject"),
    [
        ("/viagra/i", b"hello there"),
        ("/^Majordomo results: /", b"Majordomo says hi"),
        ("/foo|bar/", b"baz"),
        ("/(?:foo)+bar/i", b"foo only"),
        ("/\\.tagstat\\.com\\s/", b"rdns=mail.example.com "),
    ],
)
def test_prefilter_rejects_values_without_the_literals(perl: str, subject: bytes) -> None:
    pattern = _compiled(perl).compiled
    prefilter = required_literals(pattern)
    assert prefilter is not None
    assert not prefilter.may_match(subject, subject.lower())
    assert pattern.search(subject) is None


@pytest.mark.parametrize("perl", ["/\\w+\\s\\w+/", "/^.{16}/", "/[a-z]{3}\\d+/i", "/./"])
def test_patterns_without_a_literal_get_no_prefilter(perl: str) -> None:
    assert required_literals(_compiled(perl).compiled) is None


def test_negated_rule_hits_when_the_prefilter_proves_no_match() -> None:
    # `Subject !~ /viagra/i` hits a subject without the word; the prefilter outcome must be
    # the same as running the regex (match.py computes both).
    pattern = _compiled("/viagra/i").compiled
    test = HeaderTest("NOT_V", "Subject", pattern, True, None, None, 1.0, 0)
    group = compile_group("Subject", (test,))
    entry = group.entries[0]
    assert entry.prefilter is not None
    assert entry.on_no_match.count == match_header_test(test, b"hello\n", 1.0).count == 1
    multiple = HeaderTest("NOT_V3", "Subject", pattern, True, None, 3, 1.0, 0)
    entry = compile_group("Subject", (multiple,)).entries[0]
    assert entry.on_no_match.count == match_header_test(multiple, b"hello\n", 1.0).count == 3


def test_undefined_header_outcomes_are_precomputed_like_a_run() -> None:
    # §0 point 3: undef is matched as "", [if-unset:] replaces it, exists: is false.
    tests = (
        HeaderTest("EMPTY", "X-A", _compiled("/^$/").compiled, False, None, None, 1.0, 0),
        HeaderTest("UNSET", "X-A", _compiled("/^dflt/").compiled, False, b"dflt", None, 1.0, 0),
        HeaderTest("EXISTS", "X-A", None, False, None, None, 1.0, 0),
        HeaderTest("NOT_EXISTS", "X-A", None, True, None, None, 1.0, 0),
    )
    group = compile_group("X-A", tests)
    assert group.when_undefined is not None
    assert [o.count for o in group.when_undefined] == [
        match_header_test(t, None, 1.0).count for t in tests
    ]
    assert [o.count for o in group.when_undefined] == [1, 1, 0, 1]
