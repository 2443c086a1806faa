"""Meta expression tree → a closure over the ``tests_already_hit`` values, flattened.

Input: a parsed meta expression (:mod:`spamhdr.rules.meta`) whose names are all rule
names (``compile.py`` binds ``local_tests_only`` first). Output: a function of a mapping
``name → value`` that returns exactly what :func:`spamhdr.rules.compile_meta` returns for
the resolver ``values.__getitem__``; it raises ``KeyError`` for a name the mapping lacks
and ``ZeroDivisionError`` where Perl would die (callers handle both).

Why: nearly every stock meta is a chain of ``&&``/``||`` over rule names and negated rule
names (840 of 921 in 4.0.1). Evaluated node by node that is one closure call per node;
here a chain is one loop over ``(name, negated)`` pairs. Perl semantics kept (perlop):
``&&`` returns the first false operand or the last one, ``||`` the first true operand or
the last one, ``!`` gives ``""`` or ``1``; values stored for rules are numbers, so their
truth is Python's. Anything else (arithmetic, comparisons, ternaries) is delegated to
:func:`spamhdr.rules.compile_meta` unchanged; ``tests/property/test_engine_plan_properties.py``
checks the two agree.

The engine itself keeps its per-message values in a list indexed by *slot* (a number per
rule name, fixed per rule set, ``plan.py``): :func:`compile_meta_indexed` is the same
compilation over such a list, :func:`literal_chain` describes a literal chain as slot
numbers so that ``run.py`` can evaluate it in line, without a call, and
:func:`logic_program` does the same for nested ``&&``/``||``/``!`` over names, integer
constants and comparisons of sums of them (``tests/property/test_engine_metaindex.py``
checks all three against ``compile_meta``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final, Protocol, TypeVar

from spamhdr.rules import compile_meta
from spamhdr.rules.meta import Binary, MetaExpr, Name, Num, Unary, meta_names, perl_truth

__all__ = [
    "COMPARISONS",
    "OP_AND",
    "OP_COMPARE",
    "OP_CONSTANT",
    "OP_LITERAL",
    "OP_NOT",
    "OP_OR",
    "IndexedFn",
    "MetaFn",
    "compile_meta_fast",
    "compile_meta_indexed",
    "literal_chain",
    "logic_program",
]

Value = float | str
#: A compiled expression: ``tests_already_hit`` values → the Perl result.
MetaFn = Callable[[Mapping[str, float]], Value]
#: The same over values stored by slot (``compile_meta_indexed``).
IndexedFn = Callable[[list[float]], Value]
_K = TypeVar("_K", contravariant=True)


def _operands(tree: MetaExpr, op: str) -> list[MetaExpr]:
    """The operands of a left-associative chain of ``op`` (``a && b && c``)."""
    out: list[MetaExpr] = []
    while isinstance(tree, Binary) and tree.op == op:
        out.append(tree.right)
        tree = tree.left
    out.append(tree)
    out.reverse()
    return out


def _literal(tree: MetaExpr) -> tuple[str, bool] | None:
    """``NAME`` → (NAME, False); ``!NAME`` → (NAME, True); else None."""
    if isinstance(tree, Name):
        return tree.name, False
    if isinstance(tree, Unary) and tree.op == "!" and isinstance(tree.operand, Name):
        return tree.operand.name, True
    return None


class _Values(Protocol[_K]):
    """What a compiled expression reads: values by name (a mapping) or by slot (a list)."""

    def __getitem__(self, key: _K, /) -> float: ...


def _literals(terms: tuple[tuple[_K, bool], ...], is_or: bool) -> Callable[[_Values[_K]], Value]:
    """A chain of (negated) rule values: one loop instead of a closure call per operand.
    Perl (perlop): ``&&`` gives the first false operand or the last, ``||`` the first
    true one or the last; a negated operand is ``1`` or ``""``."""
    if is_or:

        def disjunction(values: _Values[_K]) -> Value:
            last: Value = 0
            for key, negated in terms:
                value = values[key]
                if negated:
                    if not value:
                        return 1
                    last = ""
                else:
                    if value:
                        return value
                    last = value
            return last

        return disjunction

    def conjunction(values: _Values[_K]) -> Value:
        last: Value = 0
        for key, negated in terms:
            value = values[key]
            if negated:
                if value:
                    return ""
                last = 1
            else:
                if not value:
                    return value
                last = value
        return last

    return conjunction


def _parts(
    parts: tuple[Callable[[_Values[_K]], Value], ...], is_or: bool
) -> Callable[[_Values[_K]], Value]:
    """A chain of compiled operands with Perl's ``&&``/``||`` results."""

    def chain(values: _Values[_K]) -> Value:
        result: Value = 0
        for part in parts:
            result = part(values)
            if perl_truth(result) == is_or:
                return result
        return result

    return chain


def _compile(tree: MetaExpr, key: Callable[[str], _K]) -> Callable[[_Values[_K]], Value]:
    """``tree`` over values found by ``key(name)`` (the name itself, or its slot)."""
    if isinstance(tree, Name):
        found = key(tree.name)
        return lambda values: values[found]
    if isinstance(tree, Num):
        constant: Value = tree.value
        return lambda _values: constant
    if isinstance(tree, Unary) and tree.op == "!":
        inner = _compile(tree.operand, key)
        return lambda values: "" if perl_truth(inner(values)) else 1
    if isinstance(tree, Binary) and tree.op in ("&&", "||"):
        operands = _operands(tree, tree.op)
        literals = [_literal(operand) for operand in operands]
        if all(lit is not None for lit in literals):
            terms = tuple((key(lit[0]), lit[1]) for lit in literals if lit is not None)
            return _literals(terms, tree.op == "||")
        return _parts(tuple(_compile(operand, key) for operand in operands), tree.op == "||")
    general = compile_meta(tree)
    by_name = {name: key(name) for name in meta_names(tree)}

    def resolve_in(values: _Values[_K]) -> Value:
        return general(lambda name: values[by_name[name]])

    return resolve_in


