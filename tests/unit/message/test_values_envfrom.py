"""get_envelope_from's "header after a Received line" test as substring searches.

``PMS get_envelope_from`` asks ``/^Received:.*?^Return-Path:/smi`` (and the same for
X-Envelope-From and Envelope-Sender) of the ``ALL`` text; ``spamhdr.message.values``
answers it with ``bytes.find`` on the lower-cased text. For random texts (mixed case,
CRLF, a Received line first or not, names only resembling the real ones, names at the
very start) the answer equals the Perl pattern's, and the Received line offsets equal
``/^Received:/mi``'s matches.
"""

from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.message.values import _find_header_after_received, _find_received_lines

HEADERS = {
    b"x-envelope-from": b"X-Envelope-From",
    b"envelope-sender": b"Envelope-Sender",
    b"return-path": b"Return-Path",
}
PERL = {
    name: regex.compile(rb"^Received:.*?^" + header + rb":", regex.S | regex.M | regex.I)
    for name, header in HEADERS.items()
}
LINES = [b"Received: x", b"received:y", b"RECEIVED:", b" Received: no", b"Return-Path: <a>"]
LINES += [b"return-path:", b"X-Envelope-From: b", b"Envelope-Sender: c", b"Subject: Received:"]
LINES += [b"XReturn-Path: z", b"Received", b"", b"\r", b"Received:Return-Path:", b"\xc4"]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=8), st.sampled_from([b"\n", b"\r\n", b""]))
def test_substring_searches_equal_the_perl_regex(lines: list[bytes], ending: bytes) -> None:
    text = (ending or b"\n").join(lines) + ending
    lowered = text.lower()
    marks = _find_received_lines(lowered)
    pattern = regex.compile(rb"^Received:", regex.M | regex.I)
    assert marks == [m.start() for m in pattern.finditer(text)]
    for name, perl in PERL.items():
        assert _find_header_after_received(lowered, marks, name) == bool(perl.search(text))
