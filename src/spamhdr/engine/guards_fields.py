"""Where the back-reference guards look: the From, To, Subject and Received fields of a value.

Input: an ``ALL`` value, ASCII-lower-cased. Output: a :class:`FieldIndex` — the offsets
just after each ``from:``, ``to:``, ``subject:`` and ``received:`` at a line start, and for
the first three a :class:`FieldLine` per field: its text span, and the runs a capture of
``guards.py`` can take in it, each computed at most once per value. Invariants: offsets
ascend; spans lie inside the value; every run is what the standard library's ``re`` would
find for the class it stands for (``tests/property/test_engine_guards.py`` checks the
byte classes over all 256 bytes against ``regex``).

Why a module of its own (issue 5): the guards run ~6.5 times per message on the ``ALL``
value, and almost all answer False after one or two ``find`` calls, so their cost was the
bookkeeping around those calls — a ``finditer`` over the whole value, ``re.match`` per
run (~0.4 µs each from compiled code), tuple-keyed caches and a ``threading.local``.
Here the field starts come from one ``bytes.split`` of the value, the runs from plain
byte loops (which mypyc compiles to C loops), and everything is kept in native attributes.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AFTER_AT",
    "AFTER_LT",
    "AT",
    "COMMA",
    "FIELD_NAMES",
    "FROM",
    "GT",
    "RECEIVED",
    "SUBJECT",
    "TEXT",
    "TO",
    "FieldIndex",
    "FieldLine",
    "field_index",
    "is_space",
    "is_word",
    "line_end",
]

#: Field kinds: indices into :data:`FIELD_NAMES`.
FROM: Final = 0
TO: Final = 1
SUBJECT: Final = 2
RECEIVED: Final = 3
#: The fields, lower-cased with their colon.
FIELD_NAMES: Final = (b"from:", b"to:", b"subject:", b"received:")

#: Capture starts (``LinePair.starts`` in ``guards.py``).
TEXT: Final = 0  # at the field text
AFTER_LT: Final = 1  # after the text's first "<"
AFTER_AT: Final = 2  # after the text's first "@"

#: The bytes besides white space that can end a capture run (``FieldLine.capture``).
GT: Final = 62
COMMA: Final = 44
AT: Final = 64


def is_space(byte: int) -> bool:
    """``\\s`` of ``regex`` (and ``re``) bytes patterns: tab, newline, VT, FF, CR, space."""
    return byte == 32 or 9 <= byte <= 13


def is_word(byte: int) -> bool:
    """``\\w`` of bytes patterns: ASCII letters and digits, and ``_``."""
    return 97 <= byte <= 122 or 48 <= byte <= 57 or byte == 95 or 65 <= byte <= 90


def line_end(lowered: bytes, position: int) -> int:
    """The offset of the first newline at or after ``position``, or the value's length."""
    end = lowered.find(b"\n", position)
    return len(lowered) if end < 0 else end


