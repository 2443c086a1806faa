"""``parse_headers``' shortcut for well-formed header sections equals the general loop.

``_parse_plain`` reads a header section that is only ``name:`` fields and the empty line
with one regex; ``_parse_lines`` is the line-by-line transcription of ``Message.pm new``
that the differential test compares with SpamAssassin. Whenever the shortcut answers, both
must give the same fields, pristine end and flags — for random blocks with folds, blanks
before the colon, odd names, ``--`` lines, junk lines, long names and values, missing final
line ends. The corpus test checks the shortcut is what most real messages take.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.message.parse import _parse_lines, _parse_plain, parse_headers

NAMES = [b"Subject", b"From", b"X-Spam-Flag", b"a b", b"--x", b"X\t", b"\xff", b"N" * 257, b""]
VALUES = [b" v", b"", b" a:b", b"\t", b"\r", b" =?utf-8?q?x?=", b" " + b"v" * 8200]

_FIELD = st.builds(
    lambda name, colon, value, folds: name + colon + value + b"".join(b"\n" + f for f in folds),
    st.sampled_from(NAMES),
    st.sampled_from([b":", b" :", b"\t:", b""]),
    st.sampled_from(VALUES),
    st.lists(st.sampled_from([b" x", b"\ty", b" "]), max_size=2),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_FIELD, max_size=8), st.sampled_from([b"\n", b""]), st.booleans())
def test_shortcut_equals_the_loop(fields: list[bytes], end: bytes, crlf: bool) -> None:
    text = b"".join(f + b"\n" for f in fields) + end
    fast = _parse_plain(text)
    if fast is not None:
        assert fast == _parse_lines(text, crlf)


def test_shortcut_refuses_what_it_cannot_read() -> None:
    # Each of these needs the loop: a defect to record or a line it cannot tile.
    for text in (
        b"Subject: x\n",  # no empty line
        b"Subject: x\n--boundary\n\n",
        b"bad line\nSubject: x\n\n",
        b" leading: fold\nSubject: x\n\n",
        b"X: " + b"v" * 8200 + b"\n\n",
        b"N" * 257 + b": v\n\n",
    ):
        assert _parse_plain(text) is None, text


def test_most_corpus_messages_take_the_shortcut(shared_dir: Path) -> None:
    files = sorted(p for p in (shared_dir / "corpus").rglob("*") if p.is_file())[::25]
    taken = 0
    for path in files:
        parsed = parse_headers(path.read_bytes())
        text = parsed.pristine.replace(b"\r\n", b"\n") if parsed.crlf else parsed.pristine
        if _parse_plain(text) is not None:
            taken += 1
            assert not parsed.defects
    assert taken > 0.8 * len(files)
