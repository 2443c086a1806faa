"""Hypothesis properties of spamhdr.message (STYLE.md point 18c).

* any bytes parse, and every spec answers, without an exception of any kind;
* line endings do not matter: a message and its CRLF twin give the same decoded values
  (SpamAssassin squashes CRLF in stored values, sa-rules.md §5.1);
* get() is a pure function of the message: asking twice, or in another order, gives the
  same bytes (per-message cache);
* values keep SpamAssassin's shape: decoded and raw header values end in "\\n", modifier
  results never contain "\\n" elements' trailing newline.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.message import parse_sa_message

SPECS = (
    "Subject",
    "Subject:raw",
    "From:addr",
    "From:name",
    "From:name:raw",
    "To:addr",
    "ToCc",
    "ALL",
    "ALL:raw",
    "ALL-TRUSTED",
    "ALL-UNTRUSTED",
    "ALL-EXTERNAL:raw",
    "MESSAGEID",
    "EnvelopeFrom",
    "X-Spam-Relays-Untrusted",
    "X-Spam-Relays-Trusted",
    "Received:ip",
    "Received:revip",
    "From:host",
    "From:domain",
    "X-AuthorDomain",
    "X-SenderDomain",
    "Subject:first:addr",
    "Received:last",
    "Date:raw",
)

_LINE = st.one_of(
    st.binary(max_size=60),
    st.builds(
        lambda n, v: n + b":" + v,
        st.sampled_from([b"Subject", b"From", b"To", b"Cc", b"Received", b"Date", b"X-Spam-X"]),
        st.binary(max_size=60),
    ),
    st.sampled_from(
        [
            b"Received: from a.example (a.example [203.0.113.9]) by b.example (Postfix)"
            b" with ESMTP id 1",
            b"From: =?utf-8?B?w6k=?= <x@y.example>",
            b" folded",
            b"\tfolded",
            b"From x@y Mon Jan  1 00:00:00 2024",
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_never_raise(data: bytes) -> None:
    msg = parse_sa_message(data)
    for spec in SPECS:
        value = msg.get(spec)
        assert value is None or isinstance(value, bytes)


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINE, max_size=10))
def test_crlf_and_lf_give_the_same_decoded_values(lines: list[bytes]) -> None:
    lines = [ln.replace(b"\r", b"").replace(b"\n", b"") for ln in lines]
    lf = b"\n".join(lines) + b"\n\nbody\n"
    crlf = b"\r\n".join(lines) + b"\r\n\r\nbody\r\n"
    a, b = parse_sa_message(lf), parse_sa_message(crlf)
    for spec in SPECS:
        if ":raw" in spec and spec.startswith("ALL"):
            continue  # pristine text keeps the original line ends by design (§5.3)
        assert a.get(spec) == b.get(spec), spec


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINE, max_size=10), st.permutations(SPECS))
def test_get_is_stable_and_order_independent(lines: list[bytes], order: list[str]) -> None:
    data = b"\n".join(lines) + b"\n\n"
    first = parse_sa_message(data)
    second = parse_sa_message(data)
    ours = {spec: first.get(spec) for spec in SPECS}
    assert {spec: second.get(spec) for spec in order} == ours
    assert {spec: first.get(spec) for spec in SPECS} == ours


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINE, max_size=10))
def test_value_shapes(lines: list[bytes]) -> None:
    msg = parse_sa_message(b"\n".join(lines) + b"\n\n")
    for spec in ("Subject", "Subject:raw", "ToCc", "MESSAGEID", "ALL"):
        assert all(v.endswith(b"\n") for v in msg.get_list(spec)), spec
    for spec in ("From:addr", "From:name", "EnvelopeFrom", "Received:ip"):
        assert all(not v.endswith(b"\n") for v in msg.get_list(spec)), spec
    assert msg.exists("X-Spam-Relays-External")
