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

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from spamhdr.rules.perl_regex import PerlRegex, compile_perl_regex

__all__ = ["Guard", "LinePair", "guard_for"]

#: Lower-cased value → False when the regex provably cannot match.
Guard = Callable[[bytes], bool]

_SPACES: Final = re.compile(rb"\s*")
_NON_WORD: Final = re.compile(rb"\W*")


#: The fields guards look for, at line starts (lower-cased, with the colon).
_FIELDS: Final = (b"from:", b"to:", b"subject:", b"received:")
_FIELD_AT_LINE_START: Final = re.compile(rb"\n(from:|to:|subject:|received:)")
#: The last value's :class:`_Fields`, per thread: the guards of one group run on one value.
_LAST = threading.local()


class _Fields:
    """What the guards need of one lower-cased value, each part computed once: where the
    fields of :data:`_FIELDS` begin and their texts, and the needles of each capture
    shape (several guards look for the same From or To address)."""

    def __init__(self, lowered: bytes) -> None:
        self.lowered = lowered
        self.offsets: dict[bytes, list[int]] = {name: [] for name in _FIELDS}
        for name in _FIELDS:
            if lowered.startswith(name):
                self.offsets[name].append(len(name))
        for found in _FIELD_AT_LINE_START.finditer(lowered):
            self.offsets[found.group(1)].append(found.end())
        self._texts: dict[tuple[bytes, bool], list[tuple[int, int, int]]] = {}
        self._needles: dict[tuple[int, int], list[bytes]] = {}

    def texts(self, name: bytes, after_non_word: bool = False) -> list[tuple[int, int, int]]:
        """``(offset, start, end)`` per ``name`` field: :func:`_text_after`, or
        :func:`_through_first_word` when ``after_non_word``."""
        key = (name, after_non_word)
        found = self._texts.get(key)
        if found is None:
            lowered = self.lowered
            span = _through_first_word if after_non_word else _text_after
            found = [(offset, *span(lowered, offset)) for offset in self.offsets[name]]
            self._texts[key] = found
        return found

    def needles(self, shape: LinePair, start: int, end: int) -> list[bytes]:
        """``shape._needles`` for the field text at ``start``, shared by equal shapes."""
        key = (start, id(shape))  # shapes live in the module tables for good
        found = self._needles.get(key)
        if found is None:
            found = shape._needles(self.lowered, start, end)
            self._needles[key] = found
        return found


def _fields(lowered: bytes) -> _Fields:
    if getattr(_LAST, "value", None) is lowered:
        cached: _Fields = _LAST.fields
        return cached
    fields = _Fields(lowered)
    _LAST.value = lowered
    _LAST.fields = fields
    return fields


def _run_end(run: re.Pattern[bytes], lowered: bytes, start: int, end: int) -> int:
    """Where the run of ``run`` (a ``[...]*`` class) from ``start`` ends, before ``end``."""
    found = run.match(lowered, start, end)
    return found.end() if found is not None else start


def _line_end(lowered: bytes, position: int) -> int:
    end = lowered.find(b"\n", position)
    return len(lowered) if end < 0 else end


def _text_after(lowered: bytes, offset: int) -> tuple[int, int]:
    """The field text after ``offset``: from its first non-white-space byte (white space
    includes newlines) to the end of that line.

    Every capture or back-reference of a line-pair rule that follows ``Field:`` (with
    ``" "``, ``\\s+`` or ``[^\\n]{0,N}`` before it) is a non-empty run without white space
    that cannot cross a newline, so it lies in this span.
    """
    start = _run_end(_SPACES, lowered, offset, len(lowered))
    return start, _line_end(lowered, start)


def _through_first_word(lowered: bytes, offset: int) -> tuple[int, int]:
    """From ``offset`` to the end of the line holding the first word byte after it: where
    ``Field:\\W+(\\1)`` can put the back-reference (``\\W`` includes newlines)."""
    first_word = _run_end(_NON_WORD, lowered, offset, len(lowered))
    return offset, _line_end(lowered, first_word)


