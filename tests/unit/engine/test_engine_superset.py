"""Multi-pattern backend: a Hyperscan database built from ``superset.py`` never misses a match.

Rows are Perl rule regexes (translated by the rule compiler, as the engine sees them) with
subjects: for each subject ``regex`` decides whether it matches (so the table cannot drift
from ``regex``), and every subject ``regex`` matches must be a candidate of the scanner.
Rows marked ``exact`` are patterns whose translation drops nothing (no lookaround, no
back-reference, no multi-line anchor): there a subject ``regex`` does not match must not
be a candidate either, which checks that each kept anchor (``$`` → ``\\Z``, ``\\b``,
``\\A``, ``\\z``) means in Hyperscan what it means in ``regex``. The tricky parts are the
ones spec/sa-rules.md §3–4 lists for the translator: /i (ASCII folding in ``regex``,
Latin-1 folding spelled out by the translator), ``.`` and newlines, /m and /s, ``{,n}``,
POSIX classes, inline flag groups (applied to the whole pattern: a superset whatever
scope ``regex`` gives them), back-references.

Needs the optional ``hyperscan`` package (the ``test`` extra installs it); under
``CI=true`` its absence is a failure.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import regex

from spamhdr.engine.groups import compile_group, match_groups
from spamhdr.engine.match import match_header_test
from spamhdr.engine.model import HeaderTest
from spamhdr.engine.multipattern import AVAILABLE, GroupScanner, _hs, compile_scanner
from spamhdr.engine.superset import superset_pattern, translate
from spamhdr.rules.perl_regex import PerlRegex, compile_perl_regex


@pytest.fixture(autouse=True)
def _hyperscan() -> None:
    if not AVAILABLE:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("hyperscan is not installed (required under CI=true: pip install .[test])")
        pytest.skip("hyperscan is not installed (pip install .[fast])")


# (perl regex, exact translation?, subjects)
CASES: list[tuple[str, bool, list[bytes]]] = [
    ("/viagra/i", True, [b"Buy VIAGRA now", b"ViAgRa", b"vi agra", b"V\xcdAGRA"]),
    ("/\\xc9t\\xe9/i", True, [b"\xe9T\xc9", b"\xc9t\xe9", b"\xc9x\xe9", b"ETE"]),  # Latin-1 (§4.1)
    ("/caf\\xe9/i", True, [b"CAF\xc9", b"caf\xe9", b"cafe", b"CAF\xe9"]),
    ("/foo$/", True, [b"foo", b"foo\n", b"foo\nbar", b"foo\n\n", b"xfoo"]),
    ("/^foo/", True, [b"foo", b"\nfoo", b"xfoo", b"foo\n"]),
    ("/foo\\Z/", False, [b"foo\n", b"foo", b"foo\nx"]),
    ("/foo\\z/", True, [b"foo\n", b"foo", b"xfoo"]),
    ("/^\\s*$/", False, [b"", b"  ", b"\n", b"x"]),  # may match empty: no translation
    ("/\\bword\\b/", True, [b"a word.", b"swordfish", b"word", b"_word", b"word_", b"\xe9word"]),
    ("/\\Bord/", True, [b"word", b"ord", b" ord"]),
    ("/a.b/", True, [b"a-b", b"a\nb", b"a\rb", b"a\xffb"]),
    ("/a.b/s", True, [b"a\nb", b"ab"]),
    (
        "/^Subject: (?:Re|Fw):/m",
        True,
        [b"X: y\nSubject: Fw: hi", b"Subject: Re:", b"x Subject: Re:"],
    ),
    ("/end$/m", True, [b"the end\nmore", b"end", b"ending", b"end\r\n", b"end\n"]),
    ("/^a/m", True, [b"x\na", b"a", b"xa", b"x\n", b"\n\na"]),
    ("/^ab$/m", True, [b"x\nab\ny", b"ab", b"xab", b"ab\n", b"ab\r\n"]),
    ("/^(?:a|b)?c/m", True, [b"x\nac", b"c", b"xc", b"x\n", b"\nbc"]),
    ("/x\n^y/m", False, [b"x\ny", b"x\nzy", b"xy"]),  # an inner ^: dropped
    ("/(?:foo)?bar/", True, [b"bar", b"foobar", b"ba"]),
    ("/foo|bar/", True, [b"xbar", b"foo", b"fo"]),
    # Verbose patterns (FROM_UNBAL2, FROM_WSP_TRAIL): white space outside classes is not
    # part of the pattern, inside a class it is.
    ("/^ [^<]* > /xm", True, [b"a>", b"x\n b >", b"<a>", b"a", b"a >"]),
    ("/< [^>]* \\s > [^<>]* \\z/xm", True, [b"<a >", b"<a >x", b"<a>", b"<a >\n", b"<a\t>b"]),
    ("/a[ ]b/x", True, [b"a b", b"ab", b"a  b"]),
    # Back-references: the group's language stands in for the referenced text.
    ("/(\\d+)x\\1/", False, [b"12x12", b"12x3", b"12x", b"ax1"]),
    ("/([a-z]+)-\\1/i", False, [b"Ab-aB", b"ab-cd", b"ab-"]),
    ("/(\\bab)c\\1/", False, [b"abcab", b"abc", b"xabcab"]),  # anchored group: any bytes
    # Positive lookaheads: dropped from the translation, kept in an extra part (P A).
    ("/foo(?=bar)/", False, [b"foobar", b"foobaz", b"xfoobarx"]),
    ("/a(?=b+c)b/i", False, [b"ABBC", b"abx", b"abc"]),
    (
        r"/^(?!Content-)(?:[a-z]{4,}-[a-z]{3,}):\s+\d(?=\S{6,}\s*$)[\da-f]*(?:[-.]\w+)*\s*$/ism",
        False,
        [b"Tracking-Num: 1234abcd", b"MIME-Version: 1.0", b"a\nReply-Num: 9876543\n"],
    ),
    ("/a{0,3}bc/", True, [b"bc", b"aaabc", b"b c"]),
    ("/a{2,}c/", True, [b"aac", b"ac"]),
    ("/(?:ab)+?cd/", True, [b"ababcd", b"acd"]),
    ("/ {2,}x/", True, [b"a   x", b"a x"]),
    ("/(?=foo)fo/", False, [b"foo", b"fox"]),
    ("/(?!bar)ba./", False, [b"baz", b"bar"]),
    ("/(?<=@)example\\.com/", False, [b"x@example.com", b"example.com"]),
    ("/(\\w+) \\1 end/", False, [b"hey hey end", b"hey you end", b"end"]),
    ("/^(\\S+) .* \\1$/", False, [b"ab x ab", b"ab x ba"]),
    ("/(?i:AbC)def/", True, [b"aBcdef", b"aBcDEF"]),
    ("/x(?-i:Y)z/i", True, [b"XYZ", b"xYz", b"xyz"]),
    # regex applies a later (?i) from there on; the translation makes it global (wider).
    ("/a(?i)b/", False, [b"aB", b"AB", b"ab"]),
    ("/^x(?!(?i)(?:y))z/", False, [b"xz", b"Xz"]),
    ("/[[:alpha:]]foo[[:digit:]]/", True, [b"afoo1", b"1foo1"]),
    ("/[^a-z[:punct:]]bar/", True, [b"Xbar", b"xbar", b".bar"]),
    ("/\\x41\\x{42}C/", True, [b"ABC", b"abc"]),
    ("/[\\x80-\\xff]{3}/", True, [b"\x80\xfe\xff", b"\x80\x7f\xff"]),
    ("/\\d{3}-\\d{4}/", True, [b"555-1234", b"55-1234"]),
    ("/\\s\\S\\w\\W/", True, [b" x_!", b"\x0bx_!", b"\x1cx_!", b"\xa0x_!"]),
    ("/[^\\n]+\\n/", True, [b"abc\n", b"\n"]),
    ("/^(?:foo|bar)+$/i", True, [b"FOOBAR", b"foo bar"]),
    ("/(?<=x)?y/", False, [b"y"]),
    ("/^.{0,8}$/", False, [b"short", b"this is not short"]),
    ("/mc(?:b|g)r|kpmg/i", True, [b"MCGR", b"KpMg", b"mcxr"]),
    ("/\\@example\\.com>?$/", True, [b"a@example.com>", b"a@example.com>\n", b"a@example.comx"]),
]


def _compiled(perl: str) -> regex.Pattern[bytes]:
    result = compile_perl_regex(perl)
    assert isinstance(result, PerlRegex), result
    assert result.compiled is not None
    return result.compiled


def _scanner(pattern: regex.Pattern[bytes]) -> GroupScanner | None:
    return compile_scanner([pattern])


@pytest.mark.parametrize(("perl", "exact", "subjects"), CASES)
def test_scanner_never_misses_a_match(perl: str, exact: bool, subjects: list[bytes]) -> None:
    pattern = _compiled(perl)
    scanner = _scanner(pattern)
    if scanner is None:
        # Only patterns that may match the empty string go untranslated in this table.
        assert pattern.search(b"") is not None or superset_pattern(pattern) is None
        return
    assert scanner.covered == {0}
    translation = translate(pattern)
    assert translation is not None and translation.exact == exact, translation
    assert scanner.exact == ({0} if exact else set())
    for subject in subjects:
        candidates = scanner.candidates(subject)
        assert candidates is not None
        matched = pattern.search(subject) is not None
        if matched:
            assert 0 in candidates, (perl, subject, superset_pattern(pattern))
        elif exact:
            assert 0 not in candidates, (perl, subject, superset_pattern(pattern))


def test_every_table_row_matches_something() -> None:
    # Keeps the table honest: each row has at least one subject regex really matches.
    for perl, _exact, subjects in CASES:
        pattern = _compiled(perl)
        assert any(pattern.search(s) for s in subjects), perl


@pytest.mark.parametrize(
    "perl",
    ["/^$/", "/x*/", "/(?:a|)/", "/\\b/", "/(?=x)/"],
)
def test_patterns_matching_the_empty_string_get_no_translation(perl: str) -> None:
    # Every value would be a candidate: the rule simply runs as without a scanner.
    assert superset_pattern(_compiled(perl)) is None


def test_a_group_uses_the_scanner_and_keeps_every_outcome() -> None:
    perls = ["/viagra/i", "/^Re: /", "/free\\s+money/i", "/\\d{5,}/", "/^.{0,3}$/"]
    tests = tuple(
        HeaderTest(f"R{i}", "Subject", _compiled(p), i == 1, None, 2 if i == 3 else None, 1.0, 0)
        for i, p in enumerate(perls)
    )
    scanned = compile_group("Subject", tests, multipattern=True)
    plain = compile_group("Subject", tests, multipattern=False)
    assert scanned.scanner is not None and plain.scanner is None
    assert 4 not in scanned.scanner.covered  # ^.{0,3}$ may match empty: always run
    for value in [b"Re: VIAGRA 123456 and 99999\n", b"free   MONEY\n", b"ok\n", b"hello\n"]:

        class Message:
            def get(self, spec: str, value: bytes = value) -> bytes | None:
                return value

        reference = [
            (t.name, o.count, o.span)
            for t in tests
            if (o := match_header_test(t, value, 1.0)).count
        ]
        for group in (scanned, plain):
            got = match_groups((group,), Message(), 1.0, [])
            assert [(t.name, o.count, o.span) for t, o in got] == reference


def test_serialized_databases_are_cached_and_checked(tmp_path: Path) -> None:
    patterns = [_compiled("/viagra/i"), _compiled("/^Re: /")]
    first = compile_scanner(patterns, tmp_path)
    assert first is not None
    (cached,) = tmp_path.glob("*.hsdb")
    assert stat.S_IMODE(cached.stat().st_mode) & 0o077 == 0
    again = compile_scanner(patterns, tmp_path)
    assert again is not None and again.candidates(b"Re: Viagra") == {0, 1}
    # A file others may write is not trusted, a damaged one is not used: both recompiled.
    cached.chmod(0o666)
    trusted = compile_scanner(patterns, tmp_path)
    assert trusted is not None and trusted.candidates(b"VIAGRA") == {0}
    assert stat.S_IMODE(cached.stat().st_mode) & 0o022 == 0
    cached.write_bytes(b"not a database")
    repaired = compile_scanner(patterns, tmp_path)
    assert repaired is not None and repaired.candidates(b"Re: x") == {1}
    assert cached.read_bytes() != b"not a database"
    # A directory others may write is not trusted either: there a file could be swapped
    # for a valid database of other patterns; it is never loaded.
    other = tmp_path / "other"
    assert compile_scanner([_compiled("/zzz/"), _compiled("/yyy/")], other) is not None
    (foreign,) = other.glob("*.hsdb")
    shared = tmp_path / "shared"
    shared.mkdir()
    swapped = shared / cached.name
    swapped.write_bytes(foreign.read_bytes())
    swapped.chmod(0o600)
    shared.chmod(0o777)
    again = compile_scanner(patterns, shared)
    assert again is not None and again.candidates(b"Re: Viagra") == {0, 1}


def _note(_id: int, _start: int, _end: int, _flags: int, found: list[int]) -> None:
    found.append(1)


def test_hyperscan_case_folding_is_ascii_only() -> None:
    # Exact translations write an ASCII letter pair as one letter inside (?i:...) and rely
    # on Hyperscan folding nothing else in its non-UTF-8 mode; regex bytes patterns fold
    # ASCII letters only. Checked for every byte.
    for byte in range(256):
        database = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        database.compile(
            expressions=[b"(?i:\\x%02x)" % byte],
            ids=[0],
            elements=1,
            flags=[_hs.HS_FLAG_SINGLEMATCH],
        )
        matched = set()
        for other in range(256):
            found: list[int] = []
            database.scan(bytes((other,)), match_event_handler=_note, context=found)
            if found:
                matched.add(other)
        assert matched == {byte, bytes((byte,)).swapcase()[0]}, byte


@pytest.mark.parametrize(
    ("perl", "pruned", "kept"),
    [
        ("/foo(?=bar)/", b"foobaz", b"foobar"),
        # __IP_IN_RELAY's shape: \1 stands for digits, not for any bytes.
        ("/ip=(\\d+)\\.(\\d+) rdns=\\S*\\2\\D\\1/", b"ip=1.2 rdns=mail.ex", b"ip=1.2 rdns=2-1.ex"),
        # __RAND_HEADER's shape: without its lookahead every "MIME-Version: 1.0" is a
        # candidate; its part P A rejects it.
        (
            r"/^(?:[a-z]{4,}-[a-z]{3,}):\s+\d(?=\S{6,}\s*$)[\da-f]*(?:[-.]\w+)*\s*$/ism",
            b"Subject: x\nMIME-Version: 1.0\n",
            b"Subject: x\nTracking-Num: 1234abcd\n",
        ),
    ],
)
def test_lookaheads_and_back_references_keep_candidates_few(
    perl: str, pruned: bytes, kept: bytes
) -> None:
    pattern = _compiled(perl)
    scanner = _scanner(pattern)
    assert scanner is not None
    assert pattern.search(pruned) is None
    assert scanner.candidates(pruned) == set()
    assert pattern.search(kept) is not None
    assert scanner.candidates(kept) == {0}


def test_verbose_patterns_with_comments_get_no_translation() -> None:
    # "# [comment" would open a class for _rewrite; an escaped "#" is a literal (the rule
    # translator spells it \x23) and is fine.
    assert translate(_compiled("/a # [comment\n b/x")) is None
    escaped = translate(_compiled("/a \\# b/x"))
    assert escaped is not None and escaped.exact
