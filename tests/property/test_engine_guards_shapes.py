"""Shape deciders (``engine/guards_shapes.py``) agree with the regexes they stand for.

A decider may answer NO_MATCH only when the rule's regex (the translation ``regex`` runs,
which the oracle tests hold to SpamAssassin) has no match, and MATCHES only when it has
one; an exact shape must always answer one of the two. A wrong answer would silently
drop or invent hits, so this is checked:

* on the byte facts the deciders rely on, exhaustively over all 256 bytes;
* on values generated per shape, built around what makes the regex match and just miss
  (the tests assert that both outcomes do occur);
* on short random values from the bytes the patterns treat specially, for every shape;
* on every value of every corpus message the stock rules read, and end to end: the header
  hits of every corpus message are the same with and without the deciders;
* the stock 4.0.1 rules the shapes were written for still carry them after compilation.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import regex
from hypothesis import event, given, settings
from hypothesis import strategies as st

from spamhdr.engine import compile_ruleset
from spamhdr.engine.groups import SpecGroup, match_groups
from spamhdr.engine.guards_shapes import _SHAPES, _SPACE, MATCHES, MAY_MATCH, NO_MATCH, Shape
from spamhdr.engine.plan import Plan
from spamhdr.message import parse_sa_message
from spamhdr.rules import RulePaths, load_config
from spamhdr.rules.perl_regex import PerlRegex, compile_perl_regex

SHAPED_STOCK_RULES = frozenset(
    {
        "INVALID_DATE_TZ_ABSURD",
        "__HELO_NOT_RDNS",
        "HK_RANDOM_FROM",
        "HK_RANDOM_ENVFROM",
        "HK_RANDOM_REPLYTO",
        "TO_MALFORMED",
        "__PDS_TONAME_EQ_TOLOCAL",
        "__GB_TO_ADDR",
        "__LUNSUB_BEFORE_SUBJDT",
        "__MSGID_DOLLARS_MAYBE",
        "__MSGID_BEFORE_RECEIVED",
        "__FROM_EQ_ORG_1",
        "__0_TZ_1",
        "__0_TZ_2",
        "__0_TZ_3",
    }
)


def _shaped() -> dict[str, tuple[regex.Pattern[bytes], Shape]]:
    found = {}
    for text, shape in _SHAPES.items():
        compiled = compile_perl_regex(text)
        assert isinstance(compiled, PerlRegex), text
        found[text] = (compiled.compiled, shape)
    return found


SHAPED = _shaped()


def _by_start(start: str) -> tuple[str, regex.Pattern[bytes], Shape]:
    (found, *others) = [(t, p, s) for t, (p, s) in SHAPED.items() if t.startswith(start)]
    assert not others, start
    return found[0], found[1], found[2]


def _agrees(text: str, pattern: regex.Pattern[bytes], shape: Shape, value: bytes) -> bool:
    """Assert the decider's answer is consistent with the regex; return the regex's."""
    matched = pattern.search(value, timeout=5) is not None
    decided = shape.decide(value, value.lower() if shape.folded else b"")
    assert decided in (NO_MATCH, MAY_MATCH, MATCHES)
    if decided == NO_MATCH:
        assert not matched, (text, value)
    elif decided == MATCHES:
        assert matched, (text, value)
    else:
        assert not shape.exact, (text, value)
    return matched


def _check(start: str, value: bytes) -> None:
    text, pattern, shape = _by_start(start)
    event(f"matched: {_agrees(text, pattern, shape, value)}")


# --- byte facts ------------------------------------------------------------------------------


def _fullmatch(pattern: bytes, byte: int) -> bool:
    return regex.compile(pattern, regex.V0).fullmatch(bytes([byte])) is not None


def test_space_word_and_digit_classes_are_the_ones_the_deciders_use() -> None:
    for byte in range(256):
        one = bytes([byte])
        space = byte in _SPACE
        assert _fullmatch(rb"\s", byte) == space, one
        assert _fullmatch(rb"(?i)\S", byte) != space, one
        assert (re.fullmatch(rb"\s", one) is not None) == space, one
        assert len((b"a" + one + b"a").split()) == (2 if space else 1), one
        word = re.fullmatch(rb"\w", one) is not None
        assert _fullmatch(rb"\w", byte) == word, one
        assert _fullmatch(rb"(?i)\w", byte) == word, one
        assert _fullmatch(rb"\d", byte) == one.isdigit(), one


def test_ignore_case_folds_exactly_the_ascii_letters() -> None:
    for byte in range(256):
        one = bytes([byte])
        assert _fullmatch(rb"(?i)[a-z]", byte) == one.isalpha(), one
        consonant = re.fullmatch(rb"[bcdfgjklmnpqrtvwxz]", one.lower()) is not None
        assert _fullmatch(rb"(?i)[bcdfgjklmnpqrtvwxz]", byte) == consonant, one
    for letter in b"abcdefghijklmnopqrstuvwxyz_.@$<>":
        pattern = regex.compile(b"(?i)" + regex.escape(bytes([letter])), regex.V0)
        for byte in range(256):
            one = bytes([byte])
            assert (pattern.fullmatch(one) is not None) == (one.lower() == bytes([letter])), one


def test_line_anchors() -> None:
    for byte in range(256):
        value = b"x" + bytes([byte]) + b"a"
        assert (regex.search(rb"(?m)^a", value) is not None) == (byte == 10), value
        assert regex.search(rb"^a", value) is None
        end = b"a" + bytes([byte])
        assert (regex.search(rb"\Aa$", end) is not None) == (byte == 10), end


# --- generated values, per shape -------------------------------------------------------------

_ZONES = ["0000", "0100", "0130", "0145", "0115", "1400", "1445", "1500", "1430", "0060", "0005"]
_ZONES += ["9999", "0959", "1000", "1360", "2400", "0945", "123", "12345", "ab12", "0+00"]


@st.composite
def dates(draw: st.DrawFn) -> bytes:
    zone = draw(st.sampled_from(_ZONES) | st.from_regex(r"\A[0-9]{4}\Z"))
    return (
        draw(st.sampled_from(["Tue, 9 Sep 2020 11:57:42 ", "", "x", "+0000 ", "1"]))
        + draw(st.sampled_from(["+", "-", "", "--", " "]))
        + zone
        + draw(st.sampled_from(["", "\n", "\n\n", " ", " (PST)", "\r\n", "\n+1999", "\n "]))
    ).encode()


@settings(max_examples=1500, deadline=None)
@given(dates())
def test_the_date_zone_shape(value: bytes) -> None:
    _check("/[-+](?!", value)


_HOSTS = ["mx.example", "MX.example", "mx", "mx.example.org", "m", "", "]x", "a]"]


@st.composite
def relays(draw: st.DrawFn) -> bytes:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        rdns = draw(st.sampled_from(_HOSTS))
        helo = draw(st.sampled_from([*_HOSTS, rdns, rdns, rdns.upper(), rdns + "x"]))
        key = draw(st.sampled_from(["rdns=", "rdns=", "RDNS=", "xrdns="]))
        gap = draw(st.sampled_from([" ", " ", "\t", "  "]))
        parts.append(
            draw(st.sampled_from(["[ ip=1.2.3.4 ", "[", "", "x "]))
            + f"{key}{rdns}{gap}helo={helo}"
            + draw(st.sampled_from([" by=b ident= ]", "]", "", " ", "\n", " rdns=a helo=b"]))
        )
    return " ".join(parts).encode()


@settings(max_examples=1500, deadline=None)
@given(relays())
def test_the_helo_shape(value: bytes) -> None:
    _check("/^[^\\]]+ rdns=", value)


_LOCAL = "bcdfgkmnpqrtvwxzaeiouyhsBCDAEIO"


@st.composite
def local_parts(draw: st.DrawFn) -> bytes:
    pieces = st.one_of(
        st.text(_LOCAL, min_size=1, max_size=6),
        st.sampled_from(["abab", "ababab", "abababab", "aaaa", "AaAa", "xyXYxyxy", "q"]),
        st.sampled_from(["mail_", "bounce-", "@", ".", "-", "+", "\n", "1", "kpmg", " "]),
        st.sampled_from(["@amazon.com", "@cnn.de", "@ex.com", "@a.b"]),
    )
    return "".join(draw(st.lists(pieces, max_size=6))).encode()


@settings(max_examples=2000, deadline=None)
@given(local_parts())
def test_the_random_local_part_shape(value: bytes) -> None:
    _check("/^(?!(?:mail|bounce)", value)


_TO_PIECES = ["a", "ab", "@", ".", "b.c", "a@b.c", '"x y"', '"', "<", ">", "!", "!b", ":", ";"]
_TO_PIECES += [",", "(", ")", "(c)", " ", "  ", "\t", "\n", "\n\t", "A", "@.", ".@", "x@y"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_TO_PIECES), max_size=8).map("".join).map(str.encode))
def test_the_to_address_shape(value: bytes) -> None:
    _check('/(?:^|[^\\S\\"])', value)


_NAMES = ["ann", "Ann", "ann smith", "a", "a'b", 'a"b', "a@b", "<ann", "ann ", " ann", "\tann"]


@st.composite
def to_raw(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(_NAMES) | st.text("ab <@'\" \n", max_size=5))
    local = draw(st.sampled_from([name, name, name.upper(), name + "x", "x" + name, "bo"]))
    return (
        draw(st.sampled_from(["", " ", "  ", "\n ", "\t"]))
        + draw(st.sampled_from(["", '"', "'", '""']))
        + name
        + draw(st.sampled_from(["", '"', "'"]))
        + draw(st.sampled_from([" ", "", "  ", " <<"]))
        + draw(st.sampled_from(["<", "", " "]))
        + local
        + draw(st.sampled_from(["@ex.com>\n", "@", "", " @x", "@a@b"]))
    ).encode()


@settings(max_examples=2000, deadline=None)
@given(to_raw())
def test_the_to_name_shape(value: bytes) -> None:
    _check("/^\\s*['\"]?", value)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_the_capture_everything_shape(value: bytes) -> None:
    _check("/(?<GB_TO_ADDR>", value)


_ID_PIECES = ["<", ">", "$", "@", "abcd", "ab", "a_1b", "localhost", "LOCALHOST", "localh"]
_ID_PIECES += [" ", "\n", "x.y", "001001c249e6$863c4e00$13cca341@networksonline.com>"]


_FOCUS: dict[str, list[str]] = {
    "lunsub": [
        "List-Unsubscribe: <mailto:x>",
        "list-unsubscribe: x",
        "List-Unsubscribe: ",
        "x List-Unsubscribe: y",
        "Subject: hi",
        "subject:hi",
        "Date: now",
        "DATE: now",
        " Subject: x",
    ],
    "msgid": [
        "Message-Id: <a@b>",
        "message-id:",
        " Message-ID: <c>",
        "Received: from a",
        "xReceived: b",
        "RECEIVED:",
        "Re: x",
    ],
    "org": [
        'From: "Ann" <ann@ex.com>',
        "From: Ann <a@b>",
        "From: Ann <a@b",
        "From: Bo <a>",
        'From: "Ann <a>',
        'From: Ann" <a@b>',
        "From: Ann <>",
        "From: Ann <a\n>",
        "Organization: Ann",
        "organization: ann",
        'Organization: "Ann',
        "X-Organization: Bo",
        "Ann",
    ],
}
_FILLER = ["X-A: b", "\tfolded", "Subject: x", "From: x"]


@st.composite
def header_blocks(draw: st.DrawFn, focus: str) -> bytes:
    """Header lines, most of them from the ``focus`` shape's own fields."""
    own = st.sampled_from(_FOCUS[focus])
    lines = draw(st.lists(own | own | st.sampled_from(_FILLER), max_size=8))
    if draw(st.booleans()):  # a long run of lines for the {1,40} bound
        at = draw(st.integers(0, len(lines)))
        lines[at:at] = ["X-F: f"] * draw(st.integers(35, 45))
    if lines and draw(st.booleans()):  # blank lines are swallowed by \n+
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", "\n"])))
    start = draw(st.sampled_from(["", "\n"]))
    return (start + "\n".join(lines) + draw(st.sampled_from(["", "\n"]))).encode()


