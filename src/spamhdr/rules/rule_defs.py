"""Recording rule definitions: ``Parser.pm add_test`` and the checks every definition shares.

Input: the parse state and one rule definition (or its name, pattern, value text).
Output: the definition stored (last one wins) with SpamAssassin's bookkeeping — priority
entry, last compiled regex per name, eval function index, header option tables — or a
diagnostic.

Used by :mod:`spamhdr.rules.directives` (core directives) and
:mod:`spamhdr.rules.plugin_rules` (rule directives of plugins).
"""

from __future__ import annotations

import re
from typing import Final

from spamhdr.rules.ast import RuleDef
from spamhdr.rules.meta import RULENAME_RE
from spamhdr.rules.parser import ParseState
from spamhdr.rules.perl_regex import PerlRegex, RegexProblem, compile_perl_regex

__all__ = [
    "CAPTURE_GROUP",
    "IF_UNSET",
    "add_test",
    "check_name",
    "clear_header_options",
    "compile_rule_regex",
    "parse_captures",
    "split_name",
]

IF_UNSET: Final = re.compile(r"\s+\[if-unset:\s+(.+)\]\Z", re.S)
_CAPTURE_TEMPLATE: Final = re.compile(r"(?<!\\)%\{([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*(?:\([^)}]*\))?)\}")
CAPTURE_GROUP: Final = re.compile(r"\(\?P?[<'][A-Z]")


def split_name(state: ParseState, key: str, value: str) -> tuple[str, str] | None:
    """``NAME rest``: Conf.pm ``s/^(\\S+)\\s+//`` then a non-empty rest."""
    match = re.match(r"(\S+)\s+", value)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return None
    rest = value[match.end() :]
    if rest == "":
        state.report("missing-value", f"missing '{key}' value")
        return None
    return match.group(1), rest


def check_name(state: ParseState, name: str, col: int) -> bool:
    if not RULENAME_RE.match(name) or name.endswith("\n"):
        state.report(
            "invalid-rule-name",
            f"error: rule '{name}' has invalid characters "
            "(not Alphanumeric + Underscore + starting with a non-digit)",
            col,
        )
        return False
    if len(name) > 100:
        state.report(
            "rule-name-too-long",
            f"error: rule '{name}' is too long (recommended maximum length is 22 characters)",
            col,
        )
        return False
    if len(name) > 40 and not name.startswith(("__", "T_")):
        state.report(
            "long-rule-name",
            f"warning: rule name '{name}' is over 40 chars "
            "(recommended maximum length is 22 characters)",
            col,
        )
    return True


def parse_captures(state: ParseState, name: str, pattern: str) -> str:
    """``Parser.pm parse_captures``: escape ``%{TAG}`` templates; capture rules run first."""
    if "%{" in pattern:
        pattern = _CAPTURE_TEMPLATE.sub(lambda m: "%\\{" + m.group(1) + "\\}", pattern)
    if CAPTURE_GROUP.search(pattern):
        state.priority[name] = -10000
    return pattern


def compile_rule_regex(
    state: ParseState, name: str, text: str, col: int, *, header: bool = False
) -> PerlRegex | None:
    # Header regexes are compiled now (the engine needs them); others are validated by
    # the translator and compiled on first use, unless linting (speed: spec §12, issue 3).
    result = compile_perl_regex(text, lint=state.lint, compile_now=header or state.lint)
    if isinstance(result, RegexProblem):
        where = col + (result.offset or 0)
        state.report(result.kind, f"invalid regexp for {name} '{text}': {result.message}", where)
        return None
    return result


_REGEX_TYPES: Final = frozenset(("header", "body", "rawbody", "full", "uri"))
_EVAL_FUNCTION: Final = re.compile(r"(.*?)\s*\(.*?\)\s*\Z", re.S)


def add_test(state: ParseState, definition: RuleDef) -> None:
    """Store an accepted definition (last one wins) and SpamAssassin's priority entry.

    Also ``Parser.pm add_test``'s bookkeeping: the compiled regex per name (``test_qrs``,
    kept when a later definition has none) and, for eval rules, the rule per eval function
    (``eval_to_rule``, read by Pyzor/Razor2 at the end of parsing).
    """
    name = definition.name
    state.defs[name] = definition
    state.priority.setdefault(name, 0)
    if definition.regex is not None and definition.type in _REGEX_TYPES:
        state.qrs[name] = definition.regex
    if definition.type.endswith("_eval") or definition.type == "mimeheader":
        function = _EVAL_FUNCTION.match(definition.eval or "")
        if function is not None:
            state.eval_to_rule.setdefault(function.group(1), []).append(name)


def clear_header_options(state: ParseState, name: str) -> None:
    """``Parser.pm add_test``: redefining a header test deletes the name's exists, if-unset
    and negation options first, before the new text is checked; if the new definition is
    then refused, the old one stays without them (see :mod:`spamhdr.rules.compile`)."""
    if name in state.defs:
        state.opt_exists.discard(name)
        state.opt_neg.discard(name)
        state.opt_unset.pop(name, None)
