"""Properties of the general header reader: total on bytes, lossless, line-end neutral."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from spamhdr.anonymize import anonymize_text
from spamhdr.headers import parse_header_block

names = st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,20}\Z", fullmatch=True)
values = st.lists(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12),
    min_size=1,
    max_size=4,
)
folds = st.sampled_from(["\n\t", "\n ", "\n        ", "\n\t "])


@given(st.binary(max_size=400))
def test_any_bytes_parse_without_exception(data: bytes) -> None:
    block = parse_header_block(data)
    assert 0 <= block.body_offset <= len(data)


@given(st.lists(st.tuples(names, values, folds), min_size=1, max_size=8))
def test_fields_round_trip_and_crlf_is_neutral(
    fields: list[tuple[str, list[str], str]],
) -> None:
    text = "".join(f"{n}: {fold.join(words)}\n" for n, words, fold in fields)
    lf = parse_header_block(text.encode())
    crlf = parse_header_block(text.replace("\n", "\r\n").encode())
    assert [f.name for f in lf] == [n for n, _, _ in fields]
    assert [f.value for f in lf] == [f.value for f in crlf]
    # Unfolding keeps the whitespace after the line break (RFC 5322 §2.2.3).
    assert [f.value for f in lf] == [fold[1:].join(words) for _, words, fold in fields]
    # Raw bytes are kept exactly: the block renders back byte for byte.
    rendered = b"".join(f.name.encode() + b": " + f.raw + b"\n" for f in lf)
    assert rendered == text.encode()


@given(st.text(max_size=200))
def test_anonymize_is_idempotent(text: str) -> None:
    once = anonymize_text(text)
    assert anonymize_text(once) == once
