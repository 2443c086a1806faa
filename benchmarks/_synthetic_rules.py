"""Synthetic rule copies for the scaling benchmark: stock header rules, renamed, with their
literal letters rotated, so a ×N rule set has N times the header rules and distinct
literals (copies cannot be merged, and their prefilters differ).

Input: a loaded :class:`Config`; output: ``.cf`` text. Letters are rotated only where they
are literal pattern text: escapes (``\\s``, ``\\x41``, ``\\x{263a}``, ``\\p{…}``),
character classes, group headers (``(?i:``, ``(?<name>``) and quantifiers are copied
unchanged, so each copy is as valid as its original.
"""

from __future__ import annotations

import regex

from spamhdr.rules import Config

__all__ = ["perturb_pattern", "synthetic_header_rules"]

_DELIMITERS = "/!%,;~|"


def _rotate(ch: str, by: int) -> str:
    if "a" <= ch <= "z":
        return chr((ord(ch) - 97 + by) % 26 + 97)
    if "A" <= ch <= "Z":
        return chr((ord(ch) - 65 + by) % 26 + 65)
    return ch


def _skip_class(text: str, i: int) -> int:
    """Index after the character class opening at ``text[i] == "["``."""
    j = i + 1
    if j < len(text) and text[j] == "^":
        j += 1
    if j < len(text) and text[j] == "]":
        j += 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text.startswith("[:", j):
            end = text.find(":]", j + 2)
            if end != -1:
                j = end + 2
                continue
        if text[j] == "]":
            return j + 1
        j += 1
    return j


def _skip_escape(text: str, i: int) -> int:
    """Index after the escape starting at ``text[i] == "\\\\"``."""
    j = i + 1
    if j >= len(text):
        return j
    ch = text[j]
    j += 1
    if ch in "xoNpPgk" and j < len(text) and text[j] in "{<":
        close = "}" if text[j] == "{" else ">"
        end = text.find(close, j)
        return end + 1 if end != -1 else len(text)
    if ch == "x":
        while j < len(text) and j < i + 4 and text[j] in "0123456789abcdefABCDEF":
            j += 1
    elif ch == "c":
        j += 1
    return j


def perturb_pattern(pattern: str, by: int) -> str:
    """``pattern`` with its literal letters rotated by ``by`` (module docstring)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            end = _skip_escape(pattern, i)
        elif ch == "[":
            end = _skip_class(pattern, i)
        elif ch == "(" and pattern.startswith("(?", i):
            end = i + 2
            while end < len(pattern) and pattern[end] not in ":)":
                if pattern[end] == "<" and pattern[end + 1 : end + 2] not in ("=", "!"):
                    end = pattern.find(">", end) + 1 or len(pattern)
                    break
                end += 1
            end = min(end + 1, len(pattern)) if pattern[end : end + 1] in (":", ")") else end
        elif ch == "{":
            close = pattern.find("}", i)
            end = close + 1 if close != -1 else i + 1
        else:
            out.append(_rotate(ch, by))
            i += 1
            continue
        out.append(pattern[i:end])
        i = end
    return "".join(out)


def synthetic_header_rules(config: Config, copies: int) -> str:
    """``copies`` renamed, perturbed copies of every header regex/exists rule."""
    lines: list[str] = []
    for name in sorted(config.rules):
        rule = config.rules[name]
        if rule.type != "header" or rule.operator not in ("=~", "!~", "exists"):
            continue
        spec = rule.header_spec
        for k in range(1, copies + 1):
            copy = f"{name}_S{k}"
            if rule.operator == "exists":
                lines.append(f"header {copy} exists:{spec}")
                continue
            if rule.pattern is None:
                continue
            # "#" starts a comment in .cf text; rule files write it as "\#".
            body = regex.sub(r"(?<!\\)((?:\\\\)*)#", r"\1\\#", perturb_pattern(rule.pattern, k))
            delimiter = next((d for d in _DELIMITERS if d not in body), None)
            if delimiter is None:
                continue
            unset = f" [if-unset: {rule.if_unset}]" if rule.if_unset is not None else ""
            lines.append(
                f"header {copy} {spec} {rule.operator} "
                f"{'m' if delimiter != '/' else ''}{delimiter}{body}{delimiter}"
                f"{rule.flags or ''}{unset}"
            )
            if rule.tflags:
                lines.append(f"tflags {copy} {rule.tflags}")
    return "\n".join(lines) + "\n"