@dataclass(frozen=True, slots=True)
class LinePair:
    """A capture on a ``first:`` line, its back-reference on a later ``second:`` line.

    The shape ``\\n<First>:<sp>(?:[^\\n<]{0,80}<)?(CLASS+)…\\n+(?:[^\\n]{1,N}\\n+)*<Second>:
    <sp>…\\1`` (``<sp>`` a space or ``\\s+``). The capture starts at the field text (after
    white space), after its first ``<`` or after its first ``@`` (``starts``); it is made
    of ``capture`` bytes; the back-reference lies in a ``second`` field that begins a
    line after the capture's line.

    Attributes:
        first: the capturing field, lower-cased with its colon (``b"from:"``).
        starts: where the capture may begin: ``"text"``, ``"lt"``, ``"at"``.
        capture: the capture's class, repeated (``rb"[^\\n\\s>]*"``).
        min_length: the capture's minimum length.
        whole_run: the pattern puts a byte outside the class right after the capture, so
            the capture is the whole run of class bytes from its start; otherwise only its
            first ``min_length`` bytes are known.
        second: the field holding the back-reference.
        second_after_non_word: the back-reference follows ``second\\W+`` (else white space
            or ``[^\\n]{0,N}`` on the field's line).
    """

    first: bytes
    starts: tuple[str, ...]
    capture: re.Pattern[bytes]
    min_length: int
    whole_run: bool
    second: bytes
    second_after_non_word: bool = False

    def __post_init__(self) -> None:
        if self.first not in _FIELDS or self.second not in _FIELDS:
            raise ValueError(f"LinePair fields must be among {_FIELDS}")
        if not set(self.starts) <= {"text", "lt", "at"} or self.min_length < 1:
            raise ValueError("LinePair starts must be text/lt/at, min_length at least 1")

    def __call__(self, lowered: bytes) -> bool:
        fields = _fields(lowered)
        seconds = fields.texts(self.second, self.second_after_non_word)
        if not seconds:
            return False
        last = seconds[-1][0]
        for offset, text_start, line_end in fields.texts(self.first):
            if offset >= last:
                break
            needles = fields.needles(self, text_start, line_end)
            if not needles:
                continue
            for second, start, end in seconds:
                if second <= line_end:  # the back-reference's line must come later
                    continue
                for needle in needles:
                    if lowered.find(needle, start, end) >= 0:
                        return True
        return False

    def _needles(self, lowered: bytes, start: int, end: int) -> list[bytes]:
        """Per possible capture start, a string the capture contains (or is)."""
        needles: list[bytes] = []
        for kind in self.starts:
            if kind == "text":
                begin = start
            else:
                mark = lowered.find(b"<" if kind == "lt" else b"@", start, end)
                if mark < 0:
                    continue
                begin = mark + 1
            run_end = _run_end(self.capture, lowered, begin, end)
            if run_end - begin < self.min_length:
                continue  # the capture cannot start here
            needles.append(
                lowered[begin:run_end]
                if self.whole_run
                else lowered[begin : begin + self.min_length]
            )
        return needles


_TEXT_OR_LT: Final = ("text", "lt")
_NO_SPACE_GT: Final = re.compile(rb"[^\n\s>]*")
_NO_SPACE_GT_AT: Final = re.compile(rb"[^\n\s@>]*")

