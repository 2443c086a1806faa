"""Meta expressions: SpamAssassin's lexer, validation, a parser to an AST, and an evaluator.

Input: the text of a ``meta`` rule (or of an ``if`` condition). Output: tokens, a validation
verdict with SpamAssassin's message, a frozen :data:`MetaExpr` tree, the rule names it
depends on, and closures that evaluate the tree with Perl's value semantics.

Grammar (Perl operator precedence, loosest first; spec/sa-rules.md §6.1–6.2)::

    expr    := or ( "?" expr ":" expr )?          right-associative
    or      := and ( "||" and )*
    and     := xor ( "&&" xor )*
    xor     := eq ( "^" eq )*                     integer XOR
    eq      := rel ( ("==" | "!=") rel )*         chained, as Perl >= 5.32
    rel     := add ( ("<" | ">" | "<=" | ">=") add )*   chained
    add     := mul ( ("+" | "-") mul )*
    mul     := unary ( ("*" | "/") unary )*
    unary   := ("!" | "-" | "+") unary | primary
    primary := NUMBER | NAME | "(" expr? ")"

Invariants: nothing here calls ``eval``/``exec``; characters the lexer does not know are
dropped, exactly like ``Constants.pm ARITH_EXPRESSION_LEXER`` used as a global match;
validation follows ``Parser.pm is_meta_valid`` (rule names replaced by 0, the degenerate
expression "evaluated": a syntax error or a division by zero rejects the rule).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "META_LEXER",
    "RULES_MATCHING_RE",
    "Binary",
    "Call",
    "Chain",
    "Empty",
    "MetaExpr",
    "MetaSyntaxError",
    "Name",
    "Num",
    "Str",
    "Ternary",
    "Unary",
    "compile_meta",
    "evaluate_meta",
    "expand_rules_matching",
    "meta_names",
    "parse_meta",
    "perl_truth",
    "tokenize_meta",
    "validate_meta",
]

# Constants.pm ARITH_EXPRESSION_LEXER, alternatives in the same order. Perl's \w and \d on
# the (non-UTF-8) rule text are ASCII, hence re.ASCII.
META_LEXER: Final = re.compile(
    r"[\-+\d.]+|\w[\w:]*|[()]|\|\||&&|\^|!(?!=)|>=?|<=?|==|!=|[+\-*/]|[?:]", re.ASCII
)
# Constants.pm IS_RULENAME and META_RULES_MATCHING_RE.
RULENAME_RE: Final = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]{0,127}\Z", re.ASCII)
RULES_MATCHING_RE: Final = re.compile(
    r"(?<!_)\brules_matching\(\s*([_a-zA-Z*?][_a-zA-Z0-9*?]{0,127})\s*\)", re.ASCII
)
# Parser.pm is_meta_valid: an unsigned decimal or 1-2 punctuation characters.
_VALID_OTHER_TOKEN: Final = re.compile(r"(?:\d+(?:\.\d+)?|[!-/:-@\[-`{-~]{1,2})\Z", re.ASCII)
# Bug 7557 paranoid check: refused with a plain warning, not a lint error.
_PARANOID: Final = re.compile(r"::|->|[$@%;{}]")
_NUMBER: Final = re.compile(r"\d+(?:\.\d+)?\Z", re.ASCII)


class MetaSyntaxError(Exception):
    """Internal: the expression is not valid Perl (caught by the compiler stage)."""


# --- AST ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    value: float


@dataclass(frozen=True, slots=True)
class Str:
    """A quoted class name in an ``if`` condition (Perl string, true unless empty/"0")."""

    value: str


@dataclass(frozen=True, slots=True)
class Name:
    """A rule name (or ``local_tests_only``)."""

    name: str


@dataclass(frozen=True, slots=True)
class Empty:
    """``()``: Perl's empty list, undef in scalar context (value 0)."""


@dataclass(frozen=True, slots=True)
class Call:
    """``plugin(X)``, ``can(X)``, ``has(X)`` in an ``if`` condition."""

    function: str
    argument: str | None


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: MetaExpr


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: MetaExpr
    right: MetaExpr


@dataclass(frozen=True, slots=True)
class Chain:
    """``a < b < c`` (Perl 5.32+ chained comparison): ``ops[i]`` between operands i, i+1."""

    ops: tuple[str, ...]
    operands: tuple[MetaExpr, ...]


