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
compilation over such a list, and :func:`literal_chain` describes a literal chain as slot
numbers so that ``run.py`` can evaluate it in line, without a call
(``tests/property/test_engine_metaindex.py`` checks both against ``compile_meta``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from spamhdr.rules import compile_meta
from spamhdr.rules.meta import Binary, MetaExpr, Name, Num, Unary, meta_names, perl_truth

__all__ = ["IndexedFn", "MetaFn", "compile_meta_fast", "compile_meta_indexed", "literal_chain"]

Value = float | str
#: A compiled expression: ``tests_already_hit`` values → the Perl result.
MetaFn = Callable[[Mapping[str, float]], Value]
#: The same over values stored by slot (``compile_meta_indexed``).
IndexedFn = Callable[[list[float]], Value]


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


def _and_literals(terms: tuple[tuple[str, bool], ...]) -> MetaFn:
    def conjunction(values: Mapping[str, float]) -> Value:
        last: Value = 0
        for name, negated in terms:
            value = values[name]
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


def _or_literals(terms: tuple[tuple[str, bool], ...]) -> MetaFn:
    def disjunction(values: Mapping[str, float]) -> Value:
        last: Value = 0
        for name, negated in terms:
            value = values[name]
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


def _and_parts(parts: tuple[MetaFn, ...]) -> MetaFn:
    def conjunction(values: Mapping[str, float]) -> Value:
        result: Value = 0
        for part in parts:
            result = part(values)
            if not perl_truth(result):
                return result
        return result

    return conjunction


def _or_parts(parts: tuple[MetaFn, ...]) -> MetaFn:
    def disjunction(values: Mapping[str, float]) -> Value:
        result: Value = 0
        for part in parts:
            result = part(values)
            if perl_truth(result):
                return result
        return result

    return disjunction


def compile_meta_fast(tree: MetaExpr) -> MetaFn:
    """Compile ``tree`` (module docstring)."""
    if isinstance(tree, Name):
        name = tree.name
        return lambda values: values[name]
    if isinstance(tree, Num):
        constant: Value = tree.value
        return lambda _values: constant
    if isinstance(tree, Unary) and tree.op == "!":
        inner = compile_meta_fast(tree.operand)
        return lambda values: "" if perl_truth(inner(values)) else 1
    if isinstance(tree, Binary) and tree.op in ("&&", "||"):
        operands = _operands(tree, tree.op)
        literals = [_literal(operand) for operand in operands]
        if all(lit is not None for lit in literals):
            terms = tuple(lit for lit in literals if lit is not None)
            return _and_literals(terms) if tree.op == "&&" else _or_literals(terms)
        parts = tuple(compile_meta_fast(operand) for operand in operands)
        return _and_parts(parts) if tree.op == "&&" else _or_parts(parts)
    general = compile_meta(tree)
    return lambda values: general(values.__getitem__)


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


def _and_slots(terms: tuple[tuple[int, bool], ...]) -> IndexedFn:
    def conjunction(values: list[float]) -> Value:
        last: Value = 0
        for slot, negated in terms:
            value = values[slot]
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


def _or_slots(terms: tuple[tuple[int, bool], ...]) -> IndexedFn:
    def disjunction(values: list[float]) -> Value:
        last: Value = 0
        for slot, negated in terms:
            value = values[slot]
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


def _and_indexed(parts: tuple[IndexedFn, ...]) -> IndexedFn:
    def conjunction(values: list[float]) -> Value:
        result: Value = 0
        for part in parts:
            result = part(values)
            if not perl_truth(result):
                return result
        return result

    return conjunction


def _or_indexed(parts: tuple[IndexedFn, ...]) -> IndexedFn:
    def disjunction(values: list[float]) -> Value:
        result: Value = 0
        for part in parts:
            result = part(values)
            if perl_truth(result):
                return result
        return result

    return disjunction


def compile_meta_indexed(tree: MetaExpr, slots: Mapping[str, int]) -> IndexedFn:
    """:func:`compile_meta_fast` over values by slot: ``values[slots[NAME]]`` is NAME's
    value. Every name of ``tree`` must have a slot (``KeyError`` here otherwise)."""
    if isinstance(tree, Name):
        slot = slots[tree.name]
        return lambda values: values[slot]
    if isinstance(tree, Num):
        constant: Value = tree.value
        return lambda _values: constant
    if isinstance(tree, Unary) and tree.op == "!":
        inner = compile_meta_indexed(tree.operand, slots)
        return lambda values: "" if perl_truth(inner(values)) else 1
    if isinstance(tree, Binary) and tree.op in ("&&", "||"):
        operands = _operands(tree, tree.op)
        literals = [_literal(operand) for operand in operands]
        if all(lit is not None for lit in literals):
            terms = tuple((slots[lit[0]], lit[1]) for lit in literals if lit is not None)
            return _and_slots(terms) if tree.op == "&&" else _or_slots(terms)
        parts = tuple(compile_meta_indexed(operand, slots) for operand in operands)
        return _and_indexed(parts) if tree.op == "&&" else _or_indexed(parts)
    general = compile_meta(tree)
    by_name = {name: slots[name] for name in meta_names(tree)}

    def resolve_in(values: list[float]) -> Value:
        return general(lambda name: values[by_name[name]])

    return resolve_in