@settings(max_examples=1500, deadline=None)
@given(header_blocks("lunsub"))
def test_the_list_unsubscribe_shape(value: bytes) -> None:
    _check("/^List-unsubscribe", value)


@settings(max_examples=1500, deadline=None)
@given(header_blocks("msgid"))
def test_the_message_id_before_received_shape(value: bytes) -> None:
    _check("/^Message-Id", value)


@settings(max_examples=1500, deadline=None)
@given(header_blocks("org"))
def test_the_from_organization_shape(value: bytes) -> None:
    _check('/\\nFrom: "?', value)


_ID_WORDS = ["abcd", "abcd", "a_1b9", "localhost", "LOCALHOST", "localhostab", "abc", "", "ab cd"]


@st.composite
def message_ids(draw: st.DrawFn) -> bytes:
    """``<w$w$w@host>`` with words of about four bytes and ``localhost``, half of them
    well formed but for the words, the rest with broken pieces."""
    word = st.sampled_from(_ID_WORDS)
    if draw(st.booleans()):
        ident = f"<{draw(word)}${draw(word)}${draw(word)}@{draw(st.sampled_from(['h', 'h.x']))}>"
    else:
        mark = st.sampled_from(["$", "", "$$", "@"])
        ident = (
            draw(st.sampled_from(["<", "", "<<", "x<"]))
            + draw(word)
            + draw(mark)
            + draw(word)
            + draw(mark)
            + draw(word)
            + draw(st.sampled_from(["@", "", "$"]))
            + draw(st.sampled_from(["host", "h", "", " h", "h h"]))
            + draw(st.sampled_from([">", "", " >", ">x"]))
        )
    glue = draw(st.sampled_from(["", "\n", " "]))
    more = draw(st.lists(st.sampled_from(_ID_PIECES), max_size=3))
    return (glue.join([ident, *more]) + glue).encode()


