"""``decode_header_value``'s shortcuts equal the two steps they stand for.

The reference is ``Node.pm header()`` then ``_decode_header``: :func:`unfold_value`
followed by :func:`decode_mime_words` (the differential test compares the result with
SpamAssassin). The shortcuts — plain ASCII returned stripped, folded ASCII unfolded after
stripping, short values memoized — must agree for any raw value: folds with spaces and
tabs, blank continuation lines, CRs, encoded words, 8-bit bytes, exempt field names.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.message.decode import decode_header_value, decode_mime_words, unfold_value

PIECES = [b"a", b" ", b"\t", b"\n", b"\n ", b"\n\t", b"\n \n", b"\r", b"\r\n", b"x y"]
PIECES += [b"=", b"?", b"=?", b"=?utf-8?q?a_b?=", b"=?iso-8859-1?b?6Q==?=", b"\xe9", b"\x0b"]


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=12),
    st.sampled_from([b"subject", b"received", b"message-id", b"list-id", b"x-foo"]),
)
def test_shortcuts_equal_unfold_then_decode(pieces: list[bytes], lc_name: bytes) -> None:
    raw = b"".join(pieces)
    assert decode_header_value(raw, lc_name) == decode_mime_words(unfold_value(raw), lc_name)
