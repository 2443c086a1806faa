"""Header block → scanner blocks, each attributed to one producer and one position.

Input: a :class:`~spamhdr.headers.HeaderBlock`. Output: :class:`ScannerBlock` values,
topmost first. Invariants (spec headers-and-delivery.md §9 items 7–9):

* only scanner fields join a block: names starting with ``X-Spam`` (``X-Spam``,
  ``X-Spam-*``, Exim's ``X-Spam_*``, rspamd's ``X-Spamd-*``), ``X-Rspamd-*``, and amavis'
  ``X-Virus-Scanned: … amavis…``, ``X-Quarantine-ID``, ``X-Amavis-*``;
* a ``Received`` field between two scanner fields separates hops: every scanner writes its
  fields above (or, for milters appending at the end, far below) the trace line of the
  next hop, never across one;
* a field name already in the current block starts a new block (the same header twice is
  two runs, e.g. the sender's and the list server's), and so does a field whose signature
  names another producer than the block's (rspamd ``X-Spamd-Result`` next to Exim's
  ``X-Spam_score``, multi-scanner sample);
* upstream verdicts are never merged into the local one: each block is its own report.

The producer of a block is the first strong signature found in it (``tagged_above=`` ⇒
amavis, ``version=`` ⇒ SpamAssassin, ``X-Spamd-Result`` ⇒ rspamd, ``X-Spam_*`` ⇒ Exim …);
a block of neutral fields only is ``other``, except a ``X-Spam-Level`` longer than
SpamAssassin's 50-star cap, which only amavis writes (cap 64, spec §3.3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spamhdr.headers import HeaderBlock, HeaderField
from spamhdr.options import Options
from spamhdr.report._draft import Draft, field_value
from spamhdr.report.model import Producer
from spamhdr.report.status import signature, split_status

__all__ = ["ScannerBlock", "attribute_blocks", "is_scanner_field"]


@dataclass(frozen=True, slots=True)
class ScannerBlock:
    """The fields one scanner run wrote, with the producer they are attributed to."""

    producer: Producer
    position: int
    fields: tuple[HeaderField, ...]


def is_scanner_field(header: HeaderField) -> bool:
    """Whether ``header`` is a spam/virus-scanner field this parser attributes."""
    name = header.name.lower()
    if name.startswith(("x-spam", "x-rspamd-", "x-amavis-")) or name == "x-quarantine-id":
        return True
    return name == "x-virus-scanned" and "amavis" in header.value.lower()


def _status_signature(header: HeaderField, scratch: Draft) -> Producer | None:
    return signature(split_status(field_value(header), scratch))


def _checker_signature(header: HeaderField, scratch: Draft) -> Producer | None:
    return "spamassassin" if header.value.lower().startswith("spamassassin") else None


def _x_spam_signature(header: HeaderField, scratch: Draft) -> Producer | None:
    # rspamd's proxy writes "X-Spam: Yes" (spec §4.3); "X-Spam: high" is something else
    return "rspamd" if header.value.strip().lower() in ("yes", "no") else None


_SIGNATURES: dict[str, Callable[[HeaderField, Draft], Producer | None]] = {
    "x-spam-status": _status_signature,
    "x-spam-checker-version": _checker_signature,
    "x-spam": _x_spam_signature,
}

_PREFIX_SIGNATURES: tuple[tuple[str, Producer], ...] = (
    ("x-spamd-", "rspamd"),
    ("x-rspamd-", "rspamd"),
    ("x-spam_", "exim"),
    ("x-amavis-", "amavis"),
    ("x-virus-scanned", "amavis"),
    ("x-quarantine-id", "amavis"),
)


def field_signature(header: HeaderField, scratch: Draft) -> Producer | None:
    """The producer a single field proves, or None for fields several producers write."""
    name = header.name.lower()
    special = _SIGNATURES.get(name)
    if special is not None:
        return special(header, scratch)
    for prefix, producer in _PREFIX_SIGNATURES:
        if name.startswith(prefix):
            return producer
    return None


def _fallback_producer(fields: list[HeaderField]) -> Producer:
    for header in fields:
        if header.name.lower() == "x-spam-level" and len(header.value.strip()) > 50:
            return "amavis"  # SA caps the stars at 50, amavis at 64 (spec §2.3, §3.3)
    return "other"


def attribute_blocks(
    block: HeaderBlock, options: Options, memo: dict[str, Any] | None = None
) -> list[ScannerBlock]:
    """Group the scanner fields of ``block`` into per-run blocks, topmost first.

    ``memo``: the per-message memo the producer parsers share (see ``split_status``).
    """
    scratch = Draft("other", 0, (), options, memo=memo if memo is not None else {})
    groups: list[tuple[Producer | None, list[HeaderField]]] = []
    current: list[HeaderField] | None = None
    producer: Producer | None = None
    names: set[str] = set()
    for header in block.fields:
        name = header.name.lower()
        if name == "received":
            if current is not None:
                groups.append((producer, current))
                current, producer, names = None, None, set()
            continue
        if not is_scanner_field(header):
            continue
        strong = field_signature(header, scratch)
        if current is not None and (
            name in names or (strong is not None and producer is not None and strong != producer)
        ):
            groups.append((producer, current))
            current, producer, names = None, None, set()
        if current is None:
            current = []
        current.append(header)
        names.add(name)
        if producer is None and strong is not None:
            producer = strong
    if current is not None:
        groups.append((producer, current))
    return [
        ScannerBlock(found or _fallback_producer(fields), position, tuple(fields))
        for position, (found, fields) in enumerate(groups)
    ]