@settings(max_examples=2000, deadline=None)
@given(message_ids())
def test_the_dollar_message_id_shape(value: bytes) -> None:
    _check("/<\\w{4,}", value)


@st.composite
def quoted_names(draw: st.DrawFn) -> bytes:
    """``"First Last" <local@…>``, the local part built from the name the way the three
    patterns read it (or nearly); half of them in a well-formed frame."""
    first = draw(st.sampled_from(["John", "jo", "J", "J_o", "Ann"]))
    last = draw(st.sampled_from(["Smith", "_s", "s", "Doe", "x_y"]))
    lead = draw(st.sampled_from(["", first, first[:1], first.lower(), "x"]))
    local = (
        lead
        + draw(st.sampled_from(["", "", ".", "_", "-"]))
        + draw(st.sampled_from([last, last, last.upper(), "_" + last, last[:-1]]))
        + draw(st.sampled_from(["", "", "_"]))
        + draw(st.sampled_from(["ab", "ab", "AB", "a", "a1", "abc", "__"]))
    )
    if draw(st.booleans()):
        return f'"{first} {last}" <{local}@ex.com>'.encode()
    return (
        draw(st.sampled_from(['"', "", " "]))
        + first
        + draw(st.sampled_from([" ", "  ", "-"]))
        + last
        + draw(st.sampled_from(['" <', '"<', " <"]))
        + local
        + draw(st.sampled_from(["@ex.com>", "", "x@"]))
    ).encode()


