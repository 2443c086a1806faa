# ruff: noqa: E501
"""Perl regex → ``regex`` translation: table of inputs, accepted patterns and Perl's errors.

Error texts are Perl 5.36's (checked with ``perl -e 'use warnings; qr/$re/aa'``, and for
the SpamAssassin-level messages, spec/sa-rules.md §10).
"""

from __future__ import annotations

import pytest

from spamhdr.rules.perl_regex import PerlRegex, RegexProblem, compile_perl_regex, latin1_partner


def ok(text: str) -> PerlRegex:
    result = compile_perl_regex(text, lint=True)
    assert isinstance(result, PerlRegex), result
    return result


def bad(text: str) -> RegexProblem:
    result = compile_perl_regex(text, lint=True)
    assert isinstance(result, RegexProblem), result
    return result


@pytest.mark.parametrize(
    ("text", "pattern", "flags"),
    [
        ("/foo/i", "foo", "i"),
        ("m{\\b(?:list|bulk)\\b}i", "\\b(?:list|bulk)\\b", "i"),
        ("m,^<[^@]+>$,", "^<[^@]+>$", ""),
        ("qr!a!", "a", ""),
        ("m<x>", "x", ""),
    ],
)
def test_delimiters(text: str, pattern: str, flags: str) -> None:
    result = ok(text)
    assert (result.pattern, result.flags) == (pattern, flags)


@pytest.mark.parametrize(
    ("text", "subject", "matches"),
    [
        ("/^.{4} au/", "Café au".encode(), False),  # . is one byte (spec §0 item 5)
        ("/\\xc3/i", "あ".encode(), True),  # Latin-1 folding under /i: \xc3 ~ \xe3
        ("/[\\xc0-\\xc5]/i", b"\xe3", True),
        ("/\\w/", b"\xe9", False),  # ASCII \w
        ("/\\e/", b"\x1b", True),
        ("/a\\Z/", b"a\n", True),  # Perl \Z allows a final newline
        ("/a\\z/", b"a\n", False),
        ("/x(?i)|Y/", b"y", True),  # mid-pattern (?i) scoped like Perl
        ("/(?:a(?i)b)c/", b"aBC", False),
        ("/(?<GB>.*)/", b"x", True),
        ("/[[:alpha:]]/", b"a", True),
        ("/a\\h+b/", b"a\t b", True),
        ("/\\x{41}/", b"A", True),
        ("/\\101/", b"A", True),
        ("/\\cA/", b"\x01", True),
        ("/(a)\\g{-1}/", b"aa", True),
        ("/a b # comment (/x", b"ab", True),
        ("/[({[<]/", b"[", True),
    ],
)
def test_semantics(text: str, subject: bytes, matches: bool) -> None:
    assert (ok(text).compiled.search(subject) is not None) is matches


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        (
            "/foo(/",
            "invalid-regexp",
            "Unmatched ( in regex; marked by <-- HERE in m/foo( <-- HERE /",
        ),
        ("foo", "missing-delimiters", "missing regexp delimiters"),
        ("/a/b/", "unquoted-delimiter", "unquoted delimiter '/' found"),
        ("/a/e", "invalid-end-delimiter", "invalid end delimiter/mods"),
        (
            "/a/g",
            "invalid-regexp",
            "Useless (?g) - use /g modifier in regex; marked by <-- HERE in m/(?g <-- HERE )a/",
        ),
        (
            "/\\y/",
            "invalid-regexp",
            "Unrecognized escape \\y passed through in regex; marked by <-- HERE in m/\\y <-- HERE /",
        ),
        ("/a||b/", "always-matching-regexp", "always matching regexp: contains '||'"),
        ("/|a/", "always-matching-regexp", "always matching regexp: starts or ends with '|'"),
        ("//", "always-matching-regexp", "always matching regexp: empty"),
        ("/a)/", "invalid-regexp", "Unmatched ) in regex; marked by <-- HERE in m/a) <-- HERE /"),
        ("/[a/", "invalid-regexp", "Unmatched [ in regex; marked by <-- HERE in m/[ <-- HERE a/"),
        (
            "/*a/",
            "invalid-regexp",
            "Quantifier follows nothing in regex; marked by <-- HERE in m/* <-- HERE a/",
        ),
        (
            "/a**/",
            "invalid-regexp",
            "Nested quantifiers in regex; marked by <-- HERE in m/a** <-- HERE /",
        ),
        (
            "/[\\w-z]/",
            "invalid-regexp",
            'False [] range "\\w-" in regex; marked by <-- HERE in m/[\\w- <-- HERE z]/',
        ),
        (
            "/[z-a]/",
            "invalid-regexp",
            'Invalid [] range "z-a" in regex; marked by <-- HERE in m/[z-a <-- HERE ]/',
        ),
        (
            "/[:alpha:]/",
            "invalid-regexp",
            "POSIX syntax [: :] belongs inside character classes in regex; marked by <-- HERE in m/[:alpha:] <-- HERE /",
        ),
        (
            "/[[:foo:]]/",
            "invalid-regexp",
            "POSIX class [:foo:] unknown in regex; marked by <-- HERE in m/[[:foo:] <-- HERE ]/",
        ),
        (
            "/(a)\\2/",
            "invalid-regexp",
            "Reference to nonexistent group in regex; marked by <-- HERE in m/(a)\\2 <-- HERE /",
        ),
        (
            "/a{2,1}/",
            "invalid-regexp",
            "Quantifier {n,m} with n > m can't match in regex; marked by <-- HERE in m/a{2,1} <-- HERE /",
        ),
        (
            "/x{a/",
            "invalid-regexp",
            "Unescaped left brace in regex is passed through in regex; marked by <-- HERE in m/x{ <-- HERE a/",
        ),
        ("/(?{ 1 })/", "regexp-code-block", "eval (?{}) found"),
        ("m\\a\\", "missing-delimiters", "backslash delimiter not allowed"),
    ],
)
def test_refused(text: str, kind: str, message: str) -> None:
    problem = bad(text)
    assert (problem.kind, problem.message) == (kind, message)


def test_always_matching_only_when_linting() -> None:
    assert isinstance(compile_perl_regex("/a||b/"), PerlRegex)


def test_latin1_partners() -> None:
    assert latin1_partner(0xC3) == 0xE3
    assert latin1_partner(0xE3) == 0xC3
    assert latin1_partner(0xD7) is None and latin1_partner(0xF7) is None
    assert latin1_partner(0xDF) is None and latin1_partner(0xFF) is None


def test_perl_form_is_perls_stringification() -> None:
    assert ok("/(?:a|b)/i").perl_form == "(?^aa:(?i)(?:a|b))"