def _same(name: str) -> str:
    return name


def compile_meta_fast(tree: MetaExpr) -> MetaFn:
    """Compile ``tree`` (module docstring)."""
    return _compile(tree, _same)


def literal_chain(tree: MetaExpr, slots: Mapping[str, int]) -> tuple[bool, tuple[int, ...]] | None:
    """``NAME``, ``!NAME`` or a chain of them under one of ``&&``/``||`` → (is ``||``,
    terms), each term ``2 * slot + negated``; None for anything else, or when a name has
    no slot. A single literal is a chain of one under ``&&`` (its value, or ``!``'s)."""
    if isinstance(tree, Binary) and tree.op in ("&&", "||"):
        operands = _operands(tree, tree.op)
        is_or = tree.op == "||"
    else:
        operands = [tree]
        is_or = False
    terms: list[int] = []
    for operand in operands:
        literal = _literal(operand)
        if literal is None or literal[0] not in slots:
            return None
        terms.append(2 * slots[literal[0]] + (1 if literal[1] else 0))
    return is_or, tuple(terms)


def compile_meta_indexed(tree: MetaExpr, slots: Mapping[str, int]) -> IndexedFn:
    """:func:`compile_meta_fast` over values by slot: ``values[slots[NAME]]`` is NAME's
    value. Every name of ``tree`` must have a slot (``KeyError`` here otherwise)."""
    return _compile(tree, slots.__getitem__)


# Operations of a logic program (:func:`logic_program`), evaluated by ``run.py``.
OP_LITERAL: Final = 0  # [OP_LITERAL, 2 * slot + negated]
OP_AND: Final = 1  # [OP_AND, end, operand, operand, ...]: end = index after the last
OP_OR: Final = 2  # [OP_OR, end, operand, operand, ...]
OP_NOT: Final = 3  # [OP_NOT, operand]
OP_CONSTANT: Final = 4  # [OP_CONSTANT, n]: an integer 0 <= n < 2**30
#: [OP_COMPARE, COMPARISONS index, n, n addends, m, m addends]: ``a + b ... <op> c + ...``
#: summed left to right; an addend is ``2 * slot`` or ``2 * n + 1`` (an integer n).
OP_COMPARE: Final = 5
COMPARISONS: Final = ("<", ">", "<=", ">=", "==", "!=")
_MAX_CONSTANT = 1 << 30


def _small_integer(value: float) -> int | None:
    if isinstance(value, bool) or not float(value).is_integer():
        return None
    number = int(value)
    return number if 0 <= number < _MAX_CONSTANT else None


def logic_program(tree: MetaExpr, slots: Mapping[str, int]) -> tuple[int, ...] | None:
    """``tree`` as a program of ``OP_*`` codes (prefix order) when it is made only of
    names, ``!``, ``&&``/``||`` chains, integer constants and comparisons (``<`` ``>``
    ``<=`` ``>=`` ``==`` ``!=``) between left-associative sums of names and integer
    constants; None otherwise, or when a name has no slot. Perl semantics as in
    :func:`compile_meta_fast`; a comparison gives 1 or ``""``."""
    program: list[int] = []
    return tuple(program) if _emit(tree, slots, program) else None


def _emit(tree: MetaExpr, slots: Mapping[str, int], program: list[int]) -> bool:
    literal = _literal(tree)
    if literal is not None:
        name, negated = literal
        if name not in slots:
            return False
        program += (OP_LITERAL, 2 * slots[name] + (1 if negated else 0))
        return True
    if isinstance(tree, Num):
        number = _small_integer(tree.value)
        if number is None:
            return False
        program += (OP_CONSTANT, number)
        return True
    if isinstance(tree, Unary) and tree.op == "!":
        program.append(OP_NOT)
        return _emit(tree.operand, slots, program)
    if isinstance(tree, Binary) and tree.op in ("&&", "||"):
        program += (OP_AND if tree.op == "&&" else OP_OR, 0)
        end_at = len(program) - 1
        for operand in _operands(tree, tree.op):
            if not _emit(operand, slots, program):
                return False
        program[end_at] = len(program)
        return True
    if isinstance(tree, Binary) and tree.op in COMPARISONS:
        left = _addends(tree.left, slots)
        right = _addends(tree.right, slots)
        if left is None or right is None:
            return False
        program += (OP_COMPARE, COMPARISONS.index(tree.op), len(left), *left)
        program += (len(right), *right)
        return True
    return False


def _addends(tree: MetaExpr, slots: Mapping[str, int]) -> list[int] | None:
    """``a + b + c`` (left-associative, as written) → addend codes; None otherwise."""
    codes: list[int] = []
    for operand in _operands(tree, "+"):
        if isinstance(operand, Name) and operand.name in slots:
            codes.append(2 * slots[operand.name])
            continue
        number = _small_integer(operand.value) if isinstance(operand, Num) else None
        if number is None:
            return None
        codes.append(2 * number + 1)
    return codes