class FieldLine:
    """One From, To or Subject field of a value.

    Attributes:
        offset: just after the field's colon.
        start: the first byte after ``offset`` that is not white space (newlines included).
        end: the end of ``start``'s line: ``[start, end)`` holds every capture or
            back-reference of a line-pair rule that follows ``Field:`` (with ``" "``,
            ``\\s+`` or ``[^\\n]{0,N}`` before it): each is a non-empty run without white
            space, which cannot cross a newline.
    """

    def __init__(self, lowered: bytes, offset: int, field_end: int) -> None:
        """``field_end``: the end of the line ``offset`` is on."""
        self.offset = offset
        size = len(lowered)
        start = offset
        while start < size and is_space(lowered[start]):
            start += 1
        self.start = start
        self.end = field_end if start < field_end else line_end(lowered, start)
        self._wide_end = -1
        self._scanned = False
        # Per capture start (TEXT, AFTER_LT, AFTER_AT): where the capture begins (-1: the
        # text has no "<" or "@"), where a run without white space and ">" from there
        # ends, and where it ends when "," or "@" also stops it.
        self._begin_text = start
        self._begin_lt = -1
        self._begin_at = -1
        self._gt_text = self._comma_text = self._at_text = start
        self._gt_lt = self._comma_lt = self._at_lt = -1
        self._gt_at = self._comma_at = self._at_at = -1

    def wide_end(self, lowered: bytes) -> int:
        """The end of the line holding the first word byte after ``offset``: ``[offset,
        wide_end)`` is where ``Field:\\W+(\\1)`` can put the back-reference (``\\W``
        includes newlines)."""
        if self._wide_end < 0:
            size = len(lowered)
            first_word = self.offset
            while first_word < size and not is_word(lowered[first_word]):
                first_word += 1
            self._wide_end = line_end(lowered, first_word)
        return self._wide_end

    def capture(self, lowered: bytes, kind: int, stops: int) -> tuple[int, int]:
        """``(begin, end)`` of the run a capture starting at ``kind`` (TEXT, AFTER_LT or
        AFTER_AT) can take: bytes that are not white space, not ``>`` and, when ``stops``
        is COMMA or AT, not that byte either, up to :attr:`end`; ``begin`` is -1 when the
        text has no ``<`` (``@``) to start after.
        """
        if not self._scanned:
            self._scan(lowered)
        if kind == TEXT:
            begin, gt, comma, at = self._begin_text, self._gt_text, self._comma_text, self._at_text
        elif kind == AFTER_LT:
            begin, gt, comma, at = self._begin_lt, self._gt_lt, self._comma_lt, self._at_lt
        else:
            begin, gt, comma, at = self._begin_at, self._gt_at, self._comma_at, self._at_at
        if stops == COMMA:
            return begin, comma
        if stops == AT:
            return begin, at
        return begin, gt

    def _scan(self, lowered: bytes) -> None:
        self._scanned = True
        start, end = self.start, self.end
        self._gt_text, self._comma_text, self._at_text = _runs(lowered, start, end)
        lt = lowered.find(b"<", start, end)
        if lt >= 0:
            self._begin_lt = lt + 1
            self._gt_lt, self._comma_lt, self._at_lt = _runs(lowered, lt + 1, end)
        at = lowered.find(b"@", start, end)
        if at >= 0:
            self._begin_at = at + 1
            self._gt_at, self._comma_at, self._at_at = _runs(lowered, at + 1, end)


def _runs(lowered: bytes, begin: int, end: int) -> tuple[int, int, int]:
    """Where the runs from ``begin`` (before ``end``) of ``[^\\s>]``, ``[^\\s>,]`` and
    ``[^\\s@>]`` end, in one pass."""
    comma = at = -1
    position = begin
    while position < end:
        byte = lowered[position]
        if byte == GT or is_space(byte):
            break
        if byte == COMMA and comma < 0:
            comma = position
        elif byte == AT and at < 0:
            at = position
        position += 1
    return position, position if comma < 0 else comma, position if at < 0 else at


class FieldIndex:
    """The fields of one lower-cased value (module docstring).

    Attributes:
        lowered: the value.
        received: the offsets just after each ``received:`` at a line start.
        received_ends: the end of each of those lines (its newline or the value's end).
    """

    def __init__(self, lowered: bytes) -> None:
        self.lowered = lowered
        self.received: list[int] = []
        self.received_ends: list[int] = []
        self._from: list[FieldLine] = []
        self._to: list[FieldLine] = []
        self._subject: list[FieldLine] = []
        # One split finds every line start: it costs about a third of four bytes.find
        # scans of the whole value for "\nfrom:" and the rest (compiled, corpus sample).
        start = 0
        for line in lowered.split(b"\n"):
            end = start + len(line)
            if line:
                first = line[0]
                if first == 114:  # r
                    if line.startswith(b"received:"):
                        self.received.append(start + 9)
                        self.received_ends.append(end)
                elif first == 102:  # f
                    if line.startswith(b"from:"):
                        self._from.append(FieldLine(lowered, start + 5, end))
                elif first == 116:  # t
                    if line.startswith(b"to:"):
                        self._to.append(FieldLine(lowered, start + 3, end))
                elif first == 115 and line.startswith(b"subject:"):  # s
                    self._subject.append(FieldLine(lowered, start + 8, end))
            start = end + 1

    def lines(self, kind: int) -> list[FieldLine]:
        """The :class:`FieldLine` of each ``kind`` field (FROM, TO or SUBJECT), in order."""
        if kind == FROM:
            return self._from
        if kind == TO:
            return self._to
        return self._subject


#: The last value's index: the guards of one group run on one value in turn. One object,
#: read and replaced whole, so threads sharing it can only miss the cache, never mix
#: values (the index holds its value, which therefore stays alive while it is compared).
_last: FieldIndex | None = None


def field_index(lowered: bytes) -> FieldIndex:
    """The :class:`FieldIndex` of ``lowered``, built once per value."""
    global _last
    last = _last
    if last is not None and last.lowered is lowered:
        return last
    index = FieldIndex(lowered)
    _last = index
    return index
