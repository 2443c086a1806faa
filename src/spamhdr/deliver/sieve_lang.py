"""Sieve script text → command tree (RFC 5228 §8 grammar), no evaluation.

Input: a script's text. Output: a tuple of :class:`Command` (with nested tests and
blocks) or :class:`SieveSyntaxError` carrying line and column. Invariants: strings are
decoded (``\\"`` and ``\\\\`` escapes, ``text:`` multi-line strings with dot-unstuffing);
a lone string argument is kept as a one-element list with ``single=True``; comments
(``#`` and ``/* */``) are skipped. Pure; never executes anything.

Grammar::

    commands  = *command
    command   = identifier arguments (";" / block)
    block     = "{" commands "}"
    arguments = *argument [ test / test-list ]
    argument  = string-list / number / tag
    test      = identifier arguments
    test-list = "(" test *("," test) ")"
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Command",
    "Number",
    "SieveSyntaxError",
    "StringList",
    "Tag",
    "Test",
    "parse_sieve",
]


class SieveSyntaxError(Exception):
    """The script does not parse; ``line``/``col`` are 1-based."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(f"line {line}:{col}: {message}")
        self.line = line
        self.col = col


@dataclass(frozen=True, slots=True)
class Tag:
    name: str  # without the colon, lower-cased


@dataclass(frozen=True, slots=True)
class Number:
    value: int


@dataclass(frozen=True, slots=True)
class StringList:
    items: tuple[str, ...]
    single: bool = False


Argument = Tag | Number | StringList


@dataclass(frozen=True, slots=True)
class Test:
    name: str
    args: tuple[Argument, ...]
    tests: tuple[Test, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: tuple[Argument, ...]
    tests: tuple[Test, ...]
    block: tuple[Command, ...] | None
    line: int


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # ident, tag, number, string, punct, eof
    value: object
    line: int
    col: int


_QUANT = {"k": 1024, "m": 1024**2, "g": 1024**3}


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, line, line_start = 0, 1, 0
    n = len(text)
    while i < n:
        ch = text[i]
        col = i - line_start + 1
        if ch == "\n":
            line, line_start, i = line + 1, i + 1, i + 1
            continue
        if ch in " \t\r":
            i += 1
            continue
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise SieveSyntaxError("unterminated comment", line, col)
            line += text.count("\n", i, end)
            if "\n" in text[i:end]:
                line_start = text.rfind("\n", i, end) + 1
            i = end + 2
            continue
        if ch == '"':
            i, value, _lines = _quoted(text, i + 1, line, col)
            toks.append(_Tok("string", value, line, col))
            line, line_start = text.count("\n", 0, i) + 1, text.rfind("\n", 0, i) + 1
            continue
        if text.startswith("text:", i):
            i, value, _unused = _multiline(text, i + 5, line, col)
            toks.append(_Tok("string", value, line, col))
            line, line_start = text.count("\n", 0, i) + 1, text.rfind("\n", 0, i) + 1
            continue
        if ch in ";{}()[],":
            toks.append(_Tok("punct", ch, line, col))
            i += 1
            continue
        if ch == ":":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            if j == i + 1:
                raise SieveSyntaxError("':' without a tag name", line, col)
            toks.append(_Tok("tag", text[i + 1 : j].lower(), line, col))
            i = j
            continue
        if ch.isdigit():
            j = i
            while j < n and text[j].isdigit():
                j += 1
            value_n = int(text[i:j])
            if j < n and text[j].lower() in _QUANT:
                value_n *= _QUANT[text[j].lower()]
                j += 1
            toks.append(_Tok("number", value_n, line, col))
            i = j
            continue
        if ch.isalpha() or ch == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            toks.append(_Tok("ident", text[i:j].lower(), line, col))
            i = j
            continue
        raise SieveSyntaxError(f"unexpected character {ch!r}", line, col)
    toks.append(_Tok("eof", None, line, i - line_start + 1))
    return toks


def _quoted(text: str, i: int, line: int, col: int) -> tuple[int, str, int]:
    out: list[str] = []
    lines = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])  # RFC 5228 §2.4.2: "\x" is x
            i += 2
            continue
        if ch == '"':
            return i + 1, "".join(out).replace("\r\n", "\n"), lines
        if ch == "\n":
            lines += 1
        out.append(ch)
        i += 1
    raise SieveSyntaxError("unterminated string", line, col)


