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
:func:`spamhdr.rules.compile_meta` unchanged; ``tests/property/test_engine_metafast.py``
checks the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from spamhdr.rules import compile_meta
from spamhdr.rules.meta import Binary, MetaExpr, Name, Num, Unary, perl_truth

__all__ = ["MetaFn", "compile_meta_fast"]

Value = float | str
#: A compiled expression: ``tests_already_hit`` values → the Perl result.
MetaFn = Callable[[Mapping[str, float]], Value]


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
