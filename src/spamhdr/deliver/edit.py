"""Header edits applied to a message: remove fields, prepend fields, replace the Subject.

Input: message bytes and a :class:`HeaderEdits`. Output: the edited message bytes, the body
untouched. Invariants: fields that are not removed keep their raw bytes and order; new
fields are prepended in the given order (amavis and the rspamd milter both insert at the
top, §3.1); the line ending of the input (CRLF or LF) is kept. Pure, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from spamhdr.headers import parse_header_block

__all__ = ["HeaderEdits", "apply_edits", "fold_structured"]


@dataclass(frozen=True, slots=True)
class HeaderEdits:
    """What a filter does to the header block of one recipient's copy.

    Attributes:
        remove: lower-cased names of fields deleted (every copy).
        prepend: ``(name, value)`` pairs added at the top; values may contain ``"\\n "`` folds.
        subject: the new Subject value (replacing every existing Subject, or added), or None.
    """

    remove: frozenset[str] = frozenset()
    prepend: tuple[tuple[str, str], ...] = ()
    subject: str | None = None


def fold_structured(name: str, pieces: tuple[str, ...], width: int = 78) -> str:
    """amavis 2.13 ``hdr()`` folding of a structured field (spec §3.2).

    ``pieces`` are the chunks between allowed break points, each but the first starting
    with the space that becomes the continuation's leading blank. Chunks are joined while
    the line (including ``Name:``) stays within ``width`` columns.

    Returns:
        the value with ``"\\n"`` before each continuation line (no trailing newline).
    """
    line_len = len(name) + 1
    out = ""
    for index, piece in enumerate(pieces):
        if index and line_len + len(piece) > width and out.strip():
            out += "\n"
            line_len = 0
        out += piece
        line_len += len(piece)
    return out.removeprefix(" ")


def apply_edits(data: bytes, edits: HeaderEdits) -> bytes:
    """Return ``data`` with ``edits`` applied to its header block."""
    block = parse_header_block(data)
    eol = b"\r\n" if b"\r\n" in data[: block.body_offset or len(data)] else b"\n"
    out: list[bytes] = []
    if block.mbox_from is not None:
        out.append(block.mbox_from.encode("utf-8", "surrogateescape") + eol)
    for name, value in edits.prepend:
        out.append(_field(name, value, eol))
    subject_done = False
    for field in block.fields:
        lowered = field.name.lower()
        if lowered in edits.remove:
            continue
        if lowered == "subject" and edits.subject is not None:
            if not subject_done:
                out.append(_field("Subject", edits.subject, eol))
                subject_done = True
            continue
        raw = field.raw.replace(b"\r\n", b"\n").replace(b"\n", eol)
        sep = b" " if raw[:1] not in (b" ", b"\t") and raw else b""
        out.append(field.name.encode("ascii", "replace") + b":" + sep + raw + eol)
    if edits.subject is not None and not subject_done:
        out.append(_field("Subject", edits.subject, eol))
    body = data[block.body_offset :] if block.body_offset < len(data) else b""
    return b"".join(out) + eol + body


def _field(name: str, value: str, eol: bytes) -> bytes:
    text = f"{name}: {value}" if value else f"{name}:"
    return text.encode("utf-8", "surrogateescape").replace(b"\n", eol) + eol
