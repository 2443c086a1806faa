"""Table tests for spamhdr.headers: ordered fields, raw bytes kept, defects not errors."""

from __future__ import annotations

import pytest

from spamhdr.headers import decode_words, parse_header_block, split_message, unfold

# (input, [(name, raw)], defects count, mbox_from)
BLOCKS = [
    (b"A: 1\nB: 2\n\nbody", [("A", b"1"), ("B", b"2")], 0, None),
    # Duplicates and order are kept (SpamAssassin joins repeats; Sieve matches any copy).
    (b"X: 1\nY: 2\nX: 3\n", [("X", b"1"), ("Y", b"2"), ("X", b"3")], 0, None),
    # Folding kept in raw, TAB and spaces alike; CRLF kept too.
    (b"S: a\r\n\tb\r\n  c\r\n\r\nbody", [("S", b"a\r\n\tb\r\n  c")], 0, None),
    # mbox separator is not a field.
    (
        b"From a@b Mon Jan  1 00:00:00 2024\nA: 1\n",
        [("A", b"1")],
        0,
        "From a@b Mon Jan  1 00:00:00 2024",
    ),
    # A space before the colon (seen in real spam) still names the field.
    (b"Subject : hi\n", [("Subject", b"hi")], 0, None),
    # Empty value with and without trailing space (X-Spam-Level).
    (b"X-Spam-Level: \nX-Spam-Level:\n", [("X-Spam-Level", b""), ("X-Spam-Level", b"")], 0, None),
    # A line that is not a field is a defect, the rest still parses.
    (b"A: 1\nnot a header\nB: 2\n", [("A", b"1"), ("B", b"2")], 1, None),
    # Continuation before any field.
    (b" lost\nA: 1\n", [("A", b"1")], 1, None),
]


@pytest.mark.parametrize(("data", "expected", "n_defects", "mbox_from"), BLOCKS)
def test_parse_header_block(
    data: bytes, expected: list[tuple[str, bytes]], n_defects: int, mbox_from: str | None
) -> None:
    block = parse_header_block(data)
    assert [(f.name, f.raw) for f in block] == expected
    assert len(block.defects) == n_defects
    assert block.mbox_from == mbox_from


def test_body_offset_points_after_the_empty_line() -> None:
    data = b"A: 1\r\nB: 2\r\n\r\nthe body\r\n"
    block = parse_header_block(data)
    assert data[block.body_offset :] == b"the body\r\n"


def test_lookup_is_case_insensitive_and_ordered() -> None:
    block = parse_header_block(b"x-spam-flag: YES\nX-Spam-Flag: NO\n")
    assert [f.value for f in block.get_all("X-SPAM-FLAG")] == ["YES", "NO"]
    first = block.first("X-Spam-Flag")
    assert first is not None and first.value == "YES"
    assert block.first("Missing") is None


def test_value_unfolds_but_keeps_whitespace() -> None:
    # RFC 5322 §2.2.3: unfolding removes CRLF only; the WSP after it stays.
    block = parse_header_block(b"X-Spam-Status: No, tests=A,\n\tB autolearn=no\n")
    assert block.fields[0].value == "No, tests=A,\tB autolearn=no"
    assert unfold("a\r\n b") == "a b"


def test_max_bytes_cuts_with_a_defect() -> None:
    data = b"A: 1\n" + b"B: 2\n" * 100
    block = parse_header_block(data, max_bytes=20)
    assert len(block) < 10
    assert any("longer than 20 bytes" in d for d in block.defects)


def test_split_message() -> None:
    assert split_message(b"A: 1\n\nbody\n") == (b"A: 1\n", b"body\n")
    assert split_message(b"A: 1\n") == (b"A: 1\n", b"")


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("=?utf-8?q?caf=C3=A9?=", "café"),
        ("=?ISO-8859-1?B?b+k=?=", "oé"),
        ("plain text", "plain text"),
        ("=?bogus-charset?q?x?=", "=?bogus-charset?q?x?="),
    ],
)
def test_decode_words(encoded: str, decoded: str) -> None:
    assert decode_words(encoded) == decoded