@settings(max_examples=2000, deadline=None)
@given(quoted_names())
def test_the_quoted_name_shapes(value: bytes) -> None:
    for start in (
        '/^\\"(\\w)(\\w+) (\\w+)\\" <\\1\\2',
        '/^\\"(\\w)(\\w+) (\\w+)\\" <\\1[',
        '/^\\"(\\w)(\\w+) (\\w+)\\" <\\3',
    ):
        _check(start, value)


_SPECIAL = ["@", ".", "<", ">", "$", "]", "[", "'", '"', " ", "\t", "\n", "_", "-", "+", "a", "B"]


@settings(max_examples=3000, deadline=None)
@given(
    st.binary(max_size=16)
    | st.lists(st.sampled_from(_SPECIAL), max_size=16).map("".join).map(str.encode)
)
def test_every_shape_on_random_values(value: bytes) -> None:
    for text, (pattern, shape) in SHAPED.items():
        _agrees(text, pattern, shape, value)


_STRATEGIES = {
    "/[-+](?!": dates(),
    "/^[^\\]]+ rdns=": relays(),
    "/^(?!(?:mail|bounce)": local_parts(),
    '/(?:^|[^\\S\\"])': st.lists(st.sampled_from(_TO_PIECES), max_size=8)
    .map("".join)
    .map(str.encode),
    "/^\\s*['\"]?": to_raw(),
    "/^List-unsubscribe": header_blocks("lunsub"),
    "/^Message-Id": header_blocks("msgid"),
    '/\\nFrom: "?': header_blocks("org"),
    "/<\\w{4,}": message_ids(),
    '/^\\"(\\w)(\\w+) (\\w+)\\" <\\1\\2': quoted_names(),
    '/^\\"(\\w)(\\w+) (\\w+)\\" <\\1[': quoted_names(),
    '/^\\"(\\w)(\\w+) (\\w+)\\" <\\3': quoted_names(),
}


def _outcomes(
    strategy: st.SearchStrategy[bytes], pattern: regex.Pattern[bytes], shape: Shape
) -> Counter[tuple[bool, int]]:
    """(regex matched, decider's answer) over a fixed sample of ``strategy``."""
    seen: Counter[tuple[bool, int]] = Counter()

    @settings(max_examples=1000, deadline=None, database=None, derandomize=True)
    @given(strategy)
    def collect(value: bytes) -> None:
        lowered = value.lower() if shape.folded else b""
        seen[(pattern.search(value, timeout=5) is not None, shape.decide(value, lowered))] += 1

    collect()
    return seen


