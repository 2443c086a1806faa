"""Records built per message (``message/_record.py``) keep the value semantics the frozen
dataclasses they replaced had: equal by class and values, hashable, a readable repr."""

from __future__ import annotations

from spamhdr.engine.match import Outcome
from spamhdr.message.addresses import ParsedAddress
from spamhdr.message.parse import RawField
from spamhdr.message.received_model import Relay
from spamhdr.message.trust import PlacedRelay


def _relay(envfrom: bytes | None = None) -> Relay:
    return Relay(
        b"192.0.2.1", b"mx.example", b"mx", b"in.example", b"", envfrom, b"ID1", b"", False
    )


def test_equal_values_are_equal_and_hash_alike() -> None:
    assert RawField(b"Subject", b" hi\n") == RawField(b"Subject", b" hi\n")
    assert RawField(b"Subject", b" hi\n") != RawField(b"Subject", b" ho\n")
    assert len({ParsedAddress(None, b"a@b"), ParsedAddress(None, b"a@b")}) == 1
    assert PlacedRelay(_relay(), True, False) == PlacedRelay(_relay(), True, False)
    assert PlacedRelay(_relay(), True, False) != PlacedRelay(_relay(), False, False)
    assert Outcome(1, (0, 2), b"ab") == Outcome(1, (0, 2), b"ab")


def test_different_classes_with_the_same_values_differ() -> None:
    assert ParsedAddress(b"x", b"y") != RawField(b"x", b"y")  # type: ignore[comparison-overlap]


def test_repr_names_every_field() -> None:
    assert repr(RawField(b"To", b" a\n")) == "RawField(name=b'To', raw=b' a\\n')"
    assert repr(Outcome(0)) == "Outcome(count=0, span=None, subject=None, defects=())"


def test_with_envfrom_changes_only_the_envelope_sender() -> None:
    changed = _relay().with_envfrom(b"bob@example.org")
    assert changed == _relay(b"bob@example.org")
    assert changed.field_values()[:5] == _relay().field_values()[:5]
