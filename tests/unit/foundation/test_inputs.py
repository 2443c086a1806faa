"""Input expansion shared by check/explain/whatif: order, Maildir, mbox, errors go on."""

from __future__ import annotations

from pathlib import Path

from spamhdr._commands._common import iter_message_inputs


def test_directory_in_sorted_order_and_unreadable_file_goes_on(tmp_path: Path) -> None:
    for name in ("b.eml", "a.eml", ".hidden"):
        (tmp_path / name).write_bytes(b"Subject: " + name.encode() + b"\n\n")
    missing = tmp_path / "missing.eml"
    got = list(iter_message_inputs([str(tmp_path), str(missing)]))
    assert [Path(m.label).name for m in got] == ["a.eml", "b.eml", "missing.eml"]
    assert got[0].data == b"Subject: a.eml\n\n"
    assert got[2].data is None and got[2].error


def test_maildir_reads_cur_and_new(tmp_path: Path) -> None:
    for sub, name in (("new", "2"), ("cur", "1:2,S"), ("tmp", "3")):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / name).write_bytes(b"A: 1\n\n")
    labels = [m.label for m in iter_message_inputs([str(tmp_path)])]
    assert [Path(label).parent.name for label in labels] == ["cur", "new"]


def test_mbox_messages_are_numbered_from_one(tmp_path: Path) -> None:
    box = tmp_path / "box"
    box.write_bytes(
        b"From a@example.org Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n\n"
        b"From b@example.org Mon Jan  1 00:00:00 2024\nSubject: two\n\n>From quoted\n"
    )
    got = list(iter_message_inputs([str(box)], mbox=True))
    assert [m.label for m in got] == [f"{box}:1", f"{box}:2"]
    assert got[1].data is not None and b"Subject: two" in got[1].data


def test_single_file_starting_with_from_line_is_one_message(tmp_path: Path) -> None:
    msg = tmp_path / "m"
    msg.write_bytes(b"From a@b Mon Jan  1 00:00:00 2024\nA: 1\n\nFrom here on\n")
    got = list(iter_message_inputs([str(msg)]))
    assert len(got) == 1 and got[0].data is not None and got[0].data.startswith(b"From a@b")