@dataclass(frozen=True, slots=True)
class Ternary:
    cond: MetaExpr
    then: MetaExpr
    other: MetaExpr


MetaExpr = Num | Str | Name | Empty | Call | Unary | Binary | Chain | Ternary


# --- lexing and validation ---------------------------------------------------------------


def tokenize_meta(text: str) -> list[str]:
    """Tokens of ``text`` as SpamAssassin's global-match lexer finds them (unknown chars
    are dropped)."""
    return META_LEXER.findall(text)


def expand_rules_matching(
    text: str,
    meta_name: str,
    scored_names: Sequence[str],
    cache: dict[str, str] | None = None,
) -> str:
    """Replace ``rules_matching(GLOB)`` by ``( R1+R2+… )`` (``Parser.pm expand_ruleglob``).

    ``scored_names`` are the names with a score entry (every rule after default scores, plus
    score-only names); the meta itself is excluded; no match gives ``( 0 )``.

    ``cache`` is SpamAssassin's ``ruleglob_cache``: one expansion per glob text for the
    whole configuration, computed by the first meta that uses the glob — so that meta's
    name is the one excluded, also for every later meta using the same glob (a later meta
    matching the glob then depends on itself and is excluded as a cycle).
    """

    def expand(match: re.Match[str]) -> str:
        glob = match.group(1)
        if cache is not None and glob in cache:
            expanded = cache[glob]
        else:
            pattern = re.compile(
                "".join(".*?" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
                + r"\Z"
            )
            found = sorted(n for n in scored_names if n != meta_name and pattern.match(n))
            expanded = "+".join(found) if found else "0"
            if cache is not None:
                cache[glob] = expanded
        return f" ({expanded}) "

    return RULES_MATCHING_RE.sub(expand, text)


@dataclass(frozen=True, slots=True)
class MetaVerdict:
    """Outcome of :func:`validate_meta`: ``kind`` None when valid, else the diagnostic kind."""

    kind: str | None
    message: str


def validate_meta(name: str, text: str) -> MetaVerdict:
    """Check a meta expression as ``Parser.pm is_meta_valid`` does.

    Returns a verdict whose ``message`` is SpamAssassin's wording, e.g.
    ``invalid meta M1 token: +1`` or ``invalid expression for rule M: "A / B": division by
    zero possible``.
    """
    if _PARANOID.search(text):
        return MetaVerdict("invalid-meta-rule", f"invalid meta {name} rule: {text}")
    degenerate = RULES_MATCHING_RE.sub(" 0 ", text)
    tokens = tokenize_meta(degenerate)
    for token in tokens:
        if not RULENAME_RE.match(token) and not _VALID_OTHER_TOKEN.match(token):
            return MetaVerdict("invalid-meta-token", f"invalid meta {name} token: {token}")
    try:
        tree = _Parser(tokens, allow_calls=False).parse()
        evaluate_meta(tree, _zero)
    except MetaSyntaxError:
        # The message shows the text after rules_matching() became " 0 " (Parser.pm
        # rewrites $rule in place before reporting).
        return MetaVerdict(
            "invalid-meta-expression",
            f'invalid expression for rule {name}: "{degenerate}": syntax error',
        )
    except ZeroDivisionError:
        return MetaVerdict(
            "invalid-meta-expression",
            f'invalid expression for rule {name}: "{degenerate}": division by zero possible',
        )
    return MetaVerdict(None, "")


def _zero(_name: str) -> float:
    return 0


# --- parsing -----------------------------------------------------------------------------


def parse_meta(text: str) -> MetaExpr:
    """Parse a meta expression (after ``rules_matching`` expansion) into a tree.

    Raises:
        MetaSyntaxError: Perl would not compile it (callers validate first).
    """
    return _Parser(tokenize_meta(text), allow_calls=False).parse()


def parse_condition(tokens: Sequence[str]) -> MetaExpr:
    """Parse pre-classified ``if`` tokens (see ``conditions.py``); calls allowed."""
    return _Parser(list(tokens), allow_calls=True).parse()


_SPLIT_SIGNS: Final = {"+-": ("+", "-"), "-+": ("-", "+")}
_REL: Final = frozenset({"<", ">", "<=", ">="})
_EQ: Final = frozenset({"==", "!="})


class _Parser:
    """Recursive descent over tokens; one method per precedence level (grammar above)."""

    def __init__(self, tokens: list[str], *, allow_calls: bool) -> None:
        expanded: list[str] = []
        for token in tokens:
            # The number alternative of the lexer glues runs of signs: "+-" is Perl's
            # "+" followed by unary "-"; "++"/"--" are Perl's (invalid here) increments.
            expanded.extend(_SPLIT_SIGNS.get(token, (token,)))
        self.tokens = expanded
        self.pos = 0
        self.allow_calls = allow_calls

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise MetaSyntaxError("unexpected end")
        self.pos += 1
        return token

    def expect(self, token: str) -> None:
        if self.take() != token:
            raise MetaSyntaxError(f"expected {token}")

    def parse(self) -> MetaExpr:
        if not self.tokens:
            raise MetaSyntaxError("empty expression")
        tree = self.ternary()
        if self.peek() is not None:
            raise MetaSyntaxError(f"unexpected {self.peek()}")
        return tree

    def ternary(self) -> MetaExpr:
        cond = self.binary_level(0)
        if self.peek() == "?":
            self.take()
            then = self.ternary()
            self.expect(":")
            other = self.ternary()
            return Ternary(cond, then, other)
        return cond

    # Left-associative levels, loosest first; "eq" and "rel" chain instead.
    _LEVELS: Final = (
        frozenset({"||"}),
        frozenset({"&&"}),
        frozenset({"^"}),
        _EQ,
        _REL,
        frozenset({"+", "-"}),
        frozenset({"*", "/"}),
    )

    def binary_level(self, level: int) -> MetaExpr:
        if level == len(self._LEVELS):
            return self.unary()
        ops = self._LEVELS[level]
        left = self.binary_level(level + 1)
        if ops is _EQ or ops is _REL:
            chain_ops: list[str] = []
            operands = [left]
            while self.peek() in ops:
                chain_ops.append(self.take())
                operands.append(self.binary_level(level + 1))
            if not chain_ops:
                return left
            if len(chain_ops) == 1:
                return Binary(chain_ops[0], operands[0], operands[1])
            return Chain(tuple(chain_ops), tuple(operands))
        while self.peek() in ops:
            op = self.take()
            left = Binary(op, left, self.binary_level(level + 1))
        return left

    def unary(self) -> MetaExpr:
        token = self.peek()
        if token in ("!", "-", "+"):
            self.take()
            return Unary(token, self.unary())
        return self.primary()

    def primary(self) -> MetaExpr:
        token = self.take()
        if token == "(":
            if self.peek() == ")":
                self.take()
                return Empty()
            inner = self.ternary()
            self.expect(")")
            return inner
        if _NUMBER.match(token):
            return Num(float(token) if "." in token else int(token))
        if self.allow_calls and token.startswith("\x00"):
            return self.call(token[1:])
        if self.allow_calls and token.startswith("'"):
            return Str(token[1:])
        if RULENAME_RE.match(token):
            return Name(token)
        raise MetaSyntaxError(f"unexpected {token}")

    def call(self, function: str) -> MetaExpr:
        # plugin/can/has: Perl method call; "can X" without parentheses passes no argument.
        if self.peek() != "(":
            return Call(function, None)
        self.take()
        argument: str | None = None
        if self.peek() is not None and self.peek() != ")":
            arg = self.ternary()
            if isinstance(arg, Str):
                argument = arg.value
            elif isinstance(arg, Num):
                argument = _format_number(arg.value)
            else:
                raise MetaSyntaxError("unsupported argument")
        self.expect(")")
        return Call(function, argument)


# --- evaluation (Perl semantics) --------------------------------------------------------

Value = float | str
Resolver = Callable[[str], float]


def perl_truth(value: Value) -> bool:
    """Perl truth: false for 0, "", "0" and undef."""
    if isinstance(value, str):
        return value not in ("", "0")
    return value != 0


def _num(value: Value) -> float:
    if isinstance(value, str):
        match = re.match(r"\s*([+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+))", value)
        return float(match.group(1)) if match else 0
    return value


def _to_uv(value: float) -> int:
    # Perl's bitwise operators work on unsigned 64-bit integers (no "use integer").
    as_int = int(value)
    return as_int & 0xFFFFFFFFFFFFFFFF


def _format_number(value: float) -> str:
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return repr(value)


def _compare(op: str, left: float, right: float) -> bool:
    if op == "<":
        return left < right
    if op == ">":
        return left > right
    if op == "<=":
        return left <= right
    if op == ">=":
        return left >= right
    if op == "==":
        return left == right
    return left != right


def _arith(op: str, left: float, right: float) -> float:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        raise ZeroDivisionError("Illegal division by zero")
    result = left / right
    # Perl's pp_divide returns an integer when both operands are and the quotient is exact.
    return int(result) if result.is_integer() and isinstance(left, int) else result


def evaluate_meta(
    tree: MetaExpr, resolve: Resolver, call: Callable[[Call], Value] | None = None
) -> Value:
    """Evaluate ``tree`` with Perl semantics.

    Args:
        tree: the parsed expression.
        resolve: value of a rule name (``tests_already_hit{NAME} || 0``).
        call: value of a ``plugin()``/``can()``/``has()`` call (conditions only).

    Returns ``&&``/``||`` operands, ``1``/``""`` for ``!`` and comparisons, numbers for
    arithmetic. Raises ``ZeroDivisionError`` on division by zero (Perl dies).
    """
    return _compile(tree, call)(resolve)


def compile_meta(
    tree: MetaExpr, call: Callable[[Call], Value] | None = None
) -> Callable[[Resolver], Value]:
    """Turn ``tree`` into a closure over a resolver (no ``eval``: nested Python closures).

    Division by zero at run time raises ``ZeroDivisionError``; the rule engine decides what
    to do (SpamAssassin's compiled sub would die; validation makes this unreachable unless
    a divisor mixes rules and constants, e.g. ``A / (1 - B)``).
    """
    return _compile(tree, call)


def _compile(tree: MetaExpr, call: Callable[[Call], Value] | None) -> Callable[[Resolver], Value]:
    if isinstance(tree, Num):
        const_num: Value = tree.value
        return lambda _r: const_num
    if isinstance(tree, Str):
        const_str: Value = tree.value
        return lambda _r: const_str
    if isinstance(tree, Empty):
        return lambda _r: 0
    if isinstance(tree, Name):
        name = tree.name
        return lambda r: r(name)
    if isinstance(tree, Call):
        if call is None:
            raise MetaSyntaxError("function call outside a condition")
        node, caller = tree, call
        return lambda _r: caller(node)
    if isinstance(tree, Unary):
        inner = _compile(tree.operand, call)
        if tree.op == "!":
            return lambda r: "" if perl_truth(inner(r)) else 1
        if tree.op == "-":
            return lambda r: -_num(inner(r))
        return inner
    if isinstance(tree, Ternary):
        cond = _compile(tree.cond, call)
        then = _compile(tree.then, call)
        other = _compile(tree.other, call)
        return lambda r: then(r) if perl_truth(cond(r)) else other(r)
    if isinstance(tree, Chain):
        parts = [_compile(operand, call) for operand in tree.operands]
        ops = tree.ops

        def chain(r: Resolver) -> Value:
            left = _num(parts[0](r))
            for op, part in zip(ops, parts[1:], strict=True):
                right = _num(part(r))
                if not _compare(op, left, right):
                    return ""
                left = right
            return 1

        return chain
    left = _compile(tree.left, call)
    right = _compile(tree.right, call)
    op = tree.op
    if op == "&&":
        return lambda r: (lambda v: right(r) if perl_truth(v) else v)(left(r))
    if op == "||":
        return lambda r: (lambda v: v if perl_truth(v) else right(r))(left(r))
    if op == "^":
        return lambda r: _to_uv(_num(left(r))) ^ _to_uv(_num(right(r)))
    if op in _REL or op in _EQ:
        return lambda r: 1 if _compare(op, _num(left(r)), _num(right(r))) else ""
    return lambda r: _arith(op, _num(left(r)), _num(right(r)))


def meta_names(tree: MetaExpr) -> list[str]:
    """Rule names in ``tree`` in source order, duplicates kept (``local_tests_only`` too)."""
    found: list[str] = []
    stack: list[MetaExpr] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            found.append(node.name)
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack.extend((node.right, node.left))
        elif isinstance(node, Chain):
            stack.extend(reversed(node.operands))
        elif isinstance(node, Ternary):
            stack.extend((node.other, node.then, node.cond))
    return found


def resolver_from(values: Mapping[str, float]) -> Resolver:
    """A resolver reading ``values`` (missing names are 0, like ``$h->{NAME}||0``)."""
    get = values.get
    return lambda name: get(name) or 0
