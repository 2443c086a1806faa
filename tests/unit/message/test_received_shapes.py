"""The cheap tests the Received parser puts in front of its patterns skip only non-matches.

Each test in front of a pattern (a flag of the line's shape, a substring, the case-folded
authentication markers) must hold on every line the pattern matches, so skipping the
pattern when the test fails changes nothing:

* shape flags: ``line_shape`` computes exactly what each flag's defining pattern
  (``SHAPE_FLAGS``) says, and every pattern tried behind a flag opens with a prefix that
  can only match where that defining pattern matches;
* substring tests written inline in front of ``NAME.pattern``: the substrings are the
  literals of the guard ``NAME`` (``test_received_guards.py`` checks those against the
  engine's required-literal analysis);
* ``AUTH_MARKERS``: each marker pattern requires a literal that contains a marker;
* the ``" SMTP"``/``" QMQP"`` test in front of ``QMAIL``: a property test;
* the literal tests read the line's latin-1 text (``text``) or that of its ASCII-lower-cased
  copy (``low``), never the bytes with a bytes needle (slow on CPython 3.11), and a test
  on ``low`` looks for a lower-case literal (so it holds wherever the literal is in the
  line); single bytes are integer needles on bytes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import ModuleType

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

import spamhdr.message.received_auth as auth
import spamhdr.message.received_formats as formats
import spamhdr.message.received_grammar as grammar
from spamhdr.engine import prefilter
from spamhdr.engine.prefilter import required_literals
from spamhdr.message._guarded import Guarded


def _source(module: ModuleType, name: str | None = None) -> Path:
    """The ``.py`` file of ``module`` (or of its sibling ``name``): with the mypyc build
    ``__file__`` is the compiled extension; the source is installed beside it."""
    stem = name or module.__name__.rsplit(".", 1)[1]
    return Path(module.__file__ or "").with_name(f"{stem}.py")


SOURCES = [_source(formats), _source(auth), _source(grammar, "received")]
FLAG_NAMES = [name for name, _ in grammar.SHAPE_FLAGS]
IP = grammar.IP

# What a pattern behind each flag may open with. Each prefix matches only strings the
# flag's definition matches: "(\S+) " and "\S+ " are "\S* " with at least one byte, an IP
# address holds no white space (so "(IP) " is "\S* " too), and QMAIL's optional
# " \((?:HELO|EHLO) \S*\)" group is followed by " \(" either way, so with or without it
# the byte after the first space is "(".
ALLOWED_PREFIXES: dict[str, tuple[bytes, ...]] = {
    "bracket_1st": (rb"^\[",),
    "paren_1st": (rb"^\(",),
    "paren_2nd": (
        rb"^(\S+) \(",
        rb"^\S+ \(",
        rb"^(" + IP + rb") \(",
        rb"^\S+( \((?:HELO|EHLO) \S*\))? \(",
    ),
    "paren_bracket_2nd": (rb"^(\S+) \(\[",),
    "bracket_2nd": (rb"^(\S+) \[",),
    "helo_2nd": (rb"^(\S+) \((?:HELO|EHLO) ", rb"^(" + IP + rb") \((?:HELO|EHLO) "),
    "by_2nd": (rb"^(" + IP + rb") by ",),
    "bracket_3rd": (rb"^(\S+) \((\S+) \[",),
    "by_3rd": (rb"^(\S+) \((\S+\.\S+)\[(" + IP + rb")\]\) by ",),
}

TOKENS = [b"a.example", b"[192.0.2.1]", b"(a", b"([192.0.2.1])", b"(HELO", b"(EHLO", b"x)"]
TOKENS += [b"by", b"BY", b"[", b"(", b"([", b"(HELOx", b"by:", b"with", b"192.0.2.1"]
TOKENS += [b"(a.b[192.0.2.1])", b"\xe9", b"b", b"y", b"(H", b"(HELO\xe9"]
LINES = st.lists(st.sampled_from(TOKENS), max_size=6).map(b" ".join)


@given(LINES)
def test_line_shape_is_what_the_flag_definitions_say(line: bytes) -> None:
    expected = tuple(
        regex.match(definition, line) is not None for _, definition in grammar.SHAPE_FLAGS
    )
    assert formats.line_shape(line.decode("latin-1")) == expected


def _pattern_source(name: str) -> bytes:
    value = getattr(grammar, name)
    pattern = value.pattern if isinstance(value, Guarded) else value
    assert isinstance(pattern, regex.Pattern | re.Pattern)
    source = pattern.pattern
    assert isinstance(source, bytes)
    return source


def _called_pattern(node: ast.AST) -> tuple[str, bool] | None:
    """``NAME.match(s)``/``NAME.search(s)``/``bounded(NAME, s)`` → (NAME, via .pattern)."""
    if isinstance(node, ast.NamedExpr):
        node = node.value
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    if isinstance(node, ast.Compare):
        node = node.left
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id == "bounded":
        first = node.args[0]
        if isinstance(first, ast.Name):
            return first.id, False
        if (
            isinstance(first, ast.Attribute)
            and first.attr == "pattern"
            and isinstance(first.value, ast.Name)
        ):
            return first.value.id, True
        return None
    if isinstance(func, ast.Attribute) and func.attr in ("match", "search"):
        target = func.value
        if isinstance(target, ast.Name):
            return target.id, False
        if (
            isinstance(target, ast.Attribute)
            and target.attr == "pattern"
            and isinstance(target.value, ast.Name)
        ):
            return target.value.id, True
    return None


def _needle(node: ast.expr) -> bytes | None:
    """The bytes a literal ``in`` test looks for: a bytes constant, a str constant (the
    parser tests literals on the line's latin-1 text), an integer (one byte) or a str
    constant of the grammar (``WITH_HTTP_FOR`` ...); None for anything else."""
    value: object = node.value if isinstance(node, ast.Constant) else None
    if isinstance(node, ast.Name) and isinstance(getattr(grammar, node.id, None), str):
        value = getattr(grammar, node.id)
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("latin-1")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 256:
        return bytes((value,))
    return None


def _substrings_tested(node: ast.AST) -> set[bytes] | None:
    """``"x" in text`` or ``("x" in text or "y" in text)`` → the substrings, else None."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        found: set[bytes] = set()
        for value in node.values:
            part = _substrings_tested(value)
            if part is None:
                return None
            found |= part
        return found
    if (
        isinstance(node, ast.Compare)
        and isinstance(node.ops[0], ast.In)
        and (needle := _needle(node.left)) is not None
    ):
        return {needle}
    return None


def _guarded_calls() -> list[tuple[str, str, list[ast.expr]]]:
    """Every ``and`` chain of the parser: (file, pattern name, operands before its call)."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
                for index, value in enumerate(node.values):
                    called = _called_pattern(value)
                    if called is not None:
                        found.append((path.name, called[0], node.values[:index]))
    return found


def _flag_uses() -> list[tuple[str, str]]:
    uses = []
    for _file, name, before in _guarded_calls():
        for operand in before:
            if isinstance(operand, ast.Name) and operand.id in FLAG_NAMES:
                uses.append((operand.id, name))
    return uses


def test_the_shape_flags_guard_many_formats() -> None:
    assert len(_flag_uses()) >= 35


@pytest.mark.parametrize(("flag", "name"), _flag_uses())
def test_each_pattern_behind_a_flag_opens_with_a_prefix_of_that_flag(flag: str, name: str) -> None:
    source = _pattern_source(name)
    assert source.startswith(ALLOWED_PREFIXES[flag]), (flag, name, source[:60])


def test_every_inline_substring_test_is_the_guard_of_its_pattern() -> None:
    checked = 0
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            called = _called_pattern(node)
            if called is None or not called[1]:
                continue
            name = called[0]
            chains = [
                before
                for file, called_name, before in _guarded_calls()
                if file == path.name and called_name == name
            ]
            guard = getattr(grammar, name)
            assert isinstance(guard, Guarded), name
            assert any(
                _substrings_tested(operand) == set(guard.literals)
                for before in chains
                for operand in before
            ), name
            checked += 1
    assert checked >= 15


def _requirements(pattern: regex.Pattern[bytes] | re.Pattern[bytes]) -> list[tuple[bytes, ...]]:
    prefilter = required_literals(pattern)
    assert prefilter is not None
    return [tuple(lit.lower() for lit in req.exact) + req.folded for req in prefilter.requirements]


@pytest.mark.parametrize(
    "name",
    [
        "AUTH_GMAIL",
        "AUTH_COURIER",
        "AUTH_SENDMAIL",
        "AUTH_GMX",
        "AUTH_CP",
        "AUTH_POSTFIX",
        "AUTH_CGP",
        "AUTH_DAV",
    ],
)
def test_each_marker_pattern_requires_an_auth_marker(name: str) -> None:
    value = getattr(grammar, name)
    pattern = value.pattern if isinstance(value, Guarded) else value
    assert any(
        all(any(marker in literal for marker in grammar.AUTH_MARKERS) for literal in req)
        for req in _requirements(pattern)
    ), (name, _requirements(pattern))


def test_via_http_requires_its_marker() -> None:
    assert any(
        all(b" (via " in literal for literal in req) for req in _requirements(grammar.AUTH_VIA_HTTP)
    )


QMAIL_TOKENS = [b"a", b"(HELO x)", b"(EHLO x)", b"(u@[192.0.2.1])", b"([192.0.2.1])"]
QMAIL_TOKENS += [b"(envelope-sender <a@b>)", b"by", b"b", b"(x y)", b"with", b"ESMTP"]
QMAIL_TOKENS += [b"SMTP", b"QMQP", b"SMTPx", b"xSMTP", b"id", b"1"]


@given(st.lists(st.sampled_from(QMAIL_TOKENS), max_size=10).map(b" ".join))
def test_qmail_matches_only_lines_with_a_spaced_protocol(line: bytes) -> None:
    if grammar.QMAIL.search(line):
        assert b" SMTP" in line or b" QMQP" in line


def test_qmail_example_matches() -> None:
    # Received.pm's qmail example shape: the property above sees real matches.
    line = b"a (HELO x) ([192.0.2.1]) by b with SMTP"
    assert grammar.QMAIL.search(line)


def test_the_written_out_auth_markers_are_auth_markers() -> None:
    tree = ast.parse(_source(auth).read_text())
    (find_auth,) = (
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "find_auth"
    )
    tested = [
        found
        for node in ast.walk(find_auth)
        if isinstance(node, ast.If) and (found := _substrings_tested(node.test)) is not None
    ]
    assert set(grammar.AUTH_MARKERS) in tested


def test_the_envelope_sender_test_is_its_patterns_requirement() -> None:
    # received_formats.match_from: (b"return-path" in low or b"envelope-" in low) first.
    assert (b"envelope-", b"return-path") in [
        tuple(sorted(req)) for req in _requirements(grammar.ENVFROM)
    ]
    tree = ast.parse(_source(formats).read_text())
    tested = [
        found
        for node in ast.walk(tree)
        if isinstance(node, ast.BoolOp)
        and isinstance(node.op, ast.And)
        and any(_called_pattern(value) == ("ENVFROM", False) for value in node.values)
        for value in node.values
        if (found := _substrings_tested(value)) is not None
    ]
    assert tested == [{b"envelope-", b"return-path"}]


def _literal_tests() -> list[tuple[str, int, bytes, ast.expr, bool]]:
    """Every ``needle in x`` / ``needle not in x`` with a literal needle in the parser:
    (file, line, needle bytes, subject, needle is a str)."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Compare) or not isinstance(node.ops[0], ast.In | ast.NotIn):
                continue
            needle = _needle(node.left)
            if needle is None:
                continue
            is_str = isinstance(node.left, ast.Name) or isinstance(node.left.value, str)
            found.append((path.name, node.lineno, needle, node.comparators[0], is_str))
    return found


def test_the_parser_has_many_literal_tests() -> None:
    assert len(_literal_tests()) >= 45


@pytest.mark.parametrize(("file", "line", "needle", "subject", "is_str"), _literal_tests())
def test_each_literal_test_reads_the_text_its_case_needs(
    file: str, line: int, needle: bytes, subject: ast.expr, is_str: bool
) -> None:
    where = (file, line, needle)
    assert needle.isascii(), where
    if is_str:
        # A str needle reads a latin-1 text: "text" (as the bytes) or "low" (lower-cased);
        # a literal in the line is in "low" only if it is lower-case itself.
        assert isinstance(subject, ast.Name), where
        assert subject.id in ("text", "low"), where
        if subject.id == "low":
            assert needle == needle.lower(), where
    else:
        # Bytes are searched with one-byte integer needles only (bytes in bytes first
        # raises and clears a TypeError on CPython 3.11).
        assert len(needle) == 1, where
        assert not (isinstance(subject, ast.Name) and subject.id in ("text", "low")), where


def _literal_guards() -> list[tuple[str, str, frozenset[bytes], str]]:
    """Each literal test (or ``or`` of literal tests) before a pattern call in an ``and``
    chain: (file, pattern name, literals, the name the literals are looked for in)."""
    found = []
    for file, name, before in _guarded_calls():
        # Only the operands since the previous pattern call guard this one.
        calls = [i for i, operand in enumerate(before) if _called_pattern(operand) is not None]
        for operand in before[calls[-1] + 1 if calls else 0 :]:
            literals = _substrings_tested(operand)
            if literals is None:
                continue
            tests = operand.values if isinstance(operand, ast.BoolOp) else [operand]
            subjects = set()
            for test in tests:
                assert isinstance(test, ast.Compare)
                subject = test.comparators[0]
                subjects.add(subject.id if isinstance(subject, ast.Name) else ast.dump(subject))
            (subject_name,) = subjects
            found.append((file, name, frozenset(literals), subject_name))
    return found


# Literal tests that are not requirements the analysis derives from the pattern after them:
# Received.pm's own conditions beside a pattern (each with the Perl line it reproduces).
PERL_CONDITIONS = {
    # if (/ \(CommuniGate Pro/ && /^(\S+) \(\[(${IP_ADDRESS})\] verified\) by (\S+) \(/)
    ("CGP_VERIFIED", frozenset({b" (CommuniGate Pro"})),
    # Not Perl's, but property-tested above (test_qmail_matches_only_lines_with_a_spaced_
    # protocol): the analysis only sees "SMTP"/"QMQP", without the space a match has.
    ("QMAIL", frozenset({b" SMTP", b" QMQP"})),
}


def _satisfies(literals: frozenset[bytes], alternatives: tuple[bytes, ...], folded: bool) -> bool:
    # Every alternative of the requirement holds one of the literals, so a line holding
    # none of them holds none of the alternatives.
    return all(
        any(lit in (alt.lower() if folded else alt) for lit in literals) for alt in alternatives
    )


def test_the_parser_has_many_literal_guards() -> None:
    assert len(_literal_guards()) >= 30


def _all_requirements(
    pattern: regex.Pattern[bytes] | re.Pattern[bytes],
) -> list[tuple[tuple[bytes, ...], tuple[bytes, ...]]]:
    """Every requirement the engine's analysis finds, as (exact, folded) alternatives:
    ``required_literals`` keeps only the best three, picked among equals by set order."""
    flags = pattern.flags & (re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE)
    assert prefilter._sre_parse is not None
    parsed = prefilter._sre_parse.parse(pattern.pattern, flags)
    found = prefilter._analyse(parsed, bool(parsed.state.flags & re.IGNORECASE))
    return [
        (tuple(lit for lit, fold in req if not fold), tuple(lit for lit, fold in req if fold))
        for req in found
    ]


@pytest.mark.parametrize(("file", "name", "literals", "subject"), _literal_guards())
def test_each_literal_guard_is_a_requirement_of_its_pattern(
    file: str, name: str, literals: frozenset[bytes], subject: str
) -> None:
    if (name, literals) in PERL_CONDITIONS:
        return
    value = getattr(grammar, name)
    pattern = value.pattern if isinstance(value, Guarded) else value
    requirements = _all_requirements(pattern)
    folded = subject == "low"
    assert any(
        (not alt_folded or folded)
        and _satisfies(literals, exact, folded)
        and _satisfies(literals, alt_folded, folded)
        for exact, alt_folded in requirements
    ), (file, name, sorted(literals), subject, requirements)
