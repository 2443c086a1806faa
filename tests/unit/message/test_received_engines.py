"""The Received grammar's standard-library patterns match exactly as ``regex`` would.

``received_grammar`` compiles its plain patterns with ``re`` (lower call cost) and keeps
``regex`` for the guarded ones and ``QMAIL`` (time limit). The patterns were written and
checked against SpamAssassin with ``regex``, so each ``re`` pattern is compiled again
with ``regex`` here and both must give the same span and groups, for ``search`` and
``match``, on real Received lines of the corpus (normalised as the parser does, whole
and after ``from ``) and on generated lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

import spamhdr.message.received_grammar as grammar
from spamhdr.headers import parse_header_block


def _std_patterns() -> list[tuple[str, re.Pattern[bytes]]]:
    found: list[tuple[str, re.Pattern[bytes]]] = []
    for name, value in sorted(vars(grammar).items()):
        if isinstance(value, re.Pattern):
            found.append((name, value))
        elif isinstance(value, tuple) and value and isinstance(value[0], re.Pattern):
            found.extend((f"{name}[{i}]", p) for i, p in enumerate(value))
    return found


PATTERNS = _std_patterns()
TWINS = [
    (name, pattern, regex.compile(pattern.pattern, pattern.flags)) for name, pattern in PATTERNS
]


def test_the_hot_patterns_are_standard_library_ones() -> None:
    names = {name for name, _ in PATTERNS}
    assert {"ID", "BY", "SENDMAIL_1", "POSTFIX_1", "IP_PRIVATE"} <= names
    # searched under the time limit
    for name in ("QMAIL", "DATE", "ATTBI_2", "AUTH_SENDMAIL", "AUTH_CP"):
        assert isinstance(getattr(grammar, name), regex.Pattern), name
    assert len(PATTERNS) >= 90


def _outcome(m: re.Match[bytes] | regex.Match[bytes] | None) -> object:
    return None if m is None else (m.span(), m.groups())


def _assert_same(line: bytes) -> None:
    for name, std, twin in TWINS:
        assert _outcome(std.search(line)) == _outcome(twin.search(line)), (name, line)
        assert _outcome(std.match(line)) == _outcome(twin.match(line)), (name, line)


def _corpus_lines(corpus: Path, limit: int) -> list[bytes]:
    lines: list[bytes] = []
    for path in sorted(corpus.rglob("*")):
        if len(lines) >= limit:
            break
        if not path.is_file() or path.suffix in (".md", ".tsv"):
            continue
        for field in parse_header_block(path.read_bytes()[:65536]).get_all("Received"):
            s = b" ".join(field.raw.split())
            lines.extend((s, s.removeprefix(b"from ")))
    return lines


@pytest.mark.parametrize("part", range(4))
def test_engines_agree_on_corpus_received_lines(shared_dir: Path, part: int) -> None:
    lines = _corpus_lines(shared_dir / "corpus", 6000)
    assert len(lines) >= 6000
    for line in lines[part::4]:
        _assert_same(line)


TOKENS = [b"from", b"by", b"with", b"id", b"for", b"via", b"ESMTP", b"SMTP", b"HTTP", b"LMTPA"]
TOKENS += [b"a.example", b"[192.0.2.1]", b"(a.example", b"[192.0.2.1])", b"([192.0.2.1])"]
TOKENS += [b"(HELO", b"x)", b"helo=a", b"ident=b", b"u@[10.0.0.1]", b"(Postfix)", b"Exim"]
TOKENS += [b"[::ffff:10.0.0.1]", b"IPv6:fe80::1", b"localhost", b"127.0.0.1", b"%eth0", b";"]
TOKENS += [b"Mon,", b"3", b"Aug", b"2002", b"21:30:02", b"+0100", b"(CET)", b"<a@b>", b"unknown"]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(TOKENS), max_size=14).map(b" ".join))
def test_engines_agree_on_generated_lines(line: bytes) -> None:
    _assert_same(line)