def test_generated_values_both_match_and_miss() -> None:
    """The properties above would be empty if their values never matched (or always did):
    count both outcomes, and the decided answers, over a fixed sample of each strategy."""
    for start, strategy in _STRATEGIES.items():
        text, pattern, shape = _by_start(start)
        seen = _outcomes(strategy, pattern, shape)
        matched = sum(n for (m, _), n in seen.items() if m)
        assert 5 <= matched <= sum(seen.values()) - 5, (text, seen)
        if text.startswith("/(?:^|"):  # a witness: it must find most matches
            assert seen[(True, MATCHES)] > 0.5 * matched, seen
        elif not shape.exact:  # a guard: it must reject most misses
            assert seen[(False, NO_MATCH)] > 0.5 * (sum(seen.values()) - matched), seen


# --- the stock rules, the corpus, end to end -------------------------------------------------


def _stock_plan() -> Plan:
    config = load_config(
        RulePaths((Path("/usr/share/spamassassin"),), Path("/etc/spamassassin"), None)
    )
    plan = compile_ruleset(config).plan
    assert isinstance(plan, Plan)
    return plan


def test_the_stock_rules_carry_their_shapes(spamassassin_bin: str) -> None:
    plan = _stock_plan()
    shaped = {e.test.name for g in plan.groups for e in g.entries if e.decide is not None}
    assert shaped == SHAPED_STOCK_RULES
    settled = {e.test.name for g in plan.groups for e in g.entries if e.settled_by_match}
    assert "TO_MALFORMED" in settled and "__LUNSUB_BEFORE_SUBJDT" in settled
    assert "INVALID_DATE_TZ_ABSURD" not in settled and "HK_RANDOM_FROM" not in settled


def _corpus(shared_dir: Path) -> list[Path]:
    files = sorted(p for p in (shared_dir / "corpus").rglob("*") if p.is_file())
    files = [p for p in files if p.suffix != ".md"]
    assert len(files) > 4000
    return files


def test_shapes_agree_with_their_regexes_on_the_corpus(
    shared_dir: Path, spamassassin_bin: str
) -> None:
    plan = _stock_plan()
    by_pattern = {pattern.pattern: text for text, (pattern, _shape) in SHAPED.items()}
    specs: dict[str, list[str]] = {}
    for group in plan.groups:
        for entry in group.entries:
            if entry.decide is not None:
                assert entry.test.pattern is not None
                specs.setdefault(group.spec, []).append(by_pattern[entry.test.pattern.pattern])
    decided = Counter[int]()
    for path in _corpus(shared_dir):
        message = parse_sa_message(path.read_bytes())
        for spec, texts in specs.items():
            value = message.get(spec)
            if not value:
                continue
            for text in texts:
                pattern, shape = SHAPED[text]
                lowered = value.lower() if shape.folded else b""
                _agrees(text, pattern, shape, value)
                decided[shape.decide(value, lowered)] += 1
    # The shapes are worth having only if they decide nearly every value.
    assert decided[MAY_MATCH] < 0.05 * sum(decided.values()), decided


def _without_deciders(groups: tuple[SpecGroup, ...]) -> tuple[SpecGroup, ...]:
    return tuple(
        dataclasses.replace(
            group,
            entries=tuple(dataclasses.replace(e, decide=None) for e in group.entries),
            memo={},
        )
        for group in groups
    )


def test_header_hits_are_the_same_without_the_deciders(
    shared_dir: Path, spamassassin_bin: str
) -> None:
    plan = _stock_plan()
    plain = _without_deciders(plan.groups)
    settled = {e.test.name for g in plan.groups for e in g.entries if e.settled_by_match}
    for path in _corpus(shared_dir):
        message = parse_sa_message(path.read_bytes())
        ours: list[str] = []
        theirs: list[str] = []
        hits = match_groups(plan.groups, message, 5.0, ours, plan.index)
        expected = match_groups(plain, message, 5.0, theirs, plan.index)
        assert ours == theirs, path.name
        assert [(t.name, o.count, o.subject) for t, o in hits] == [
            (t.name, o.count, o.subject) for t, o in expected
        ], path.name
        for (test, outcome), (_, other) in zip(hits, expected, strict=True):
            if test.name not in settled or outcome.span is not None:
                assert outcome.span == other.span, (path.name, test.name)