#: Stock line-pair rules (rules/20_*.cf, 72_active.cf of 4.0.1) with their guards.
_LINE_PAIRS: Final[dict[str, LinePair]] = {
    # __SUBJ_HAS_TO_1: the To address inside the Subject.
    r"/\nTo: (?:[^\n<]{0,80}<)?([^\n\s>,]+)>?\n+(?:[^\n]{1,200}\n+)*Subject: [^\n]{0,100}"
    r"\1[^a-z0-9]/ism": LinePair(
        b"to:", _TEXT_OR_LT, re.compile(rb"[^\n\s>,]*"), 1, True, b"subject:"
    ),
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

_RECEIVED_FOR_CAPTURE: Final = re.compile(rb"[^\n\s>;]*")


def _received_for_in_subject(lowered: bytes) -> bool:
    """``__SUBJ_HAS_TO_2``: ``\\nReceived:[^\\n]{0,200} for <?([^\\n\\s>;]+)>?;(?:[^\\n]+\\n+)*
    Subject: [^\\n]{0,100}\\1[^a-z0-9]`` — a Received ``for`` address inside the Subject.

    The capture starts right after ``" for "`` or after ``" for <"`` on the Received line
    and is the whole run of class bytes from there (``>`` and ``;`` follow it, both outside
    the class); the run after a ``"<"`` is in it either way. The Subject comes at a later
    line start, or — when the glue repeats zero times — right after the ``;`` that follows
    the capture on the same line.
    """
    fields = _fields(lowered)
    received = fields.offsets[b"received:"]
    texts = fields.texts(b"subject:")
    if not received or (not texts and b";subject: " not in lowered):
        return False
    same_line = b";subject: " in lowered
    for offset in received:
        line_end = _line_end(lowered, offset)
        found = lowered.find(b" for ", offset, line_end)
        while found >= 0:
            # The capture starts after " for " or after " for <"; "<" is in its class, so
            # the run after the "<" is part of the capture either way: one needle.
            start = found + 5
            if lowered.startswith(b"<", start):
                start += 1
            run_end = _run_end(_RECEIVED_FOR_CAPTURE, lowered, start, line_end)
            if run_end == start:
                if start == found + 6:
                    return True  # the capture may be the "<" alone: undecided
            else:
                needle = lowered[start:run_end]
                after = run_end + 1 if lowered.startswith(b">", run_end) else run_end
                if (
                    same_line
                    and lowered.startswith(b";subject: ", after)
                    and lowered.find(needle, after + 10, line_end) >= 0
                ):
                    return True
                for subject, text_start, text_end in texts:
                    if subject > line_end and lowered.find(needle, text_start, text_end) >= 0:
                        return True
            found = lowered.find(b" for ", found + 1, line_end)
    return False


def _to_domain_in_subject(lowered: bytes) -> bool:
    """``__PDS_TO_BRAND_SUBJECT``: ``^To:\\s+<?[^\\@]+\\@([^\\.]+)\\.(?:[^\\n]+\\n+)*^Subject:
    \\"?\\1\\b`` — the first label of the To domain opens the Subject.

    Nothing between ``To:`` and the ``@`` may be an ``@``, so the capture starts after the
    first ``@`` after ``To:``; it holds no ``.`` and a ``.`` follows it, so it runs to the
    first ``.`` after that (it may cross lines). The Subject line begins after that ``.``
    and its text after ``"Subject: "`` and an optional quote starts with the capture.
    """
    fields = _fields(lowered)
    subjects = [
        offset + 1 for offset in fields.offsets[b"subject:"] if lowered.startswith(b" ", offset)
    ]
    if not subjects:
        return False
    last_at = -1
    for offset in fields.offsets[b"to:"]:
        at = lowered.find(b"@", offset)
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
            if subject - len(b"subject: ") > dot and (
                lowered.startswith(needle, subject)
                or (lowered.startswith(b'"', subject) and lowered.startswith(needle, subject + 1))
            ):
                return True
    return False


_DOTTED_QUAD: Final = re.compile(rb" (?:by|ip)=(\d+)\.(\d+)\.(\d+)\.(\d+)(?= )")
_DOCUMENTATION_NETS: Final = ((b"192", b"0", b"2"), (b"198", b"51", b"100"), (b"203", b"0", b"113"))


def _valid_octet(octet: bytes) -> bool:
    r"""``(?:2(?:[0-4]\d|5[0-5])|[01]?\d\d?)\b`` matches at the start of ``octet``, a run
    of digits followed by a non-word byte: the word boundary only falls at its end, so the
    alternatives must spell the whole octet."""
    if len(octet) <= 2:
        return True
    if len(octet) > 3:
        return False
    first, second, third = octet[0], octet[1], octet[2]
    return first in b"01" or (
        first == ord("2") and (second in b"01234" or (second == ord("5") and third in b"012345"))
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
    (:func:`_valid_octet`). That is the regex's exact condition, decided on the octets.
    """
    for found in _DOTTED_QUAD.finditer(value):
        octets = found.groups()
        first = octets[0]
        if first == b"0" or (
            len(first) == 3
            and first[0] == ord("2")
            and ((first[1] == ord("2") and first[2] in b"456789") or first[1] in b"345")
        ):
            return True
        if octets[:3] in _DOCUMENTATION_NETS:
            return True
        if not all(_valid_octet(octet) for octet in octets):
            return True
    return False


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

_TABLE: dict[bytes, Guard] = {}
_TABLE_LOCK = threading.Lock()


def _table() -> dict[bytes, Guard]:
    """Translated pattern → guard, built on first use (the translator runs once each)."""
    with _TABLE_LOCK:
        if not _TABLE:
            written: dict[str, Guard] = {**_LINE_PAIRS, **_SPECIAL}
            for text, guard in written.items():
                compiled = compile_perl_regex(text, compile_now=False)
                assert isinstance(compiled, PerlRegex), text
                _TABLE[compiled.translated] = guard
        return _TABLE


def guard_for(translated: bytes) -> Guard | None:
    """The guard of a translated rule pattern, or None (module docstring)."""
    return _table().get(translated)
