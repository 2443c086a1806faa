"""get_envelope_from's "header after a Received line" test, without the quadratic regex.

``PMS get_envelope_from`` asks ``/^Received:.*?^Return-Path:/smi`` (and the same for
X-Envelope-From and Envelope-Sender) of the ``ALL`` text. ``spamhdr.message.values`` finds
the first ``^Received:`` line start and then a ``^<Name>:`` line start after it; for
random header texts (mixed case, CRLF, lines that only resemble the names) both answers
are the same.
"""

from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.message import values

PERL = {
    name: regex.compile(rb"^Received:.*?^" + header + rb":", regex.S | regex.M | regex.I)
    for name, header in (
        (b"x-envelope-from", b"X-Envelope-From"),
        (b"envelope-sender", b"Envelope-Sender"),
        (b"return-path", b"Return-Path"),
    )
}
LINES = [b"Received: x", b"received:y", b"RECEIVED:", b" Received: no", b"Return-Path: <a>"]
LINES += [b"return-path:", b"X-Envelope-From: b", b"Envelope-Sender: c", b"Subject: Received:"]
LINES += [b"XReturn-Path: z", b"Received", b"", b"\r"]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(LINES), max_size=8), st.sampled_from([b"\n", b"\r\n"]))
def test_received_before_equals_the_perl_regex(lines: list[bytes], ending: bytes) -> None:
    text = ending.join(lines) + ending
    for name, perl in PERL.items():
        first = values._RECEIVED_LINE_START.search(text)
        ours = first is not None and values._LINE_START[name].search(text, first.end())
        assert bool(ours) == (perl.search(text) is not None), (name, text)
