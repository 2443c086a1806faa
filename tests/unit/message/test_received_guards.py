"""The Received parser's speed-ups compute exactly what the Perl-shaped code they replace
computes.

* Literal guards: each guarded pattern's literals must include a whole requirement the
  engine's required-literal analysis (``spamhdr.engine.prefilter``, itself tested for
  soundness) derives from the pattern, so a line without them cannot match it.
* Line normalisation: ``b" ".join(line.split())`` and the ``endswith`` loop give what
  ``s/\\s+/ /g``, the single-space trims and ``1 while s/\\s?;$//`` give.
* Field cleaning: the translation table gives what ``s/[\\s\\0#\\[\\]\\(\\)<>|]/!/g`` gives.
* Literal tests on text: the parser looks for its literals in the latin-1 text of the
  line it matches (and of its ASCII-lower-cased copy), which holds a literal exactly
  when the bytes do; on the pure build a spy checks each text handed on is that text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

import spamhdr.message.received as received
import spamhdr.message.received_grammar as grammar
from spamhdr.engine.prefilter import required_literals
from spamhdr.message._guarded import Guarded
from spamhdr.message.received_formats import BoundedSearch
from spamhdr.message.received_model import Fields, Skipped

GUARDED = sorted(
    (name, value) for name, value in vars(grammar).items() if isinstance(value, Guarded)
)


def test_the_guarded_formats_are_the_expected_ones() -> None:
    assert len(GUARDED) >= 25


@pytest.mark.parametrize(("name", "guarded"), GUARDED)
def test_each_guard_is_a_requirement_of_its_pattern(name: str, guarded: object) -> None:
    assert isinstance(guarded, Guarded)
    prefilter = required_literals(guarded.pattern)
    assert prefilter is not None, name
    assert any(
        not req.folded and set(req.exact) <= set(guarded.literals) for req in prefilter.requirements
    ), (name, prefilter, guarded.literals)


_WS = regex.compile(rb"\s+")
_TRAILING_SEMI = regex.compile(rb"\s?;$")


def _perl_normalise(line: bytes) -> bytes:
    # Received.pm: s/\s+/ /g; s/^ //; s/ $//; 1 while s/\s?;$//;
    s = _WS.sub(b" ", line).removeprefix(b" ")
    if s.endswith(b" "):
        s = s[:-1]
    while True:
        cut = _TRAILING_SEMI.sub(b"", s, count=1)
        if cut == s:
            return s
        s = cut


def _fast_normalise(line: bytes) -> bytes:
    s = b" ".join(line.split())
    while s.endswith(b";"):
        s = s[:-1]
        if s.endswith(b" "):
            s = s[:-1]
    return s


LINE_BYTES = st.lists(
    st.sampled_from([b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b";", b"a", b"\xa0", b"\x1c"]),
    max_size=14,
).map(b"".join)


@given(LINE_BYTES)
def test_line_normalisation_equals_the_perl_substitutions(line: bytes) -> None:
    assert _fast_normalise(line) == _perl_normalise(line)


def test_line_normalisation_is_what_the_parser_does() -> None:
    parser = received.ReceivedParser(1.0)
    outcome = parser.parse(b"from a.example (a.example [192.0.2.1])\n\tby b.example ;\t; \n")
    assert isinstance(outcome, received.Relay)
    assert outcome.by == b"b.example"


@given(st.binary(max_size=40))
def test_field_cleaning_table_equals_the_substitution(value: bytes) -> None:
    pattern = regex.compile(rb"[\s\x00#\[\]\(\)<>|]")
    assert value.translate(grammar.STRIP_TABLE) == pattern.sub(b"!", value)


_OLD_TRAILING_DOTS = regex.compile(rb"\.+\Z")
IP_PIECES = [b"ipv6:", b"IPV6:", b"[", b"]", b"%eth0", b"%", b"::ffff:", b"0:0:FFFF:"]
IP_PIECES += [b"1.2.3.4", b"10.0.0.1", b"fe80::1", b":", b"0", b"x"]


@given(
    st.lists(
        st.sampled_from([b"unknown", b"UNKNOWN", b".", b"[", b"]", b"\n", b"ipv6:", b"IPv6:"]),
        max_size=4,
    ).map(b"".join),
    st.lists(
        st.sampled_from(IP_PIECES),
        max_size=5,
    ).map(b"".join),
)
def test_relay_cleaning_equals_the_perl_substitutions(rdns: bytes, ip: bytes) -> None:
    # Received.pm's enough: block, as the substitutions it is written with.
    expected_rdns = _OLD_TRAILING_DOTS.sub(b"", rdns)
    if grammar.UNKNOWN_RDNS.match(expected_rdns) or expected_rdns.startswith(b"["):
        expected_rdns = b""
    expected_ip = grammar.IPV6_PREFIX.sub(b"", ip, count=1)
    expected_ip = expected_ip.removeprefix(b"[").removesuffix(b"]")
    expected_ip = grammar.SCOPE.sub(b"", expected_ip, count=1)
    expected_ip = grammar.MAPPED_V4.sub(rb"\1", expected_ip, count=1)
    fields = Fields()
    fields.rdns, fields.ip = rdns, ip
    relay = received._finish(fields)
    assert relay.rdns == expected_rdns.translate(grammar.STRIP_TABLE)
    assert relay.ip == expected_ip.translate(grammar.STRIP_TABLE)


BOUNDED = received.ReceivedParser(1.0)._search
WORDS = st.sampled_from([b"by", b"id", b"x;", b"[1.2.3.4]", b"3", b"Aug", b"1:2", b"Mon,"])
SEPARATORS = st.sampled_from([b" ", b";", b"; ", b" ;", b" ; ; ", b";;"])
DATES = st.tuples(
    st.sampled_from([b"", b"Mon, ", b"Sat, ", b"Foo, "]),
    st.sampled_from([b"3", b"07", b"x"]),
    st.sampled_from([b" Aug", b" Jan", b" Aug,"]),
    st.sampled_from([b" 2002", b" 02"]),
    st.sampled_from([b" 21:30:02", b" 9:5", b" 21"]),
    st.sampled_from([b" +0100", b" (CET)", b" +0100 (CET)", b"", b" x;"]),
).map(b"".join)


@given(st.lists(st.tuples(WORDS, SEPARATORS), max_size=6), SEPARATORS, DATES, st.booleans())
def test_date_removal_equals_the_substitution(
    words: list[tuple[bytes, bytes]], sep: bytes, date: bytes, tail: bool
) -> None:
    # Received.pm: s/[\s;]+(?:day, )?\d+ mon \d+ \d+:\d+(?::\d+)? \S+$//, on a line whose
    # white space is single spaces (what parse() has made of it by then).
    line = b"from" + b"".join(sep_ + word for word, sep_ in words) + sep + date
    if tail:
        line += b" by x"
    line = b" ".join(line.split())
    # parse() keeps line[:cut] (and cuts its latin-1 text at the same place).
    assert _strip_date(line) == grammar.DATE.sub(b"", line, count=1)


def _strip_date(line: bytes) -> bytes:
    cut = received._date_start(line, line.decode("latin-1"), BOUNDED)
    assert 0 <= cut <= len(line)
    return line[:cut]


def test_date_removal_keeps_what_precedes_the_date() -> None:
    line = b"from a (a [192.0.2.1]) by b id 1 ; ; Sat, 3 Aug 2002 21:30:02 +0100"
    assert _strip_date(line) == b"from a (a [192.0.2.1]) by b id 1"
    assert _strip_date(b"from a by b") == b"from a by b"


START_TOKENS = [b"from", b"FROM", b"From", b"(from", b"(FROM", b"fro", b"x", b"by", b"BY", b"bY"]
START_TOKENS += [b";", b"a;", b"[192.0.2.1]", b"b ;", b"(x)"]
STARTS = st.lists(st.sampled_from(START_TOKENS), max_size=6).map(b" ".join)


@given(STARTS)
def test_the_from_test_is_the_perl_pattern(line: bytes) -> None:
    # received.py parse(): /^\(?from /i written as two prefix comparisons.
    head = line[:6].lower()
    expected = regex.match(rb"^\(?from ", line, regex.I) is not None
    assert (head[:5] == b"from " or head == b"(from ") == expected


@given(STARTS)
def test_the_from_by_semicolon_pattern_needs_by_as_third_token(line: bytes) -> None:
    # received.py parse() runs FROM_BY_SEMI only when " by " follows the second token.
    space = line.find(b" ", 5)
    if grammar.FROM_BY_SEMI.match(line):
        assert space > 0
        assert line[space : space + 4].lower() == b" by "


@pytest.mark.parametrize("run", [b" ;" * 10, b" ;" * 200])
@pytest.mark.parametrize("date", [b" 1 Jan 2000 10:00 +0000", b" 1 Foo 2000 10:00 +0000"])
def test_date_removal_on_short_and_long_tails(run: bytes, date: bytes) -> None:
    # Tails up to DATE_SHORT_BYTES go to the re twin, longer ones to DATE under the limit.
    line = b"from a (a [192.0.2.1]) by b" + run + date
    assert _strip_date(line) == grammar.DATE.sub(b"", line, count=1)


def test_guard_texts_are_the_literals_read_as_latin1() -> None:
    for name, guard in GUARDED:
        assert isinstance(guard, Guarded)
        assert tuple(t.encode("latin-1") for t in guard.texts) == guard.literals, name


NEEDLES = [b"Exim", b" (AUTH: ", b"authenticated", b"with local for", b")by ", b"helo="]
PIECES = [*NEEDLES, b"EXIM", b"\xc9xim", b"\xe9", b"\xff", b"\x00", b" ", b"e", b"AUTH", b"x"]


@given(st.lists(st.sampled_from(PIECES), max_size=8).map(b"".join), st.sampled_from(NEEDLES))
def test_a_literal_is_in_the_bytes_iff_in_their_latin1_text(line: bytes, needle: bytes) -> None:
    # What every literal test of the parser relies on (bytes.lower is ASCII-only, and so
    # is the lower-casing the "low" text gets, being bytes.lower decoded).
    text = needle.decode("latin-1")
    assert (needle in line) == (text in line.decode("latin-1"))
    low = line.lower()
    assert (needle.lower() in low) == (text.lower() in low.decode("latin-1"))


def _corpus_received(corpus: Path, limit: int) -> list[bytes]:
    from spamhdr.headers import parse_header_block

    lines: list[bytes] = []
    for path in sorted(corpus.rglob("*")):
        if len(lines) >= limit:
            break
        if path.is_file() and path.suffix not in (".md", ".tsv"):
            block = parse_header_block(path.read_bytes()[:65536])
            lines.extend(field.raw for field in block.get_all("Received"))
    return lines


def test_the_texts_handed_on_are_the_latin1_texts_of_the_lines(
    shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A spy on the pure build (compiled modules call each other directly): every text
    # handed to find_auth, match_from and the guards is the latin-1 text of the bytes
    # handed with it, and every "low" that of their ASCII-lower-cased copy.
    if not (received.__file__ or "").endswith(".py"):
        pytest.skip("the compiled build calls its functions natively: no spy possible")
    calls = {"auth": 0, "from": 0, "guard": 0}

    def check(s: bytes, text: str, low: str | None = None) -> None:
        assert text == s.decode("latin-1"), (s, text)
        assert low is None or low == s.lower().decode("latin-1"), (s, low)

    find_auth, match_from = received.find_auth, received.match_from
    search, match = Guarded.search, Guarded.match

    def spy_auth(s: bytes, text: str, low: str, bounded: BoundedSearch) -> bytes:
        calls["auth"] += 1
        check(s, text, low)
        return find_auth(s, text, low, bounded)

    def spy_from(
        s: bytes, text: str, low: str, f: Fields, bounded: BoundedSearch
    ) -> bool | Skipped | None:
        calls["from"] += 1
        check(s, text, low)
        return match_from(s, text, low, f, bounded)

    def spy_search(self: Guarded, s: bytes, text: str) -> regex.Match[bytes] | None:
        calls["guard"] += 1
        check(s, text)
        return search(self, s, text)

    def spy_match(self: Guarded, s: bytes, text: str) -> regex.Match[bytes] | None:
        calls["guard"] += 1
        check(s, text)
        return match(self, s, text)

    monkeypatch.setattr(received, "find_auth", spy_auth)
    monkeypatch.setattr(received, "match_from", spy_from)
    monkeypatch.setattr(Guarded, "search", spy_search)
    monkeypatch.setattr(Guarded, "match", spy_match)
    parser = received.ReceivedParser(1.0)
    lines = _corpus_received(shared_dir / "corpus", 1500)
    assert len(lines) >= 1500
    high = [b"from h\xe9 (h\xc9 [192.0.2.1]) by b\xff with ESMTPA id \xe0x; Mon, 3 Aug 2002 1:2 x"]
    for line in lines + high:
        for variant in (line, line.upper(), line.lower(), line.replace(b" by ", b")by ")):
            parser.parse(variant)
    assert calls["auth"] >= 1500
    assert calls["from"] >= 1500
    assert calls["guard"] >= 1500


def test_the_lsmtp_handover_is_ignored() -> None:
    # Received.pm: if (/\(LSMTP for/) { return 0; }, with the example line it gives; the
    # parser tests this branch of IGNORE_2 as a substring (LSMTP_FOR) beside the others.
    line = (
        b"from DL1GSPMX02 (dl1gspmx02.gamestop.com) by email.ebgames.com (LSMTP for Windows"
        b" NT v1.1b) with SMTP id <21.000575A0@email.ebgames.com>; Tue, 12 Sep 2006 21:06:43"
        b" -0500"
    )
    assert received.ReceivedParser(1.0).parse(line) is received.SKIPPED
    assert not grammar.IGNORE_2.search(line[5:])
    assert grammar.LSMTP_FOR.encode("latin-1") == rb"(LSMTP for"