def _multiline(text: str, i: int, line: int, col: int) -> tuple[int, str, int]:
    eol = text.find("\n", i)
    if eol < 0:
        raise SieveSyntaxError("unterminated text: string", line, col)
    rest = text[i:eol].strip()
    if rest and not rest.startswith("#"):
        raise SieveSyntaxError("text: must be followed by a line end", line, col)
    out: list[str] = []
    pos = eol + 1
    while pos <= len(text):
        end = text.find("\n", pos)
        raw = text[pos:] if end < 0 else text[pos:end]
        stripped = raw.rstrip("\r")
        if stripped == ".":
            return (len(text) if end < 0 else end + 1), "".join(out), 0
        out.append((stripped[1:] if stripped.startswith("..") else stripped) + "\n")
        if end < 0:
            break
        pos = end + 1
    raise SieveSyntaxError("unterminated text: string (no line with a single '.')", line, col)


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.pos = 0

    def peek(self) -> _Tok:
        return self.toks[self.pos]

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def punct(self, value: str) -> bool:
        tok = self.peek()
        return tok.kind == "punct" and tok.value == value

    def expect(self, value: str) -> None:
        tok = self.take()
        if tok.kind != "punct" or tok.value != value:
            raise SieveSyntaxError(f"expected {value!r}, found {_describe(tok)}", tok.line, tok.col)

    def commands(self, until_brace: bool) -> tuple[Command, ...]:
        out: list[Command] = []
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                if until_brace:
                    raise SieveSyntaxError("missing '}'", tok.line, tok.col)
                return tuple(out)
            if until_brace and self.punct("}"):
                self.take()
                return tuple(out)
            out.append(self.command())

    def command(self) -> Command:
        tok = self.take()
        if tok.kind != "ident":
            raise SieveSyntaxError(f"expected a command, found {_describe(tok)}", tok.line, tok.col)
        args, tests = self.arguments()
        if self.punct(";"):
            self.take()
            return Command(str(tok.value), args, tests, None, tok.line)
        if self.punct("{"):
            self.take()
            block = self.commands(until_brace=True)
            return Command(str(tok.value), args, tests, block, tok.line)
        nxt = self.peek()
        raise SieveSyntaxError(f"expected ';' or '{{', found {_describe(nxt)}", nxt.line, nxt.col)

    def arguments(self) -> tuple[tuple[Argument, ...], tuple[Test, ...]]:
        args: list[Argument] = []
        while True:
            tok = self.peek()
            if tok.kind == "tag":
                self.take()
                args.append(Tag(str(tok.value)))
            elif tok.kind == "number":
                self.take()
                args.append(Number(int(str(tok.value))))
            elif tok.kind == "string":
                self.take()
                args.append(StringList((str(tok.value),), single=True))
            elif self.punct("["):
                args.append(self.string_list())
            else:
                break
        tests: tuple[Test, ...] = ()
        if self.punct("("):
            self.take()
            items = [self.test()]
            while self.punct(","):
                self.take()
                items.append(self.test())
            self.expect(")")
            tests = tuple(items)
        elif self.peek().kind == "ident":
            tests = (self.test(),)
        return tuple(args), tests

    def string_list(self) -> StringList:
        self.expect("[")
        items: list[str] = []
        while True:
            tok = self.take()
            if tok.kind != "string":
                raise SieveSyntaxError(
                    f"expected a string, found {_describe(tok)}", tok.line, tok.col
                )
            items.append(str(tok.value))
            if self.punct(","):
                self.take()
                continue
            self.expect("]")
            return StringList(tuple(items))

    def test(self) -> Test:
        tok = self.take()
        if tok.kind != "ident":
            raise SieveSyntaxError(f"expected a test, found {_describe(tok)}", tok.line, tok.col)
        args, tests = self.arguments()
        return Test(str(tok.value), args, tests, tok.line)


def _describe(tok: _Tok) -> str:
    if tok.kind == "eof":
        return "end of script"
    if tok.kind == "string":
        return "a string"
    return repr(tok.value)


def parse_sieve(text: str) -> tuple[Command, ...]:
    """Parse a whole script.

    Raises:
        SieveSyntaxError: with the 1-based line and column of the problem.
    """
    return _Parser(_lex(text)).commands(until_brace=False)
