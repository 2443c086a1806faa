"""Back-reference guards: cheap proofs that a stock ``ALL`` rule's regex cannot match.

Input: a rule's translated ``regex`` pattern (bytes, as ``HeaderTest.pattern.pattern``).
Output: a :data:`Guard` — a function of the ASCII-lower-cased value that returns False only
when the regex provably has no match in the value — or None for every other pattern.
``groups.py`` treats a guard like a required-literal prefilter: False means the rule takes
its "no match" outcome without running its regex; True means the regex runs as always, so
hits, counts and spans never depend on a guard.

Why (issue 5): a dozen stock sub-rules compare two header fields through a back-reference,
``\\nFrom: …([^\\n\\s>]+)>?\\n+(?:[^\\n]{1,100}\\n+)*To: …\\1``. No automaton decides them and
``regex`` backtracks through every later line for every capture candidate: they cost about
0.06 ms per message, half of all regex time (``__SUBJ_HAS_TO_2`` alone 26 µs). They almost
never match, and the reason is cheap to see: the captured text does not occur where the
back-reference must find it. A guard extracts, for each place the capture can start, a
string the capture must contain, and looks for it only where ``\\1`` can be.

Soundness, argued once for the line-pair shape (:class:`LinePair`) and per guard for the
two special shapes; ``tests/property/test_engine_guards.py`` checks "guard False ⇒ no
match" on generated header blocks and on the corpus, and the byte facts used here:

* all guarded patterns are ``/i``; ``regex`` folds only ASCII letters in bytes patterns,
  back-references included, which is what ``bytes.lower`` does, so everything is compared
  lower-cased;
* ``\\s`` and ``\\W`` on bytes mean the same for ``regex`` and the standard library ``re``
  (the classes below run on ``re``, linear and bounded by a line);
* the capture's class excludes ``\\n`` and ``\\s`` in every line-pair rule, so the capture
  lies on one line and within that line's text after leading white space.

One guard is not about a back-reference: ``RCVD_ILLEGAL_IP`` ends in a negative
lookahead (an octet that is not valid), which no automaton keeps, so its superset named
nearly every relay; its guard decides the regex's condition on the octets.

The table :data:`_LINE_PAIRS` names each rule with its pattern as written in 4.0.1's rule
files; a guard is attached to whatever rule has exactly that pattern, so a changed rule
simply loses its guard (``test_engine_guards.py`` fails if a stock rule loses one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from spamhdr.engine.guards_fields import (
    AFTER_AT,
    AFTER_LT,
    AT,
    COMMA,
    FIELD_NAMES,
    GT,
    SUBJECT,
    TEXT,
    TO,
    FieldLine,
    field_index,
    is_space,
)
from spamhdr.engine.pattern_table import PatternTable

__all__ = ["CAPTURE_CLASSES", "Guard", "LinePair", "guard_for"]

#: Lower-cased value → False when the regex provably cannot match.
Guard = Callable[[bytes], bool]

#: The capture classes of the line-pair rules, as written, with the byte besides white
#: space that ends a run of them (``guards_fields.FieldLine.capture``; ``\n`` is white
#: space). ``tests/property/test_engine_guards.py`` checks each over all 256 bytes.
CAPTURE_CLASSES: Final = {rb"[^\n\s>]": GT, rb"[^\n\s>,]": COMMA, rb"[^\n\s@>]": AT}
_STARTS: Final = {"text": TEXT, "lt": AFTER_LT, "at": AFTER_AT}


class LinePair:
    """A capture on a ``first:`` line, its back-reference on a later ``second:`` line.

    The shape ``\\n<First>:<sp>(?:[^\\n<]{0,80}<)?(CLASS+)…\\n+(?:[^\\n]{1,N}\\n+)*<Second>:
    <sp>…\\1`` (``<sp>`` a space or ``\\s+``). The capture starts at the field text (after
    white space), after its first ``<`` or after its first ``@`` (``starts``); it is made
    of ``capture`` bytes; the back-reference lies in a ``second`` field that begins a
    line after the capture's line.

    Args:
        first: the capturing field, lower-cased with its colon (``b"from:"``).
        starts: where the capture may begin: ``"text"``, ``"lt"``, ``"at"``.
        capture: the capture's class, one of :data:`CAPTURE_CLASSES`.
        min_length: the capture's minimum length.
        whole_run: the pattern puts a byte outside the class right after the capture, so
            the capture is the whole run of class bytes from its start; otherwise only its
            first ``min_length`` bytes are known.
        second: the field holding the back-reference.
        second_after_non_word: the back-reference follows ``second\\W+`` (else white space
            or ``[^\\n]{0,N}`` on the field's line).
    """

    def __init__(
        self,
        first: bytes,
        starts: tuple[str, ...],
        capture: bytes,
        min_length: int,
        whole_run: bool,
        second: bytes,
        second_after_non_word: bool = False,
    ) -> None:
        if first not in FIELD_NAMES[:SUBJECT] or second not in FIELD_NAMES[: SUBJECT + 1]:
            raise ValueError("LinePair captures in From or To, refers to From, To or Subject")
        if not starts or not set(starts) <= set(_STARTS) or min_length < 1:
            raise ValueError("LinePair starts must be text/lt/at, min_length at least 1")
        if capture not in CAPTURE_CLASSES:
            raise ValueError(f"LinePair capture must be one of {list(CAPTURE_CLASSES)}")
        self.first = FIELD_NAMES.index(first)
        self.starts = tuple(_STARTS[kind] for kind in starts)
        self.stop = CAPTURE_CLASSES[capture]
        self.min_length = min_length
        self.whole_run = whole_run
        self.second = FIELD_NAMES.index(second)
        self.wide = second_after_non_word

    def __call__(self, lowered: bytes) -> bool:
        fields = field_index(lowered)
        seconds = fields.lines(self.second)
        if not seconds:
            return False
        last = seconds[-1].offset
        wide = self.wide
        for line in fields.lines(self.first):
            if line.offset >= last:
                break
            for kind in self.starts:
                begin, run_end = line.capture(lowered, kind, self.stop)
                if begin < 0 or run_end - begin < self.min_length:
                    continue  # the capture cannot start here
                size = run_end - begin if self.whole_run else self.min_length
                needle = lowered[begin : begin + size]
                for second in seconds:
                    if second.offset <= line.end:  # the back-reference's line comes later
                        continue
                    if wide:
                        start, end = second.offset, second.wide_end(lowered)
                    else:
                        start, end = second.start, second.end
                    if end - start >= size and lowered.find(needle, start, end) >= 0:
                        return True
        return False


_TEXT_OR_LT: Final = ("text", "lt")
_NO_SPACE_GT: Final = rb"[^\n\s>]"
_NO_SPACE_GT_AT: Final = rb"[^\n\s@>]"

#: Stock line-pair rules (rules/20_*.cf, 72_active.cf of 4.0.1) with their guards.
_LINE_PAIRS: Final[dict[str, LinePair]] = {
    # __SUBJ_HAS_TO_1: the To address inside the Subject.
    r"/\nTo: (?:[^\n<]{0,80}<)?([^\n\s>,]+)>?\n+(?:[^\n]{1,200}\n+)*Subject: [^\n]{0,100}"
    r"\1[^a-z0-9]/ism": LinePair(b"to:", _TEXT_OR_LT, rb"[^\n\s>,]", 1, True, b"subject:"),
    # __SUBJ_HAS_FROM_1
    r"/\nFrom: (?:[^\n<]{0,80}<)?([^\n\s>]+)>?\n+(?:[^\n]{1,100}\n+)*Subject: [^\n]{0,100}"
    r"\1[>,:\s\n]/ism": LinePair(b"from:", _TEXT_OR_LT, _NO_SPACE_GT, 1, True, b"subject:"),
    # __TO_EQ_FROM_1 / _2
    r"/\nFrom: (?:[^\n<]{0,80}<)?([^\n\s>]+)>?\n+(?:[^\n]{1,100}\n+)*To: (?:[^\n]{0,80}<)?"
    r"\1[>,\s\n]/ism": LinePair(b"from:", _TEXT_OR_LT, _NO_SPACE_GT, 1, True, b"to:"),
    r"/\nTo: (?:[^\n<]{0,80}<)?([^\n\s>]+)>?\n+(?:[^\n]{1,100}\n+)*From: (?:[^\n]{0,80}<)?"
    r"\1[>,\s\n]/ism": LinePair(b"to:", _TEXT_OR_LT, _NO_SPACE_GT, 1, True, b"from:"),
    # __TO_EQ_FROM_DOM_1 / _2: the capture starts after the field's first "@".
    r"/\nFrom: [^\n@]{0,80}@([^\n\s>]+)>?\n+(?:[^\n]{1,100}\n+)*To: [^\n]+@\1[>,\s\n]/ism": (
        LinePair(b"from:", ("at",), _NO_SPACE_GT, 1, True, b"to:")
    ),
    r"/\nTo: [^\n@]{0,80}@([^\n\s>]+)>?\n+(?:[^\n]{1,100}\n+)*From: [^\n]+@\1[>,\s\n]/ism": (
        LinePair(b"to:", ("at",), _NO_SPACE_GT, 1, True, b"from:")
    ),
    # __TO_EQ_FROM_USR_1 / _2: the local part, followed by "@" (outside the class).
    r"/\nFrom:\s+(?:[^\n<]{0,80}<)?([^\n\s\@>]+)\@[^\n\s]+>?\n+(?:[^\n]{1,100}\n+)*To:\s+"
    r"(?:[^\n]{0,80}<)?\1[\@>,\s\n]/ism": LinePair(
        b"from:", _TEXT_OR_LT, _NO_SPACE_GT_AT, 1, True, b"to:"
    ),
    r"/\nTo:\s+(?:[^\n<]{0,80}<)?([^\n\s\@>]+)\@[^\n\s]+>?\n+(?:[^\n]{1,100}\n+)*From:\s+"
    r"(?:[^\n]{0,80}<)?\1[\@>,\s\n]/ism": LinePair(
        b"to:", _TEXT_OR_LT, _NO_SPACE_GT_AT, 1, True, b"from:"
    ),
    # __TO_EQ_FROM_USR_NN_1 / _2: a lazy {4,80} capture, so only its first 4 bytes are
    # known (what follows it, \d*\@, may start inside the run).
    r"/\nFrom:\s+(?:[^\n<]{0,80}<)?([^\n\s\@>]{4,80}?)\d*\@[^\n\s]+>?\n+(?:[^\n]{1,100}\n+)*"
    r"To:\s+(?:[^\n]{0,80}<)?\1\d*[\@>,\s\n]/ism": LinePair(
        b"from:", _TEXT_OR_LT, _NO_SPACE_GT_AT, 4, False, b"to:"
    ),
    r"/\nTo:\s+(?:[^\n<]{0,80}<)?([^\n\s\@>]{4,80}?)\d*\@[^\n\s]+>?\n+(?:[^\n]{1,100}\n+)*"
    r"From:\s+(?:[^\n]{0,80}<)?\1\d*[\@>,\s\n]/ism": LinePair(
        b"to:", _TEXT_OR_LT, _NO_SPACE_GT_AT, 4, False, b"from:"
    ),
    # __PDS_TO_EQ_FROM_NAME_1: the back-reference follows From:\W+ (\W spans newlines).
    r"/\nTo: (?:[^\n<]{0,80}<)?([^\n\s>]+)>?\n+(?:[^\n]{1,100}\n+)*From:\W+(\1)([^\n\w<]++<)?"
    r"((?!\1)[^\n\">]++)>?\n/ism": LinePair(
        b"to:", _TEXT_OR_LT, _NO_SPACE_GT, 1, True, b"from:", second_after_non_word=True
    ),
}

_SEMICOLON: Final = 59


def received_for_run_end(lowered: bytes, start: int, end: int) -> int:
    """Where the run of ``[^\\n\\s>;]`` (the ``__SUBJ_HAS_TO_2`` capture) from ``start``
    ends, before ``end``."""
    position = start
    while position < end:
        byte = lowered[position]
        if byte in (GT, _SEMICOLON) or is_space(byte):
            break
        position += 1
    return position


def _received_for_in_subject(lowered: bytes) -> bool:
    """``__SUBJ_HAS_TO_2``: ``\\nReceived:[^\\n]{0,200} for <?([^\\n\\s>;]+)>?;(?:[^\\n]+\\n+)*
    Subject: [^\\n]{0,100}\\1[^a-z0-9]`` — a Received ``for`` address inside the Subject.

    The capture starts right after ``" for "`` or after ``" for <"`` on the Received line
    and is the whole run of class bytes from there (``>`` and ``;`` follow it, both outside
    the class); the run after a ``"<"`` is in it either way. The Subject comes at a later
    line start, or — when the glue repeats zero times — right after the ``;`` that follows
    the capture on the same line.
    """
    fields = field_index(lowered)
    received = fields.received
    if not received:
        return False
    subjects = fields.lines(SUBJECT)
    if not subjects and b";subject: " not in lowered:
        return False
    ends = fields.received_ends
    last_end = ends[-1]
    line = 0
    # One search over the Received lines' stretch of the value rather than one per line:
    # most lines hold no " for ". A hit belongs to the first line that ends after it.
    found = lowered.find(b" for ", received[0], last_end)
    while found >= 0:
        while ends[line] < found + 5:
            line += 1  # the hit ends by last_end, so some line ends after it
        if found < received[line]:  # between Received lines
            found = lowered.find(b" for ", received[line], last_end)
            continue
        if _for_address_in_subject(lowered, found, ends[line], subjects):
            return True
        found = lowered.find(b" for ", found + 1, last_end)
    return False


def _for_address_in_subject(
    lowered: bytes, found: int, end: int, subjects: list[FieldLine]
) -> bool:
    """The ``__SUBJ_HAS_TO_2`` capture after the ``" for "`` at ``found`` (on a Received
    line ending at ``end``) may be back-referenced: see :func:`_received_for_in_subject`."""
    # The capture starts after " for " or after " for <"; "<" is in its class, so the run
    # after the "<" is part of the capture either way: one needle.
    size = len(lowered)
    start = found + 5
    if start < size and lowered[start] == 60:  # "<"
        start += 1
    run_end = received_for_run_end(lowered, start, end)
    if run_end == start:
        return start == found + 6  # the capture may be the "<" alone: undecided
    needle = lowered[start:run_end]
    after = run_end + 1 if run_end < size and lowered[run_end] == GT else run_end
    if (
        lowered.startswith(b";subject: ", after)  # the Subject on this line
        and lowered.find(needle, after + 10, end) >= 0
    ):
        return True
    for subject in subjects:
        if (
            subject.offset > end
            and subject.end - subject.start >= len(needle)
            and lowered.find(needle, subject.start, subject.end) >= 0
        ):
            return True
    return False


def _to_domain_in_subject(lowered: bytes) -> bool:
    """``__PDS_TO_BRAND_SUBJECT``: ``^To:\\s+<?[^\\@]+\\@([^\\.]+)\\.(?:[^\\n]+\\n+)*^Subject:
    \\"?\\1\\b`` — the first label of the To domain opens the Subject.

    Nothing between ``To:`` and the ``@`` may be an ``@``, so the capture starts after the
    first ``@`` after ``To:``; it holds no ``.`` and a ``.`` follows it, so it runs to the
    first ``.`` after that (it may cross lines). The Subject line begins after that ``.``
    and its text after ``"Subject: "`` and an optional quote starts with the capture.
    """
    fields = field_index(lowered)
    subjects = fields.lines(SUBJECT)
    if not subjects:
        return False
    last_at = -1
    for line in fields.lines(TO):
        at = lowered.find(b"@", line.offset)
        if at < 0:
            return False
        if at == last_at:
            continue
        last_at = at
        dot = lowered.find(b".", at + 1)
        if dot < 0:
            return False
        if dot == at + 1:
            continue  # the capture cannot be empty
        needle = lowered[at + 1 : dot]
        for subject in subjects:
            text = subject.offset + 1  # after "subject: "
            if (
                subject.offset - len(b"subject:") > dot
                and lowered.startswith(b" ", subject.offset)
                and (
                    lowered.startswith(needle, text)
                    or (lowered.startswith(b'"', text) and lowered.startswith(needle, text + 1))
                )
            ):
                return True
    return False


_DOCUMENTATION_NETS: Final = (b"192.0.2", b"198.51.100", b"203.0.113")


def _valid_octet(value: bytes, start: int, end: int) -> bool:
    r"""``(?:2(?:[0-4]\d|5[0-5])|[01]?\d\d?)\b`` matches at ``start``, where a run of digits
    ends at ``end`` followed by a non-word byte: the word boundary only falls at its end,
    so the alternatives must spell the whole octet."""
    length = end - start
    if length <= 2:
        return True
    if length > 3:
        return False
    first, second, third = value[start], value[start + 1], value[start + 2]
    return first in (48, 49) or (  # 0 or 1, then two digits
        first == 50 and (second <= 52 or (second == 53 and third <= 53))  # 2[0-4]d, 25[0-5]
    )


def _illegal_relay_ip(value: bytes) -> bool:
    r"""``RCVD_ILLEGAL_IP``: `` (?:by|ip)=(?=\d+\.\d+\.\d+\.\d+ )(?:(?:0|2(?:2[4-9]|
    [3-5]\d)|192\.0\.2|198\.51\.100|203\.0\.113)\.|(?:\d+\.){0,3}(?!VALID_OCTET\b))``
    on the relay pseudo-headers — not a back-reference, but a negative lookahead no
    automaton keeps, so its superset named nearly every relay.

    The lookahead fixes a dotted quad after ``by=`` or ``ip=`` (followed by a space, which
    may begin the next match: the quad pattern only looks at it). The rule then needs a
    first octet of ``0`` or 224–259, one of the three documentation networks, or — since
    ``(?:\d+\.){0,3}`` stops only at octet starts — some octet that is not a valid one
    (:func:`_valid_octet`). That is the regex's exact condition, decided on the octets of
    every `` by=`` and `` ip=`` (where a match can start) in turn.
    """
    for key in (b" by=", b" ip="):
        found = value.find(key)
        while found >= 0:
            if _illegal_quad_at(value, found + 4):
                return True
            found = value.find(key, found + 1)
    return False


def _digits_end(value: bytes, position: int) -> int:
    size = len(value)
    while position < size and 48 <= value[position] <= 57:  # \d is ASCII in bytes
        position += 1
    return position


def _dot_at(value: bytes, position: int) -> bool:
    return position < len(value) and value[position] == 46


def _illegal_quad_at(value: bytes, start: int) -> bool:
    r"""Whether ``(\d+)\.(\d+)\.(\d+)\.(\d+)(?= )`` matches at ``start`` with octets the
    rule calls illegal (:func:`_illegal_relay_ip`). ``.`` is not a digit, so each ``\d+``
    can only be the whole run of digits where it starts: no backtracking to consider."""
    end1 = _digits_end(value, start)
    if end1 == start or not _dot_at(value, end1):
        return False
    end2 = _digits_end(value, end1 + 1)
    if end2 == end1 + 1 or not _dot_at(value, end2):
        return False
    end3 = _digits_end(value, end2 + 1)
    if end3 == end2 + 1 or not _dot_at(value, end3):
        return False
    end4 = _digits_end(value, end3 + 1)
    if end4 == end3 + 1 or end4 >= len(value) or value[end4] != 32:  # the lookahead's " "
        return False
    length = end1 - start
    if (length == 1 and value[start] == 48) or (  # 0
        length == 3
        and value[start] == 50  # 224-259
        and ((value[start + 1] == 50 and value[start + 2] >= 52) or 51 <= value[start + 1] <= 53)
    ):
        return True
    for net in _DOCUMENTATION_NETS:
        if end3 - start == len(net) and value.startswith(net, start):
            return True
    return not (
        _valid_octet(value, start, end1)
        and _valid_octet(value, end1 + 1, end2)
        and _valid_octet(value, end2 + 1, end3)
        and _valid_octet(value, end3 + 1, end4)
    )


#: What ``\s`` matches in ``regex`` bytes patterns (tests/property/test_engine_guards.py).
_SPACE_BYTES: Final = b" \t\n\r\x0b\x0c"


def _short_line(value: bytes) -> bool:
    """``__SUBJ_SHORT``: ``/^.{0,8}$/`` — without ``/m`` and ``/s`` a match needs the whole
    value but an optional final newline to be at most 8 bytes without a newline."""
    text = value[:-1] if value.endswith(b"\n") else value
    return len(text) <= 8 and b"\n" not in text


def _only_space(value: bytes) -> bool:
    r"""``__SUBJECT_EMPTY``: ``/^\s*$/`` — ``\s`` includes the newline, so a match needs
    every byte of the value to be white space."""
    return not value.strip(_SPACE_BYTES)


_SPECIAL: Final[dict[str, Guard]] = {
    # Not back-references: two patterns that can match the empty string, so no Hyperscan
    # database holds them, and their regexes ran on nearly every Subject.
    r"/^.{0,8}$/": _short_line,
    r"/^\s*$/": _only_space,
    r"/ (?:by|ip)=(?=\d+\.\d+\.\d+\.\d+ )(?:(?:0|2(?:2[4-9]|[3-5]\d)|192\.0\.2|198\.51\.100|"
    r"203\.0\.113)\.|(?:\d+\.){0,3}(?!(?:2(?:[0-4]\d|5[0-5])|[01]?\d\d?)\b))/": _illegal_relay_ip,
    r"/\nReceived:[^\n]{0,200} for <?([^\n\s>;]+)>?;(?:[^\n]+\n+)*Subject: [^\n]{0,100}\1"
    r"[^a-z0-9]/ism": _received_for_in_subject,
    r"/^To:\s+<?[^\@]+\@([^\.]+)\.(?:[^\n]+\n+)*^Subject: \"?\1\b/ism": _to_domain_in_subject,
}

_TABLE: Final[PatternTable[Guard]] = PatternTable({**_LINE_PAIRS, **_SPECIAL})


def guard_for(translated: bytes) -> Guard | None:
    """The guard of a translated rule pattern, or None (module docstring)."""
    return _TABLE.get(translated)
