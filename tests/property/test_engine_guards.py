"""Back-reference guards (``engine/guards.py``) never reject a value their regex matches.

A guard may only say "no match" when the rule's regex (the translation ``regex`` runs, which
the oracle tests hold to SpamAssassin) has none; a wrong guard would silently drop hits.
Checked four ways:

* the byte facts the guards rely on, exhaustively over all bytes: ``regex`` folds exactly
  the byte pairs ``bytes.lower`` folds, back-references included; the classes the guards
  run on the standard library's ``re`` mean the same as in ``regex``;
* generated header blocks, built from the fields and bytes these patterns care about and
  biased towards the same address or word in two fields, so that real matches are
  frequent (the test asserts that they happen);
* every message of the shared corpus;
* the stock 4.0.1 rules the guards were written for still carry them after compilation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from spamhdr.engine import compile_ruleset, guards, guards_fields
from spamhdr.engine.guards import _LINE_PAIRS, _SPECIAL, Guard, guard_for
from spamhdr.engine.plan import Plan
from spamhdr.message import parse_sa_message
from spamhdr.rules import RulePaths, load_config
from spamhdr.rules.perl_regex import PerlRegex, compile_perl_regex

GUARDED_STOCK_RULES = frozenset(
    {
        "__PDS_TO_BRAND_SUBJECT",
        "__PDS_TO_EQ_FROM_NAME_1",
        "__SUBJ_HAS_FROM_1",
        "__SUBJ_HAS_TO_1",
        "__SUBJ_HAS_TO_2",
        "__TO_EQ_FROM_1",
        "__TO_EQ_FROM_2",
        "__TO_EQ_FROM_DOM_1",
        "__TO_EQ_FROM_DOM_2",
        "__TO_EQ_FROM_USR_1",
        "__TO_EQ_FROM_USR_2",
        "__TO_EQ_FROM_USR_NN_1",
        "__TO_EQ_FROM_USR_NN_2",
        "RCVD_ILLEGAL_IP",
        "__SUBJ_SHORT",
        "__SUBJECT_EMPTY",
    }
)


def _guarded() -> list[tuple[str, regex.Pattern[bytes], Guard]]:
    found = []
    for text in [*_LINE_PAIRS, *_SPECIAL]:
        compiled = compile_perl_regex(text)
        assert isinstance(compiled, PerlRegex), text
        guard = guard_for(compiled.translated)
        assert guard is not None, text
        found.append((text, compiled.compiled, guard))
    return found


GUARDED = _guarded()


def test_regex_folds_bytes_exactly_as_bytes_lower() -> None:
    backreference = regex.compile(rb"(?is)(.)\1", regex.V0)
    literal_pairs = []
    for first in range(256):
        for second in range(256):
            pair = bytes([first, second])
            folded_equal = pair[:1].lower() == pair[1:].lower()
            assert (backreference.fullmatch(pair) is not None) == folded_equal, pair
            if first != second and folded_equal:
                literal_pairs.append(pair)
    assert len(literal_pairs) == 52  # A-Z with a-z, both ways: ASCII only


def test_guard_byte_classes_mean_what_regex_means() -> None:
    """The byte loops of ``guards_fields.py`` and ``guards.py`` stand for classes of the
    patterns; over all 256 bytes each stops exactly where ``regex`` leaves the class."""
    stops = {
        rb"[^\n\s>]": lambda value: guards_fields._runs(value, 0, 1)[0],
        rb"[^\n\s>,]": lambda value: guards_fields._runs(value, 0, 1)[1],
        rb"[^\n\s@>]": lambda value: guards_fields._runs(value, 0, 1)[2],
        rb"[^\n\s>;]": lambda value: guards.received_for_run_end(value, 0, 1),
    }
    assert set(guards.CAPTURE_CLASSES) < set(stops)
    for text, run_end in stops.items():
        theirs = regex.compile(b"(?i)" + text, regex.V0)
        for byte in range(256):
            value = bytes([byte])
            assert (run_end(value) == 1) == (theirs.fullmatch(value) is not None), (text, value)
    space = regex.compile(rb"\s", regex.V0)
    word = regex.compile(rb"\w", regex.V0)
    for byte in range(256):
        value = bytes([byte])
        assert guards_fields.is_space(byte) == (space.fullmatch(value) is not None), value
        assert guards_fields.is_word(byte) == (word.fullmatch(value) is not None), value


_FIELDS = ["From", "To", "Subject", "Received", "Cc", "Organization", "X-Mailer"]
_WORDS = ["ann", "Ann", "bo", "ann@ex.com", "bo@ex.com", "ANN@EX.COM", "ann2@ex.com", "ex"]
_BYTES = ["<", ">", "@", ".", " ", "\t", ";", ",", '"', ":", "!", "1", "for", "\n", "\n\t"]


@st.composite
def header_blocks(draw: st.DrawFn) -> bytes:
    """A header block of a few fields. Most values are shaped like addresses or subjects
    around one word or address shared by the whole block (so that one field's text often
    recurs in another, which is what the guarded patterns look for); the rest are random
    runs of the bytes the patterns treat specially."""
    shared = draw(st.sampled_from(_WORDS))
    word = st.one_of(st.sampled_from(_WORDS), st.just(shared), st.just(shared))
    junk = st.lists(st.one_of(st.sampled_from(_BYTES), st.sampled_from(_WORDS)), max_size=3)
    lines = []
    for _ in range(draw(st.integers(1, 7))):
        name = draw(st.sampled_from(_FIELDS))
        if draw(st.booleans()):
            name = name.upper() if draw(st.booleans()) else name.lower()
        shape = draw(st.sampled_from(["address", "subject", "received", "random"]))
        if shape == "address":
            display = draw(st.sampled_from(["", '"Ann" ', "Bo ", f'"{shared}" ', "a.b "]))
            angled = draw(st.booleans())
            value = (
                display
                + ("<" if angled else "")
                + draw(word)
                + (">" if angled else "")
                + draw(st.sampled_from(["", ",", ", bo@ex.com", " ", "2"]))
            )
        elif shape == "subject":
            value = "".join(draw(junk)) + draw(word) + "".join(draw(junk))
        elif shape == "received":
            value = (
                f"from a by b{draw(st.sampled_from(['', ' (x)']))} for "
                + draw(st.sampled_from(["<", ""]))
                + draw(word)
                + draw(st.sampled_from([">;", ";", "> ;", ">"]))
                + draw(st.sampled_from(["", " x", "Subject: z " + shared + "!", "\n\tnow"]))
            )
        else:
            value = "".join(draw(st.lists(st.one_of(word, st.sampled_from(_BYTES)), max_size=9)))
        separator = draw(st.sampled_from([": ", ":", ":  ", ":\n\t", ": \n "]))
        lines.append(f"{name}{separator}{value}")
    start = draw(st.sampled_from(["", "\n"]))
    return (start + "\n".join(lines) + draw(st.sampled_from(["", "\n"]))).encode("latin-1")


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header_blocks())
def test_a_guard_never_rejects_a_value_its_regex_matches(value: bytes) -> None:
    lowered = value.lower()
    for text, pattern, guard in GUARDED:
        if pattern.search(value, timeout=5) is not None:
            event(f"match: {text[:40]}")
            assert guard(lowered), (text, value)


def test_generated_values_do_match_most_guarded_patterns() -> None:
    """The property above would be empty if its values never matched: count real matches
    over a fixed sample of the same strategy."""
    matched: set[str] = set()

    @settings(max_examples=1500, deadline=None, database=None, derandomize=True)
    @given(header_blocks())
    def collect(value: bytes) -> None:
        for text, pattern, _guard in GUARDED:
            if pattern.search(value, timeout=5) is not None:
                matched.add(text)

    collect()
    assert len(matched) >= len(GUARDED) - 3, sorted(set(t for t, _, _ in GUARDED) - matched)


@pytest.fixture(scope="module")
def corpus_values(shared_dir: Path) -> list[tuple[str, str, bytes]]:
    """``(file name, spec, value)`` of every defined guarded spec of every corpus message."""
    files = sorted(p for p in (shared_dir / "corpus").rglob("*") if p.is_file())
    files = [p for p in files if p.suffix != ".md"]
    assert len(files) > 4000
    values = []
    for path in files:
        message = parse_sa_message(path.read_bytes())
        for spec in ("ALL", "X-Spam-Relays-Untrusted", "X-Spam-Relays-External"):
            value = message.get(spec)
            if value:
                values.append((path.name, spec, value))
    return values


def test_guards_are_sound_on_every_corpus_message(
    corpus_values: list[tuple[str, str, bytes]],
) -> None:
    rejected = 0
    messages = len({name for name, _spec, _value in corpus_values})
    for name, spec, value in corpus_values:
        lowered = value.lower()
        for text, pattern, guard in GUARDED:
            if guard(lowered):
                continue
            rejected += 1
            assert pattern.search(value, timeout=5) is None, (name, spec, text)
    # The guards are worth having only if they reject nearly every message.
    assert rejected > 0.9 * messages * len(GUARDED)


_SPACE_RUN = re.compile(rb"\s*")
_NON_WORD_RUN = re.compile(rb"\W*")


def _assert_field_index_is_what_re_finds(lowered: bytes) -> None:
    """``guards_fields.FieldIndex`` against the same facts found with ``re``: the fields at
    line starts, their text spans and the capture runs of each class."""
    index = guards_fields.field_index(lowered)

    def line_end(position: int) -> int:
        found = lowered.find(b"\n", position)
        return len(lowered) if found < 0 else found

    for kind, name in enumerate(guards_fields.FIELD_NAMES):
        at_line_start = re.compile(rb"(?:\A|\n)" + re.escape(name))
        offsets = [found.end() for found in at_line_start.finditer(lowered)]
        if kind == guards_fields.RECEIVED:
            assert index.received == offsets, lowered
            assert index.received_ends == [line_end(offset) for offset in offsets], lowered
            continue
        lines = index.lines(kind)
        assert [line.offset for line in lines] == offsets, (name, lowered)
        for line in lines:
            span = _SPACE_RUN.match(lowered, line.offset)
            assert span is not None
            assert (line.start, line.end) == (span.end(), line_end(span.end())), lowered
            non_word = _NON_WORD_RUN.match(lowered, line.offset)
            assert non_word is not None
            assert line.wide_end(lowered) == line_end(non_word.end()), lowered
            starts = {
                guards_fields.TEXT: line.start,
                guards_fields.AFTER_LT: lowered.find(b"<", line.start, line.end) + 1,
                guards_fields.AFTER_AT: lowered.find(b"@", line.start, line.end) + 1,
            }
            for start_kind, begin in starts.items():
                for text, stop in guards.CAPTURE_CLASSES.items():
                    found = line.capture(lowered, start_kind, stop)
                    if begin == 0:  # no "<" or "@" in the text
                        assert found[0] == -1, lowered
                        continue
                    run = re.compile(text + b"*").match(lowered, begin, line.end)
                    assert run is not None
                    assert found == (begin, run.end()), (text, start_kind, lowered)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header_blocks())
def test_the_field_index_finds_what_re_finds(value: bytes) -> None:
    _assert_field_index_is_what_re_finds(value.lower())


def test_the_field_index_finds_what_re_finds_on_every_corpus_message(
    corpus_values: list[tuple[str, str, bytes]],
) -> None:
    for _name, spec, value in corpus_values:
        if spec == "ALL":
            _assert_field_index_is_what_re_finds(value.lower())


_OCTETS = ["0", "00", "01", "1", "9", "10", "99", "100", "127", "192", "198", "199", "200"]
_OCTETS += ["203", "223", "224", "239", "249", "250", "255", "256", "259", "260", "299", "300"]
_OCTETS += ["999", "000", "099", "0255", "1000", "2", "51", "113"]


@st.composite
def relay_lines(draw: st.DrawFn) -> bytes:
    """X-Spam-Relays-* text: relays whose ip= and by= are dotted quads (or not quite)."""
    octet = st.one_of(st.sampled_from(_OCTETS), st.from_regex(r"\A[0-9]{1,4}\Z"))
    relays = []
    for _ in range(draw(st.integers(1, 4))):
        quads = []
        for _ in range(2):
            parts = draw(st.lists(octet, min_size=3, max_size=5))
            quads.append(".".join(parts))
        key = draw(st.sampled_from(["ip", "by", "xip"]))
        relays.append(
            f"[ {key}={quads[0]} rdns=mx.example helo=mx by={quads[1]}"
            + draw(st.sampled_from([" ident= ]", "]", " ]", "\n"]))
        )
    return " ".join(relays).encode("ascii")


@settings(max_examples=1500, deadline=None)
@given(relay_lines())
def test_the_illegal_ip_guard_decides_exactly_what_its_regex_does(value: bytes) -> None:
    (pattern, guard), *others = [
        (pattern, guard) for text, pattern, guard in GUARDED if text.startswith("/ (?:by|ip)=")
    ]
    assert not others
    matched = pattern.search(value, timeout=5) is not None
    event(f"matched: {matched}")
    assert guard(value.lower()) == matched, value


def test_the_stock_rules_carry_their_guards(spamassassin_bin: str) -> None:
    config = load_config(
        RulePaths((Path("/usr/share/spamassassin"),), Path("/etc/spamassassin"), None)
    )
    plan = compile_ruleset(config).plan
    assert isinstance(plan, Plan)
    guarded = {
        entry.test.name
        for group in plan.groups
        for entry in group.entries
        if entry.guard is not None
    }
    assert guarded == GUARDED_STOCK_RULES


@pytest.mark.parametrize(
    ("headers", "written_pattern_start"),
    [
        # Matches read off the patterns by hand: each guard must let its own one through.
        (
            b"Received: from a by b for <ann@ex.com>; now\nSubject: hi ann@ex.com!\n",
            r"/\nReceived:",
        ),
        (
            b"From: Ann <ann@ex.com>\nTo: ann@ex.com\n",
            r"/\nFrom: (?:[^\n<]{0,80}<)?([^\n\s>]+)>?\n+(?:[^\n]{1,100}\n+)*To",
        ),
        (b"To: shop@brand.com\nSubject: brand news\n", r"/^To:\s+"),
        (b'From: "Bo" <bo@ex.com>\nTo: x@ex.com\n', r"/\nFrom: [^\n@]{0,80}@"),
    ],
)
def test_hand_written_matches_pass_their_guard(headers: bytes, written_pattern_start: str) -> None:
    value = b"\n" + headers
    (_text, pattern, guard), *others = [
        entry for entry in GUARDED if entry[0].startswith(written_pattern_start)
    ]
    assert not others
    assert pattern.search(value, timeout=5) is not None
    assert guard(value.lower())


@settings(max_examples=1500, deadline=None)
@given(
    st.binary(max_size=12)
    | st.lists(
        st.sampled_from(
            [b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"\x85", b"\xa0", b"a", b"Z", b"\x00"]
        ),
        max_size=12,
    ).map(b"".join)
)
def test_the_subject_shape_guards_decide_exactly_what_their_regexes_do(value: bytes) -> None:
    for written in (r"/^.{0,8}$/", r"/^\s*$/"):
        (pattern, guard), *others = [(p, g) for text, p, g in GUARDED if text == written]
        assert not others
        matched = pattern.search(value, timeout=5) is not None
        if value:  # the engine runs a guard only on a non-empty value
            assert guard(value.lower()) == matched, (written, value)
