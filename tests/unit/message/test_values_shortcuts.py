"""``SAMessage``'s shortcuts for ``ALL``, ``ALL:raw`` and the ``ALL-*`` ranges equal the
transcriptions of SpamAssassin they stand for.

* ``get("ALL:raw")`` slices the pristine header text; the reference is the list
  ``Node.pm get_all_headers(1)`` builds (``_PRISTINE_FIELD`` matches, what ``get_list``
  returns) joined as ``Check.pm do_head_tests`` joins it.
* ``get("ALL")`` joins the lines once; ``get_list("ALL")`` keeps them.
* ``ALL-TRUSTED``/``ALL-UNTRUSTED``/``ALL-INTERNAL``/``ALL-EXTERNAL`` find the Received
  lines by position (``get`` slices the joined ``ALL``); the reference is the line-by-line loop of
  ``get_all_hdrs_in_rcvd_index_range`` written out below.

Random header blocks: folds, leading continuation lines, junk lines, CRLF, missing empty
line, ``--`` lines, encoded words that decode to line breaks, Received lines in any case.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.message import join_values, parse_sa_message
from spamhdr.message.values import _LINES, _PRISTINE_FIELD

LINES = [
    b"Subject: hi",
    b"\tfolded",
    b" more",
    b"Received: from a by b",
    b"received: from c",
    b"RECEIVED:x",
    b"Received: from a (a [10.0.0.1]) by b (Postfix) with ESMTP id 1; Mon, 1 Jan 2024",
    b"From: =?utf-8?q?a=0Areceived:_b?= <a@b.example>",
    b"junk line",
    b"--boundary",
    b"X-Spam-Flag: YES",
    b"To: x@y.example",
    b"",
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(LINES), max_size=10),
    st.sampled_from([b"\n", b"\r\n"]),
    st.sampled_from([b"\n\nbody\n", b"\r\n\r\nbody", b"", b"\n"]),
)
def test_all_shortcuts_equal_the_reference(lines: list[bytes], eol: bytes, end: bytes) -> None:
    message = parse_sa_message(eol.join(lines) + end)
    pristine_fields = tuple(_PRISTINE_FIELD.findall(message.parsed.pristine))
    assert message.get("ALL:raw") == join_values(pristine_fields)
    assert message.get_list("ALL:raw") == pristine_fields
    assert message.get("ALL") == join_values(message.get_list("ALL"))
    all_lines = _LINES.findall(b"".join(message.get_list("ALL")))
    path = message.trust_path
    trusted = path.last_trusted_relay_index + 1
    internal = path.last_internal_relay_index + 1
    for spec, start, stop in (
        ("ALL-TRUSTED", None, trusted),
        ("ALL-INTERNAL", None, internal),
        ("ALL-UNTRUSTED", trusted, None),
        ("ALL-EXTERNAL", internal, None),
    ):
        expected = _reference_range(all_lines, start, stop)
        assert list(message.get_list(spec)) == expected, spec
        assert message.get(spec) == join_values(tuple(expected)), spec
    for bound in range(5):  # every bound, not only those the trust path gives
        assert message._rcvd_range(bound, None, False) == _reference_range(all_lines, bound, None)
        assert message._rcvd_range(None, bound, False) == _reference_range(all_lines, None, bound)


def _reference_range(lines: list[bytes], start: int | None, end: int | None) -> list[bytes]:
    # PerMsgStatus.pm get_all_hdrs_in_rcvd_index_range, line by line.
    current = -1
    out: list[bytes] = []
    for line in lines:
        if line[:9].lower() == b"received:":
            current += 1
        if (start is None or start <= current) and (end is None or current < end):
            out.append(line)
        elif end is not None and current == end:
            out.append(line)
            break
    return out


ADDRESS_LINES = [
    b'From: "Doe, Jane" <jane@example.com>',
    b"From: =?utf-8?q?J=C3=B6rg?= <j@example.de>",
    b"To: a@b.example, 'Quoted' <q@b.example>",
    b"to: group: x@y.example, z@y.example;",
    b"Cc: (comment) c@d.example",
    b"Reply-To: <r@s.example> (Name)",
    b"X-SenderDomain: spoofed.example",
    b" folded <f@g.example>",
    b"Return-Path: <>",
]
ADDRESS_SPECS = ["From:addr", "From:name", "From:name:raw", "From:raw", "to:addr", "To:raw"]
ADDRESS_SPECS += ["Cc:name", "Reply-To:addr:raw", "X-SenderDomain:raw", "X-AuthorDomain:addr"]
ADDRESS_SPECS += ["Return-Path:addr", " From :addr", "From:addr:first", "Missing:raw"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ADDRESS_LINES), max_size=8))
def test_modifier_shortcuts_equal_the_general_path(lines: list[bytes]) -> None:
    # get() answers :raw / :addr / :name on ordinary headers without _compute; the
    # general path is join_values(get_list(spec)), which the differential test checks.
    message = parse_sa_message(b"\n".join(lines) + b"\n\nbody\n")
    for spec in ADDRESS_SPECS:
        assert message.get(spec) == join_values(message.get_list(spec)), spec
