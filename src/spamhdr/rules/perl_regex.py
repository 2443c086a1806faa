"""Perl regular expressions of rule files → ``regex`` (V0) bytes patterns, in one place.

Input: rule text such as ``/foo\\e(?i)bar/m`` (Latin-1 ``str`` standing for the file's bytes).
Output: a :class:`PerlRegex` (the pattern text SpamAssassin compiles, its modifiers, the
translated ``regex`` bytes pattern and the compiled object) or a :class:`RegexProblem` with
SpamAssassin's wording and the offending position.

Steps, as ``Util.pm compile_regexp`` (spec/sa-rules.md §3.3) and Perl's ``qr/(?mods)RE/aa``:

1. strip the delimiters (``/…/``, ``m{…}``, ``m!…!``…) and check the modifiers ``[a-df-z]*``;
2. refuse ``(?{…})``, unquoted delimiters and (when linting) always-matching patterns;
3. walk the pattern once, validating what Perl 5.36 rejects (unknown escapes, false ranges,
   nested quantifiers, bad back-references, …: with ``use warnings`` any non-deprecation
   warning is fatal in SpamAssassin) and rewriting what ``regex`` lacks or reads differently:

   * ``\\e`` → ``\\x1b``; ``\\Z`` → ``(?=\\n?\\Z)`` (Perl's \\Z allows a final \\n);
     ``\\z`` → ``\\Z``;
   * ``\\h \\H \\v \\V \\R \\N`` → explicit byte classes (Python's ``\\v`` is one byte);
   * ``\\x{…}``, ``\\o{…}``, octal, ``\\cX`` → ``\\xHH`` (code points > 0xFF can never match
     octets: ``(?!)``); ``\\g{-1}``/``\\k<n>`` → absolute/named references;
   * Latin-1 case folding under ``/i`` (Perl folds 0xC0–0xDE ↔ 0xE0–0xFE except 0xD7/0xF7
     even under ``/aa``; ``regex`` bytes patterns do not): each such byte becomes a class
     with its partner, tracked through ``(?i)``/``(?-i)``/``(?i:…)`` scoping;
   * inline modifiers ``a u l d p`` dropped (bytes patterns are ASCII already), ``(?'n'…)``
     → ``(?P<n>…)``;

4. compile with ``regex.compile(pattern, regex.V0)``; errors are mapped to Perl's messages.

Invariants: never executes rule text; every problem is returned, never raised.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Final

import regex

__all__ = [
    "PerlRegex",
    "RegexProblem",
    "compile_perl_regex",
    "latin1_partner",
    "split_delimiters",
]

# Perl letters with a meaning after a backslash outside a class (perlrebackslash).
_ESCAPES_OUTSIDE: Final = frozenset("aAbBcdDeEfgGhHkKnNoprRsStvVwWxXzZ") - {"E"}
_ESCAPES_INSIDE: Final = frozenset("abcdDefhHnNoprsStvVwWx")
_POSIX_NAMES: Final = frozenset(
    [
        "alpha",
        "alnum",
        "ascii",
        "blank",
        "cntrl",
        "digit",
        "graph",
        "lower",
        "print",
        "punct",
        "space",
        "upper",
        "word",
        "xdigit",
    ]
)
_H_CLASS: Final = "\\t\\x20\\xa0"  # Perl \h on octets: tab, space, NBSP (not restricted by /aa)
_V_CLASS: Final = "\\n\\x0b\\x0c\\r\\x85"  # Perl \v on octets
_MAX_PATTERN: Final = 4 * 1024 * 1024  # longer patterns are refused (regexp-too-complex)
# Perl >= 5.34 allows blanks next to the braces and the comma: "a{ 1 , 2 }".
_QUANT_RE: Final = re.compile(r"\{[ \t]*(\d*)[ \t]*(?:(,)[ \t]*(\d*)[ \t]*)?\}", re.ASCII)
_UNBOUNDED: Final = 1 << 30
_POSIX_OUTSIDE: Final = re.compile(r"\[([:.=])[^\]]*?\1\]")
_POSIX_INSIDE: Final = re.compile(r"\[([:.=])(\^?)(\w*)\1\]", re.ASCII)
_DIGITS: Final = re.compile(r"\d+", re.ASCII)
_OCTAL: Final = re.compile(r"[0-7]{1,3}")
# A character class without POSIX brackets: its translation depends only on its text and
# the case-insensitive mode, and ReplaceTags expansions repeat the same classes thousands
# of times, so translations are memoised (bounded).
_SIMPLE_CLASS: Final = re.compile(r"\[\^?(?:[^\\\[\]]|\\.)+\]", re.S)
_CLASS_MEMO: dict[tuple[str, bool], str] = {}
_CAPTURE_OPEN: Final = re.compile(r"\((?![?*])|\(\?(?:P?<[A-Za-z_]|'[A-Za-z_])", re.ASCII)


def latin1_partner(byte: int) -> int | None:
    """The byte Perl folds ``byte`` to under ``/i`` on octets, or None (§4.1)."""
    if 0xC0 <= byte <= 0xDE and byte != 0xD7:
        return byte + 0x20
    if 0xE0 <= byte <= 0xFE and byte != 0xF7:
        return byte - 0x20
    return None


@dataclass(frozen=True, slots=True)
class RegexProblem:
    """Why a rule regex was refused.

    Attributes:
        kind: diagnostic kind (``invalid-regexp``, ``missing-delimiters`` …).
        message: SpamAssassin's error text (after ``invalid regexp for NAME 'RE': ``).
        offset: 0-based offset of the problem in the rule text as written, or None.
    """

    kind: str
    message: str
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class PerlRegex:
    """A rule regex SpamAssassin accepts.

    Attributes:
        pattern: the Perl pattern text without delimiters and modifiers (what follows
            ``(?^aa:(?mods)`` in SpamAssassin's compiled form).
        flags: the modifiers after the closing delimiter (``"i"``, ``"ms"``, ``""``).
        translated: the equivalent ``regex`` V0 bytes pattern (flags included); None
            until first needed when the regex was accepted without translating it
            (ReplaceTags results of non-header rules, see ``compile.py``).
    """

    pattern: str
    flags: str
    translated_text: bytes | None = None
    _cache: list[object] = field(default_factory=list, compare=False, repr=False, hash=False)

    @property
    def translated(self) -> bytes:
        """The ``regex`` bytes pattern (translated on first use)."""
        if self.translated_text is not None:
            return self.translated_text
        with _LOCK:
            for item in self._cache:
                if isinstance(item, bytes):
                    return item
            full = f"(?{self.flags}){self.pattern}" if self.flags else self.pattern
            translator = _Translator(full)
            problem = translator.run()
            # Unreachable for accepted rules; a pattern that cannot match keeps us safe.
            text = b"(?!)" if problem is not None else translator.output().encode("latin-1")
            self._cache.append(text)
            return text

    @property
    def compiled(self) -> regex.Pattern[bytes]:
        """The compiled pattern (compiled on first use; thread-safe, idempotent).

        A pattern ``regex`` cannot compile (only possible for lazily checked ReplaceTags
        results) compiles to one that never matches.
        """
        for item in self._cache:
            if isinstance(item, regex.Pattern):
                return item
        translated = self.translated
        with _LOCK:
            for item in self._cache:
                if isinstance(item, regex.Pattern):
                    return item
            try:
                compiled = regex.compile(translated, regex.V0)
            except (regex.error, OverflowError, RecursionError, MemoryError, ValueError):
                compiled = regex.compile(b"(?!)")
            self._cache.append(compiled)
            return compiled

    @property
    def perl_form(self) -> str:
        """``(?^aa:(?flags)pattern)``, as Perl stringifies SpamAssassin's compiled regex."""
        prefix = f"(?{self.flags})" if self.flags else ""
        return f"(?^aa:{prefix}{self.pattern})"


_LOCK = threading.Lock()


def split_delimiters(text: str) -> tuple[str, str, int] | RegexProblem:
    """Strip Perl delimiters: ``(pattern, modifiers, offset of pattern in text)``."""
    if text.startswith("/"):
        body, end, start = text[1:], "/", 1
    else:
        match = re.match(r"(?:m|qr)(\W)", text, re.ASCII)
        if match is None:
            return RegexProblem("missing-delimiters", "missing regexp delimiters", 0)
        opener = match.group(1)
        if opener == "\\":
            return RegexProblem("missing-delimiters", "backslash delimiter not allowed", 0)
        end = {"{": "}", "(": ")", "<": ">", "[": "]"}.get(opener, opener)
        start = match.end()
        body = text[start:]
    tail = re.search(re.escape(end) + r"([a-df-z]*)\Z", body)
    if tail is None:
        return RegexProblem("invalid-end-delimiter", "invalid end delimiter/mods", len(text) - 1)
    pattern = body[: tail.start()]
    return pattern, tail.group(1), start


def _unquoted_delimiter(text: str, pattern: str, start: int) -> RegexProblem | None:
    """``compile_regexp``: an unescaped closing delimiter inside the pattern (checked only
    for delimiters that are not brackets ``} ) ]``; ``>`` is checked), after ``(?{``."""
    end = "/" if text.startswith("/") else text[start - 1]
    end = {"{": "}", "(": ")", "<": ">", "[": "]"}.get(end, end)
    if end in "})]":
        return None
    stripped = pattern.replace("\\\\", "")
    if re.search(r"(?<!\\)" + re.escape(end), stripped):
        where = pattern.find(end)
        return RegexProblem(
            "unquoted-delimiter",
            f"unquoted delimiter '{end}' found",
            start + (where if where >= 0 else 0),
        )
    return None


def always_matching(pattern: str) -> str:
    """``Util.pm is_always_matching_regexp``: the reason, or ``""``."""
    if pattern == "":
        return "empty"
    if re.search(r"(?<!\\)\|\|", pattern):
        return "contains '||'"
    if re.search(r"^\||\|(?<!\\\|)\Z", pattern):
        return "starts or ends with '|'"
    return ""


def compile_perl_regex(
    text: str, *, strip_delimiters: bool = True, lint: bool = False, compile_now: bool = True
) -> PerlRegex | RegexProblem:
    """Validate and translate one rule regex (see module docstring).

    Args:
        text: the regex as written in the rule (with delimiters unless
            ``strip_delimiters`` is false, as ReplaceTags recompiles bare text).
        strip_delimiters: ``compile_regexp(..., 1)`` (rule definitions) vs ``0``.
        lint: also refuse always-matching patterns (``--lint`` behaviour).
        compile_now: also compile with ``regex`` (catches the few errors our validating
            translator leaves to the engine); otherwise compiled on first use.
    """
    if strip_delimiters:
        split = split_delimiters(text)
        if isinstance(split, RegexProblem):
            return split
        pattern, flags, start = split
    else:
        pattern, flags, start = text, "", 0
    if "?{" in pattern and re.search(r"\(\?\??\{", pattern):
        return RegexProblem("regexp-code-block", "eval (?{}) found", start + pattern.find("?{"))
    if strip_delimiters:
        unquoted = _unquoted_delimiter(text, pattern, start)
        if unquoted is not None:
            return unquoted
    if lint:
        reason = always_matching(pattern)
        if reason:
            return RegexProblem("always-matching-regexp", f"always matching regexp: {reason}", 0)
    if len(pattern) > _MAX_PATTERN:
        return RegexProblem(
            "regexp-too-complex", f"pattern longer than {_MAX_PATTERN} characters", start
        )
    full = f"(?{flags}){pattern}" if flags else pattern
    shift = start - (len(flags) + 3 if flags else 0)
    translator = _Translator(full)
    problem = translator.run()
    if problem is not None:
        return _shifted(problem, shift)
    translated = translator.output().encode("latin-1")
    if not compile_now:
        return PerlRegex(pattern, flags, translated)
    try:
        compiled = regex.compile(translated, regex.V0)
    except regex.error as exc:
        return _shifted(_from_regex_error(full, translator, exc), shift)
    except (OverflowError, RecursionError, MemoryError, ValueError) as exc:
        return RegexProblem("regexp-too-complex", f"{type(exc).__name__}: {exc}", start)
    result = PerlRegex(pattern, flags, translated)
    result._cache.append(compiled)
    return result


def _shifted(problem: RegexProblem, shift: int) -> RegexProblem:
    if problem.offset is None:
        return problem
    return RegexProblem(problem.kind, problem.message, max(problem.offset + shift, 0))


def _marked(full: str, pos: int, what: str) -> str:
    return f"{what} in regex; marked by <-- HERE in m/{full[:pos]} <-- HERE {full[pos:]}/"


def _from_regex_error(full: str, tr: _Translator, exc: regex.error) -> RegexProblem:
    where: int | None = getattr(exc, "pos", None)
    pos = tr.original_position(where if where is not None else len(tr.output()))
    msg = str(exc.msg if hasattr(exc, "msg") else exc)
    perl = {
        "multiple repeat": "Nested quantifiers",
        "nothing to repeat": "Quantifier follows nothing",
        "missing )": "Unmatched (",
        "unbalanced parenthesis": "Unmatched )",
        "unterminated character set": "Unmatched [",
    }.get(msg.split(" at position")[0], msg)
    return RegexProblem("invalid-regexp", _marked(full, pos, perl), pos)


@dataclass(slots=True)
class _Level:
    """An open group (or the whole pattern) while translating."""

    width: bool = False  # some branch can match a character (Perl's HASWIDTH)
    look: bool = False  # a lookaround
    alternation: bool = False  # contains "|"
    # zero-width operands with a bounded quantifier (study_chunk's warning) inside
    pending: int = 0
    captures: bool = False  # is or contains a capture group


class _Translator:
    """One pass over a Perl pattern: validation plus rewriting (module docstring, step 3)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.chunks: list[str] = []
        self.origins: list[int] = []
        # (case-insensitive, extended) per open group; index 0 = whole pattern.
        self.modes: list[list[bool]] = [[False, False]]
        self.open_parens: list[int] = []
        self.groups_opened = 0
        self.total_groups, self.group_names = _count_groups(text)
        # What the last emitted item was: "start" (nothing quantifiable), "atom", "zero"
        # (a zero-width atom: anchor, assertion, group that cannot match a character),
        # "quant".
        self.last = "start"
        self.last_atom_start = 0
        self.last_captures = False  # the last atom is a group holding a capture group
        self.last_pending = 0  # pending operands the last atom (a group) passed up
        self.previous = ""  # the text of the previous token
        # Per open group (index 0 = whole pattern).
        self.group_info: list[_Level] = [_Level()]

    # -- output bookkeeping --
    def emit(self, text: str, origin: int) -> None:
        self.chunks.append(text)
        self.origins.append(origin)

    def output(self) -> str:
        return "".join(self.chunks)

    def original_position(self, out_pos: int) -> int:
        total = 0
        for chunk, origin in zip(self.chunks, self.origins, strict=True):
            if total + len(chunk) > out_pos:
                return origin
            total += len(chunk)
        return len(self.text)

    def error(self, pos: int, what: str) -> RegexProblem:
        return RegexProblem("invalid-regexp", _marked(self.text, pos, what), pos)

    @property
    def ci(self) -> bool:
        return self.modes[-1][0]

    # -- main loop --
    def run(self) -> RegexProblem | None:
        text = self.text
        n = len(text)
        while self.i < n:
            ch = text[self.i]
            start = self.i
            if self.modes[-1][1] and ch in " \t\n\r\f":
                self.emit(ch, start)
                self.i += 1
                continue
            if self.modes[-1][1] and ch == "#":
                end = text.find("\n", self.i)
                end = n if end < 0 else end
                self.emit(text[self.i : end], start)
                self.i = end
                continue
            atom_start = start
            if ch == "\\":
                problem = self.escape_outside()
            elif ch == "[":
                problem = self.char_class()
            elif ch == "(" and text.startswith("(?#", start):
                problem = self.open_group()  # a comment: no token for what follows
                if problem is not None:
                    return problem
                continue
            elif ch == "(":
                depth = len(self.open_parens)
                problem = self.open_group()
                if len(self.open_parens) > depth:
                    look = text.startswith(("(?=", "(?!", "(?<=", "(?<!"), start)
                    capture = _CAPTURE_OPEN.match(text, start) is not None
                    self.group_info.append(_Level(look=look, captures=capture))
            elif ch == ")":
                if not self.open_parens:
                    return self.error(self.i + 1, "Unmatched )")
                atom_start = self.open_parens.pop()
                self.modes.pop()
                level = self.group_info.pop()
                self.emit(")", start)
                self.i += 1
                # Perl's HASWIDTH: a group is zero-width when no branch can match a
                # character; lookarounds always are (regcomp.c regpiece warnings below).
                self.last = "zero" if level.look or not level.width else "atom"
                self.last_captures = level.captures
                self.group_info[-1].captures |= level.captures
                self.last_pending = 0
                if level.pending and not (level.look or level.alternation):
                    self.group_info[-1].pending += level.pending
                    self.last_pending = level.pending
                problem = None
            elif ch in "*+?{":
                problem = self.quantifier()
            elif ch == "|":
                self.emit(ch, start)
                self.i += 1
                self.last = "start"
                self.group_info[-1].alternation = True
                problem = None
            elif ch in "^$":
                self.emit(ch, start)
                self.i += 1
                self.last = "zero"
                problem = None
            elif ch == ".":
                self.emit(".", start)
                self.i += 1
                self.last = "atom"
                problem = None
            else:
                self.literal(ord(ch), start)
                self.i += 1
                problem = None
            if problem is not None:
                return problem
            if self.last in ("atom", "zero") and ch not in "*+?{":
                self.last_atom_start = atom_start
                if self.last == "atom":
                    self.group_info[-1].width = True
            self.previous = text[start : self.i]
        if self.open_parens:
            return self.error(self.open_parens[-1] + 1, "Unmatched (")
        if self.group_info[0].pending and not self.group_info[0].alternation:
            # regcomp.c study_chunk, after parsing: a zero-width operand with a bounded
            # quantifier other than {0,n}; not checked inside alternations or lookarounds.
            return RegexProblem(
                "invalid-regexp",
                f"Quantifier unexpected on zero-length expression in regex m/{text}/",
                0,
            )
        return None

    def literal(self, code: int, origin: int) -> None:
        partner = latin1_partner(code) if self.ci else None
        if partner is not None:
            self.emit(f"[\\x{code:02x}\\x{partner:02x}]", origin)
        elif code > 0xFF:
            self.emit("(?!)", origin)  # a code point above 0xFF never matches octets
        elif code >= 0x80 or code < 0x20 or chr(code) in "\\^$.|?*+()[]{}#" or chr(code) in " ":
            self.emit(f"\\x{code:02x}", origin)
        else:
            self.emit(chr(code), origin)
        self.last = "atom"

    def quantifier(self) -> RegexProblem | None:
        text, start = self.text, self.i
        ch = text[start]
        low, high = {"*": (0, _UNBOUNDED), "+": (1, _UNBOUNDED), "?": (0, 1)}.get(ch, (0, 0))
        if ch == "{":
            match = _QUANT_RE.match(text, start)
            is_quant = match is not None and (
                match.group(1) != "" or match.group(3) not in ("", None)
            )
            if not is_quant:
                # A literal "{": fine where nothing could be quantified, after a
                # quantifier or "^"; "illegal" right after a letter escape (\d{, \Z{),
                # "passed through" (a fatal warning for SpamAssassin) elsewhere.
                if self.last in ("start", "quant") or self.previous == "^":
                    self.literal(ord("{"), start)
                    self.i += 1
                    self.last_atom_start = start
                    self.group_info[-1].width = True
                    self.previous = "{"
                    return None
                prev = self.previous
                if prev.startswith("\\") and prev[-1:].isascii() and prev[-1:].isalpha():
                    return self.error(start + 1, "Unescaped left brace in regex is illegal here")
                return self.error(start + 1, "Unescaped left brace in regex is passed through")
            assert match is not None
            first, comma, second = match.group(1), match.group(2), match.group(3)
            if first and second and comma and int(first) > int(second):
                return self.error(match.end(), "Quantifier {n,m} with n > m can't match")
            low = int(first) if first else 0
            high = (int(second) if second else _UNBOUNDED) if comma else low
            end = match.end()
            spelled = "{" + first + (f",{second}" if comma else "") + "}"
        else:
            end = start + 1
            spelled = ch
        if self.last == "start":
            if ch == "{":
                # Perl takes "{2}" where nothing can be quantified as literal text.
                for position in range(start, end):
                    self.literal(ord(text[position]), position)
                self.i = end
                self.last_atom_start = start
                self.group_info[-1].width = True
                self.previous = "}"
                return None
            return self.error(end, "Quantifier follows nothing")
        if self.last == "quant":
            return self.error(end, "Nested quantifiers")
        if low == 0 and text[self.last_atom_start] == "(":
            # study_chunk does not look inside an optional group ("(?:x(?=a){2})?").
            self.group_info[-1].pending -= self.last_pending
            self.last_pending = 0
        if self.last == "zero":
            # regcomp.c regpiece: a quantified zero-width operand.
            operand = text[self.last_atom_start : end]
            if high == _UNBOUNDED:
                what = "is forbidden - matches" if operand.startswith("\\K") else "matches"
                return self.error(end, f"{operand} {what} null string many times")
            operand_captures = self.last_captures and operand.startswith("(")
            if (low != 0 or high < 1) and not operand_captures:
                self.group_info[-1].pending += 1
        if end < len(text) and text[end] in "?+":
            if text[end] == "?" and low == high:
                # regcomp.c regpiece: a fixed count cannot be lazy.
                return self.error(end + 1, "Useless use of greediness modifier '?'")
            spelled += text[end]
            end += 1
        self.emit(spelled, start)
        self.i = end
        self.last = "quant"
        self.previous = text[start:end]
        return None

    # -- groups --
    def open_group(self) -> RegexProblem | None:
        text, start = self.text, self.i
        rest = text[start + 1 :]
        self.open_parens.append(start)
        inherited = list(self.modes[-1])
        before = self.last
        self.last = "start"
        if not rest.startswith("?") and not rest.startswith("*"):
            self.groups_opened += 1
            self.modes.append(inherited)
            self.emit("(", start)
            self.i += 1
            return None
        if rest.startswith("*"):
            self.modes.append(inherited)
            self.emit("(", start)
            self.i += 1
            return None
        if rest.startswith("?#"):
            end = text.find(")", start)
            if end < 0:
                return RegexProblem(
                    "invalid-regexp", f"Sequence (?#... not terminated in regex m/{text}/", start
                )
            self.open_parens.pop()
            self.i = end + 1
            self.last = before  # a comment is transparent: "a(?#c)*" quantifies "a"
            return None
        named = re.match(r"\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')", rest, re.ASCII)
        if named:
            self.groups_opened += 1
            self.modes.append(inherited)
            self.emit(f"(?P<{named.group(1) or named.group(2)}>", start)
            self.i = start + 1 + named.end()
            return None
        for prefix in ("?:", "?=", "?!", "?<=", "?<!", "?>", "?|", "?P=", "?P>", "?&", "?(", "?R)"):
            if rest.startswith(prefix):
                self.modes.append(inherited)
                if prefix in ("?<=", "?<!"):
                    problem = _check_lookbehind(text, start + 1 + len(prefix))
                    if problem is not None:
                        return problem
                self.emit("(" + prefix, start)
                self.i = start + 1 + len(prefix)
                if prefix == "?R)":
                    self.open_parens.pop()
                    self.modes.pop()
                    self.last = "atom"
                return None
        recursion = re.match(r"\?[+-]?\d+\)", rest, re.ASCII)
        if recursion:
            self.open_parens.pop()
            self.emit("(" + recursion.group(0), start)
            self.i = start + 1 + recursion.end()
            self.last = "atom"
            return None
        return self.flag_group(start, rest, inherited)

    def flag_group(self, start: int, rest: str, inherited: list[bool]) -> RegexProblem | None:
        match = re.match(r"\?(\^?)([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])?", rest)
        assert match is not None
        caret, on, off, close = match.group(1), match.group(2), match.group(3) or "", match.group(4)
        here = start + 1 + match.end() - (1 if close else 0)
        for letter in on + off:
            if letter in "goc":
                what = "/gc" if letter == "c" else f"/{letter}"
                return self.error(here, f"Useless (?{letter}) - use {what} modifier")
            if letter not in "adilmnpsux":
                pos = start + 2 + len(caret) + (on + "-" + off).index(letter) + 1
                return self.error(pos, f"Sequence (?{letter}...) not recognized")
        if on.count("a") > 2 or ("a" in on and set(on) & set("dlu")):
            return self.error(here, 'Regexp modifier "a" may appear a maximum of twice')
        if close is None:
            return self.error(here, "Sequence (?... not terminated")
        if "n" in on or caret:
            return RegexProblem(
                "unsupported-regexp",
                _marked(self.text, here, "spamhdr cannot translate (?^ / (?n"),
                start,
            )
        mode = [False, False] if caret else list(inherited)
        for letter, value in [(c, True) for c in on] + [(c, False) for c in off]:
            if letter == "i":
                mode[0] = value
            elif letter == "x":
                mode[1] = value
        kept_on = "".join(c for c in on if c in "imsx")
        kept_off = "".join(c for c in off if c in "imsx")
        flags = kept_on + (f"-{kept_off}" if kept_off else "")
        self.i = start + 1 + match.end()
        if close == ":":
            self.modes.append(mode)
            self.emit(f"(?{flags}:" if flags else "(?:", start)
            return None
        # "(?i)" applies to the end of the enclosing group: change the current mode.
        self.open_parens.pop()
        self.modes[-1] = mode
        if flags:
            self.emit(f"(?{flags})", start)
        return None

    # -- escapes --
    def escape_outside(self) -> RegexProblem | None:
        text, start = self.text, self.i
        if start + 1 >= len(text):
            return RegexProblem("invalid-regexp", f"Trailing \\ in regex m/{text}/", start)
        ch = text[start + 1]
        self.i = start + 2
        self.last = "atom"
        simple = {
            "e": "\\x1b", "z": "\\Z", "Z": "(?=\\n?\\Z)", "a": "\\x07",
            "h": f"[{_H_CLASS}]", "H": f"[^{_H_CLASS}]", "v": f"[{_V_CLASS}]",
            "V": f"[^{_V_CLASS}]", "R": f"(?:\\r\\n|[{_V_CLASS}])",
        }  # fmt: skip
        if ch in simple:
            self.emit(simple[ch], start)
            if ch in "zZ":
                self.last = "zero"
            return None
        if ch in "AGbBK":
            if ch in "bB" and text.startswith("{", self.i):
                return self.error(self.i, f"Using /u for '\\{ch}{{...}}' instead of /aa")
            self.emit("\\" + ch, start)
            self.last = "zero"
            return None
        if ch in "dDwWsSntfr":
            self.emit("\\" + ch, start)
            return None
        if ch == "N":
            quantified = _QUANT_RE.match(text, self.i)
            if text.startswith("{", self.i) and not (
                quantified and (quantified.group(1) or quantified.group(3))
            ):
                return RegexProblem(
                    "unsupported-regexp", _marked(text, self.i, "\\N{...} in a rule regex"), start
                )
            self.emit("[^\\n]", start)
            return None
        if ch == "C":
            return self.error(start + 1, "\\C no longer supported")
        if ch == "X" or ch in "pP":
            return RegexProblem(
                "unsupported-regexp",
                _marked(text, self.i, f"spamhdr cannot translate \\{ch} on octets"),
                start,
            )
        if ch in "gk":
            return self.backreference(start, ch)
        if ch.isascii() and ch.isdigit():
            return self.digits(start)
        code = self.char_escape(start, ch)
        if isinstance(code, RegexProblem):
            return code
        if code is not None:
            self.literal(code, start)
            return None
        if ch.isascii() and ch.isalpha() and not text.startswith("{", self.i):
            # Perl does not warn when a brace follows ("\y{2}" is "yy"; "\y{x}" then
            # fails as an illegal brace).
            return self.error(self.i, f"Unrecognized escape \\{ch} passed through")
        self.literal(ord(ch), start)
        return None

    def char_escape(self, start: int, ch: str) -> int | RegexProblem | None:
        """``\\x \\o \\c \\0`` and friends: the byte value (``self.i`` moved past it)."""
        text = self.text
        if ch == "x":
            if text.startswith("{", self.i):
                end = text.find("}", self.i)
                if end < 0:
                    return self.error(self.i + 1, "Missing right brace on \\x{}")
                digits = text[self.i + 1 : end].strip().replace("_", "")
                self.i = end + 1
                try:
                    return int(digits, 16) if digits else 0
                except ValueError:
                    return self.error(self.i, "Non-hex character")
            match = re.match(r"[0-9A-Fa-f]{0,2}", text[self.i :])
            assert match is not None
            digits = match.group(0)
            self.i += len(digits)
            if (
                len(digits) < 2
                and self.i < len(text)
                and text[self.i] not in "0123456789abcdefABCDEF"
            ):
                nxt = text[self.i]
                if nxt.isascii() and nxt.isalnum():
                    return self.error(
                        start + 2,
                        f"Non-hex character '{nxt}' terminates \\x early.  "
                        f'Resolved as "\\x{int(digits or "0", 16):02X}{nxt}"',
                    )
            return int(digits, 16) if digits else 0
        if ch == "o":
            match = re.match(r"\{([0-7]+)\}", text[self.i :])
            if match is None:
                return self.error(self.i, "Missing braces on \\o{}")
            self.i += match.end()
            return int(match.group(1), 8)
        if ch == "c":
            if self.i >= len(text) or not (" " <= text[self.i] <= "~"):
                return self.error(self.i, 'Character following "\\c" must be printable ASCII')
            code = ord(text[self.i].upper()) ^ 64
            self.i += 1
            return code
        if ch == "f":
            return 0x0C
        if ch == "e":
            return 0x1B
        if ch == "a":
            return 0x07
        return None

    def digits(self, start: int) -> RegexProblem | None:
        text = self.text
        match = _DIGITS.match(text, start + 1)
        assert match is not None
        digits = match.group(0)
        if digits.startswith("0"):
            octal = re.match(r"[0-7]{1,3}", digits)
            assert octal is not None
            self.i = start + 1 + octal.end()
            if self.i < len(text) and text[self.i] in "89" and octal.end() < 3:
                return self.error(
                    self.i + 1,
                    f"Non-octal character '{text[self.i]}' terminates \\0 early.  "
                    f'Resolved as "\\{int(octal.group(0), 8):03o}{text[self.i]}"',
                )
            self.literal(int(octal.group(0), 8), start)
            return None
        number = int(digits)
        if len(digits) == 1 or number <= self.total_groups:
            self.i = start + 1 + len(digits)
            if number > self.total_groups:
                return self.error(self.i, "Reference to nonexistent group")
            self.emit(f"(?:\\g<{number}>)", start)
            self.last = "atom"
            return None
        octal = re.match(r"[0-7]{1,3}", digits)
        if octal is None:
            self.i = start + 1 + len(digits)
            return self.error(self.i, "Reference to nonexistent group")
        self.i = start + 1 + octal.end()
        self.literal(int(octal.group(0), 8) & 0xFF, start)
        return None

    def backreference(self, start: int, ch: str) -> RegexProblem | None:
        text = self.text
        rest = text[self.i :]
        if ch == "g":
            match = re.match(r"\{(-?\d+)\}|(-?\d+)|\{([A-Za-z_]\w*)\}", rest, re.ASCII)
            if match is None:
                return self.error(self.i, "Unterminated \\g... pattern")
            self.i += match.end()
            if match.group(3):
                return self._named_ref(match.group(3))
            number = int(match.group(1) or match.group(2))
            if number < 0:
                number = self.groups_opened + 1 + number
                if number <= 0:
                    return self.error(start + 4, "Reference to nonexistent or unclosed group")
            if number == 0 or number > self.total_groups:
                return self.error(self.i, "Reference to nonexistent group")
            self.emit(f"(?:\\g<{number}>)", start)
            self.last = "atom"
            return None
        match = re.match(r"<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)'|\{([A-Za-z_]\w*)\}", rest, re.ASCII)
        if match is None:
            return self.error(self.i, "Sequence \\k... not terminated")
        self.i += match.end()
        return self._named_ref(match.group(1) or match.group(2) or match.group(3))

    def _named_ref(self, name: str) -> RegexProblem | None:
        if name not in self.group_names:
            return self.error(self.i - 1, "Reference to nonexistent named group")
        self.emit(f"(?P={name})", self.i)
        self.last = "atom"
        return None

    # -- character classes --
    def char_class(self) -> RegexProblem | None:
        text, start = self.text, self.i
        posix_outside = _POSIX_OUTSIDE.match(text, start)
        if posix_outside:
            kind = posix_outside.group(1)
            where = posix_outside.end()
            if kind == ":":
                return self.error(where, "POSIX syntax [: :] belongs inside character classes")
            return self.error(
                where,
                f"POSIX syntax [{kind} {kind}] belongs inside character classes "
                "(but this one isn't implemented)",
            )
        simple = _SIMPLE_CLASS.match(text, start)
        key = (simple.group(0), self.ci) if simple is not None else None
        if key is not None and key in _CLASS_MEMO:
            self.emit(_CLASS_MEMO[key], start)
            self.i = start + len(key[0])
            self.last = "atom"
            return None
        i = start + 1
        negate = text.startswith("^", i)
        if negate:
            i += 1
        items: list[str] = []  # translated members, already escaped
        codes: list[tuple[int, int]] = []  # literal ranges, for Latin-1 folding
        first = True
        prev_literal: int | None = None  # code of the previous single literal (range start)
        prev_class: str | None = None  # text of a previous class escape (false range check)
        while True:
            if i >= len(text):
                return self.error(start + 1, "Unmatched [")
            ch = text[i]
            if ch == "]" and not first:
                i += 1
                break
            first = False
            if ch == "[" and text.startswith((":", ".", "="), i + 1):
                match = _POSIX_INSIDE.match(text[i : i + 64])
                if match is None:
                    items.append("\\[")
                    i += 1
                    prev_literal, prev_class = ord("["), None
                    continue
                kind, name = match.group(1), match.group(3)
                if kind != ":":
                    return self.error(
                        i + match.end(),
                        f"POSIX syntax [{kind} {kind}] is reserved for future extensions",
                    )
                if name not in _POSIX_NAMES:
                    return self.error(i + match.end(), f"POSIX class [:{name}:] unknown")
                items.append(match.group(0))
                prev_literal, prev_class = None, match.group(0)
                i += match.end()
                continue
            if (
                ch == "-"
                and (prev_literal is not None or prev_class is not None)
                and i + 1 < len(text)
                and text[i + 1] != "]"
            ):
                if prev_class is not None:
                    return self.error(i + 1, f'False [] range "{prev_class}-"')
                assert prev_literal is not None
                member = self.class_member(i + 1)
                if isinstance(member, RegexProblem):
                    return member
                kind_, value, end = member
                if kind_ != "code":
                    return self.error(end, f'False [] range "{text[i - 1 : end]}"')
                assert isinstance(value, int)
                if value < prev_literal:
                    return self.error(end, f'Invalid [] range "{text[i - 1 : end]}"')
                items[-1] = f"\\x{prev_literal:02x}-\\x{min(value, 0xFF):02x}"
                codes[-1] = (prev_literal, min(value, 0xFF))
                prev_literal, prev_class = None, None
                i = end
                continue
            member = self.class_member(i)
            if isinstance(member, RegexProblem):
                return member
            kind_, value, end = member
            if kind_ == "code":
                assert isinstance(value, int)
                if value > 0xFF:
                    prev_literal, prev_class = None, None
                else:
                    items.append(f"\\x{value:02x}")
                    codes.append((value, value))
                    prev_literal, prev_class = value, None
            else:
                assert isinstance(value, str)
                items.append(value)
                prev_literal, prev_class = None, text[i:end]
            i = end
        if self.ci:
            for low, high in codes:
                for code in range(max(low, 0xC0), min(high, 0xFE) + 1):
                    partner = latin1_partner(code)
                    if partner is not None and not (low <= partner <= high):
                        items.append(f"\\x{partner:02x}")
        body = "".join(items)
        if not body:
            # Only code points above 0xFF: matches nothing ([^…] matches any byte).
            translated = "[\\x00-\\xff]" if negate else "(?!)"
        else:
            translated = ("[^" if negate else "[") + body + "]"
        self.emit(translated, start)
        if key is not None and i == start + len(key[0]):
            if len(_CLASS_MEMO) > 20000:
                _CLASS_MEMO.clear()
            _CLASS_MEMO[key] = translated
        self.i = i
        self.last = "atom"
        return None

    def class_member(self, i: int) -> tuple[str, int | str, int] | RegexProblem:
        """One class member at ``i``: ("code", byte, end) or ("class", text, end)."""
        text = self.text
        ch = text[i]
        if ch != "\\":
            return ("code", ord(ch), i + 1)
        if i + 1 >= len(text):
            return self.error(i + 1, "Unmatched [")
        esc = text[i + 1]
        expansions = {"h": _H_CLASS, "v": _V_CLASS}
        if esc in "dDwWsS":
            return ("class", "\\" + esc, i + 2)
        if esc in expansions:
            return ("class", expansions[esc], i + 2)
        if esc in "HV":
            return RegexProblem(
                "unsupported-regexp", _marked(text, i + 2, f"spamhdr cannot translate [\\{esc}]"), i
            )
        if esc == "N":
            return self.error(i + 2, "\\N in a character class must be a named character: \\N{...}")
        simple = {"b": 0x08, "n": 0x0A, "t": 0x09, "r": 0x0D, "f": 0x0C, "e": 0x1B, "a": 0x07}
        if esc in simple:
            return ("code", simple[esc], i + 2)
        if esc in "xoc":
            saved = self.i
            self.i = i + 2
            code = self.char_escape(i, esc)
            end = self.i
            self.i = saved
            if isinstance(code, RegexProblem):
                return code
            assert code is not None
            return ("code", code, end)
        if esc.isascii() and esc.isdigit():
            octal = _OCTAL.match(text[i + 1 : i + 4])
            if octal is None:
                return ("code", ord(esc), i + 2)
            return ("code", int(octal.group(0), 8) & 0xFF, i + 1 + octal.end())
        if esc in "pP":
            return RegexProblem(
                "unsupported-regexp", _marked(text, i + 2, f"spamhdr cannot translate \\{esc}"), i
            )
        if esc.isascii() and esc.isalpha():
            return self.error(
                i + 2, f"Unrecognized escape \\{esc} in character class passed through"
            )
        return ("code", ord(esc), i + 2)


def _count_groups(text: str) -> tuple[int, frozenset[str]]:
    """Capturing groups and group names of a Perl pattern (a quick pre-pass)."""
    count = 0
    names: set[str] = set()
    i, n, in_class = 0, len(text), False
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            i += 1
            continue
        if ch == "[":
            in_class = True
            i += 2 if text.startswith("]", i + 1) or text.startswith("^]", i + 1) else 1
            if text.startswith("^]", i - 1):
                i += 1
            continue
        if ch == "(":
            named = re.match(r"\(\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')", text[i:], re.ASCII)
            if named:
                count += 1
                names.add(named.group(1) or named.group(2))
            elif not text.startswith("(?", i) and not text.startswith("(*", i):
                count += 1
        i += 1
    return count, frozenset(names)


def _check_lookbehind(text: str, start: int) -> RegexProblem | None:
    """Perl 5.36 refuses unbounded look-behind and warns (fatal in SpamAssassin) on
    variable-length look-behind; ``regex`` accepts both, so check here."""
    depth, i = 1, start
    while i < len(text) and depth:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            end = i + 1
            if text.startswith("^", end):
                end += 1
            if text.startswith("]", end):
                end += 1
            close = text.find("]", end)
            i = (close + 1) if close >= 0 else len(text)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                break
        i += 1
    body = text[start:i]
    unbounded = re.search(r"(?<!\\)[*+]|\{\d+,\}", body, re.ASCII)
    if unbounded:
        return RegexProblem(
            "invalid-regexp",
            f"Lookbehind longer than 255 not implemented in regex m/{text}/",
            start,
        )
    width = _fixed_width(body)
    if width is None:
        return RegexProblem(
            "invalid-regexp",
            _marked(text, i, "Variable length lookbehind is experimental"),
            start,
        )
    return None


def _fixed_width(body: str) -> int | None:
    """Width of a simple look-behind body, None if the alternatives or quantifiers vary.

    Handles literals, escapes, classes, ``{n}``, ``?`` and alternation of such pieces in
    nested groups; anything it cannot size is assumed fixed (no false refusals).
    """
    alternatives = _split_top(body, "|")
    widths = set()
    for alt in alternatives:
        width = 0
        i = 0
        while i < len(alt):
            ch = alt[i]
            piece_width = 1
            if ch == "\\":
                i += 2
                if i - 1 < len(alt) and alt[i - 1] in "bBAzZGK":
                    piece_width = 0
            elif ch == "[":
                end = i + 1
                if alt.startswith("^", end):
                    end += 1
                if alt.startswith("]", end):
                    end += 1
                close = alt.find("]", end)
                i = close + 1 if close >= 0 else len(alt)
            elif ch == "(":
                depth, j = 1, i + 1
                while j < len(alt) and depth:
                    if alt[j] == "\\":
                        j += 2
                        continue
                    depth += {"(": 1, ")": -1}.get(alt[j], 0)
                    j += 1
                inner = alt[i + 1 : j - 1]
                if inner.startswith("?"):
                    prefix = re.match(r"\?(?:[:>|]|[imsx-]+:|[=!]|<[=!])", inner)
                    if prefix and inner[prefix.end() - 1] in "=!":
                        piece_width = 0
                        inner = ""
                    elif prefix:
                        inner = inner[prefix.end() :]
                if inner:
                    sub = _fixed_width(inner)
                    if sub is None:
                        return None
                    piece_width = sub
                i = j
            elif ch in "^$":
                piece_width = 0
                i += 1
            else:
                i += 1
            quant = re.match(r"\{(\d+)\}|\{(\d+),(\d+)\}|\?", alt[i:], re.ASCII)
            if quant:
                if quant.group(0) == "?" or (
                    quant.group(2) is not None and quant.group(2) != quant.group(3)
                ):
                    if piece_width:
                        return None
                elif quant.group(1) is not None:
                    piece_width *= int(quant.group(1))
                else:
                    piece_width *= int(quant.group(2))
                i += quant.end()
            width += piece_width
        widths.add(width)
    return widths.pop() if len(widths) == 1 else None


def _split_top(body: str, sep: str) -> list[str]:
    parts, depth, current, i = [], 0, [], 0
    in_class = False
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            current.append(body[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts
