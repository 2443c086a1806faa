"""Directive handlers: one function per ``.cf`` command, found through tables.

Input: the :class:`~spamhdr.rules.parser.ParseState`, the normalised key, the value text
and the value's column. Output: updated tables in the state, or a diagnostic.

Each handler follows the ``Conf.pm`` command of the same name (or ``Parser.pm add_test`` for
rule definitions, spec/sa-rules.md §3, §7–9); commands without a dedicated handler are
validated by their ``CONF_TYPE`` (``Parser.pm set_*_value``) from the tables of
:mod:`spamhdr.rules._sa_tables`, which also say which plugin must be loaded for a command.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from spamhdr.rules._sa_tables import BASE_COMMANDS, PLUGIN_COMMANDS
from spamhdr.rules.ast import RuleDef
from spamhdr.rules.conditions import PLUGIN_MODULES, canonical_plugin
from spamhdr.rules.meta import RULENAME_RE, validate_meta
from spamhdr.rules.parser import Handler, ParseState
from spamhdr.rules.plugin_rules import PLUGIN_RULE_HANDLERS
from spamhdr.rules.rule_defs import (
    IF_UNSET,
    add_test,
    check_name,
    clear_header_options,
    compile_rule_regex,
    parse_captures,
    split_name,
)

__all__ = ["HANDLERS", "add_test", "find_handler"]

_PREFIX: Final = "Mail::SpamAssassin::Plugin::"
_EVAL: Final = re.compile(r"(?:rbl)?eval:(.*)\Z", re.S)
_EVAL_CALL: Final = re.compile(r"\w+\(.*\)\Z", re.S | re.ASCII)
_HEAD_TEST: Final = re.compile(r"([\w.-]+(?::|(?::[a-z]+){1,2})?)\s*([=!]~)\s*(.+)\Z", re.S | re.A)
_EXISTS_HDR: Final = re.compile(r"[\w.-]+:?\Z", re.ASCII)
_BAD_MODIFIER: Final = re.compile(
    r":(?!(?:raw|addr|name|host|domain|ip|revip|first|last)\b)", re.IGNORECASE
)
_NUMBER: Final = re.compile(r"-?\d+(?:\.\d+)?\Z", re.ASCII)
_WS: Final = re.compile(r"\s+")

# --- rule definitions (Parser.pm add_test) ----------------------------------------------


def _regex_rule(state: ParseState, key: str, value: str, col: int) -> None:
    """``body``/``rawbody``/``full``/``uri`` (and their ``eval:`` forms)."""
    split = split_name(state, key, value)
    if split is None:
        return
    name, rest = split
    rest_col = col + value.index(rest, len(name))
    evaluated = re.match(r"eval:(.*)\Z", rest, re.S) if key != "uri" else None
    if evaluated:
        if not _EVAL_CALL.match(evaluated.group(1)):
            state.report("invalid-value", f"invalid '{key}' value")
            return
        if check_name(state, name, col):
            add_test(
                state,
                RuleDef(
                    name,
                    f"{key}_eval",
                    rest,
                    state.file,
                    state.line,
                    operator="eval",
                    eval=evaluated.group(1),
                ),
            )
        return
    if not check_name(state, name, col):
        return
    text = parse_captures(state, name, rest)
    compiled = compile_rule_regex(state, name, text, rest_col)
    if compiled is not None:
        add_test(state, RuleDef(name, key, rest, state.file, state.line, regex=compiled))


def _header(state: ParseState, key: str, value: str, col: int) -> None:
    split = split_name(state, key, value)
    if split is None:
        return
    name, rest = split
    rest_col = col + value.index(rest, len(name))
    evaluated = _EVAL.match(rest)
    if evaluated:
        function = evaluated.group(1)
        if not _EVAL_CALL.match(function):
            state.report("invalid-value", f"invalid '{key}' value")
            return
        kind = "rbl_eval" if re.match(r"check_(?:rbl|dns)", function) else "header_eval"
        if check_name(state, name, col):
            add_test(
                state,
                RuleDef(
                    name, kind, function, state.file, state.line, operator="eval", eval=function
                ),
            )
        return
    if not check_name(state, name, col):
        return
    clear_header_options(state, name)
    if rest.startswith("exists:"):
        header = rest[7:]
        if not _EXISTS_HDR.match(header):
            state.report(
                "invalid-head-test", f"invalid head test {name} header: {header}", rest_col
            )
            return
        add_test(
            state,
            RuleDef(
                name,
                "header",
                rest,
                state.file,
                state.line,
                header=header.removesuffix(":"),
                operator="exists",
            ),
        )
        state.opt_exists.add(name)
        return
    match = _HEAD_TEST.match(rest)
    if match is None:
        state.report("invalid-head-test", f"invalid head test {name}: {rest}", rest_col)
        return
    spec, operator, pattern = match.group(1).removesuffix(":"), match.group(2), match.group(3)
    if _BAD_MODIFIER.search(spec):
        state.report(
            "invalid-header-modifier",
            f"invalid header modifier for {name}: {spec}",
            rest_col + spec.find(":") + 1,
        )
        return
    if_unset = None
    unset = IF_UNSET.search(pattern)
    if unset:
        if_unset = unset.group(1)
        pattern = pattern[: unset.start()]
        # Set before the regex is compiled: a refused regex leaves it on the name.
        state.opt_unset[name] = if_unset
    pattern = parse_captures(state, name, pattern)
    compiled = compile_rule_regex(state, name, pattern, rest_col + match.start(3), header=True)
    if compiled is None:
        return
    if operator == "!~":
        state.opt_neg.add(name)
    header, *modifiers = spec.split(":")
    add_test(
        state,
        RuleDef(
            name,
            "header",
            rest,
            state.file,
            state.line,
            header=header,
            modifiers=tuple(modifiers),
            operator=operator,
            regex=compiled,
            if_unset=if_unset,
        ),
    )


def _meta(state: ParseState, key: str, value: str, col: int) -> None:
    split = split_name(state, key, value)
    if split is None:
        return
    name, rest = split
    if re.search(r"\*\s*\*", rest):
        state.report("invalid-value", f"invalid '{key}' value")
        return
    if not check_name(state, name, col):
        return
    verdict = validate_meta(name, rest)
    if verdict.kind is not None:
        state.report(verdict.kind, verdict.message, col + value.index(rest, len(name)))
        return
    add_test(state, RuleDef(name, "meta", rest, state.file, state.line, expression=rest))


def _reuse(state: ParseState, key: str, value: str, col: int) -> None:
    match = re.search(r"\s*(\w+)(?:\s+(?:\w+(?:\s+\w+)*))?\s*\Z", value)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    name = match.group(1)
    if name not in state.defs and check_name(state, name, col):
        add_test(state, RuleDef(name, "empty", None, state.file, state.line))


# --- per-rule settings ------------------------------------------------------------------


def _score(state: ParseState, key: str, value: str, col: int) -> None:
    name, *scores = _WS.split(value) if value else [""]
    if not value or len(scores) not in (1, 4):
        state.report("missing-value", f"missing '{key}' value")
        return
    relative = False
    numbers: list[float] = []
    for text in scores:
        inner = re.match(r"\((-?\d+(?:\.\d+)?)\)\Z", text)
        if inner:
            relative, text = True, inner.group(1)
        if not _NUMBER.match(text):
            state.report("invalid-value", f"invalid '{key}' value")
            return
        numbers.append(float(text))
    if relative and name not in state.scores:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    if len(numbers) == 1:
        numbers *= 4
    if relative:
        old = state.scores[name]
        numbers = [o + n for o, n in zip(old, numbers, strict=True)]
    state.scores[name] = (numbers[0], numbers[1], numbers[2], numbers[3])


def _hash_setting(table: str) -> Handler:
    """``CONF_TYPE_HASH_KEY_VALUE``: ``KEY VALUE`` with a non-empty value, last wins."""

    def handler(state: ParseState, key: str, value: str, col: int) -> None:
        parts = _WS.split(value, maxsplit=1) if value else [""]
        if len(parts) < 2 or parts[1] == "":
            state.report("missing-value", f"missing '{key}' value")
            return
        target: dict[str, str]
        if table == "tflags":
            target = state.tflags
        elif table == "describe":
            target = state.describes
        else:
            target = state.replace[table]
        target[parts[0]] = parts[1]

    return handler


def _priority(state: ParseState, key: str, value: str, col: int) -> None:
    parts = _WS.split(value, maxsplit=1) if value else [""]
    if len(parts) < 2:
        state.report("missing-value", f"missing '{key}' value")
        return
    if not RULENAME_RE.match(parts[0]) or not re.match(r"-?\d+\Z", parts[1]):
        state.report("invalid-value", f"invalid '{key}' value")
        return
    state.priority[parts[0]] = int(parts[1])


def _replace_rules(state: ParseState, key: str, value: str, col: int) -> None:
    if not value:
        state.report("missing-value", f"missing '{key}' value")
        return
    for name in _WS.split(value):
        state.replace_rules[name] = None


# --- plugins ----------------------------------------------------------------------------


def _loadplugin(state: ParseState, key: str, value: str, col: int) -> None:
    if not value:
        state.report("missing-value", f"missing '{key}' value")
        return
    match = re.match(r"((?:\w+::){0,10}\w+)(?:\s+(\S+\.pm))?\Z", value, re.I | re.A)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    package = canonical_plugin(match.group(1)) if key == "loadplugin" else match.group(1)
    if package == _PREFIX + "HashCash":
        state.report("plugin-not-found", f"plugin: {package} is deprecated, not loading")
        return
    short = package.removeprefix(_PREFIX)
    if package.startswith(_PREFIX) and short in PLUGIN_MODULES:
        state.plugins[package] = None
    elif match.group(2):
        # A third-party plugin with a path: assume it loads (we cannot run it).
        state.plugins[package] = None
    elif key == "loadplugin":
        state.report("plugin-not-found", f"plugin: failed to parse plugin {package}: not found")


def _enable_compat(state: ParseState, key: str, value: str, col: int) -> None:
    if not value:
        state.report("missing-value", f"missing '{key}' value")
    elif not re.match(r"[a-zA-Z0-9_]{1,128}\Z", value):
        state.report("invalid-value", f"invalid '{key}' value")
    else:
        state.compat.add(value)


def _ignore(state: ParseState, key: str, value: str, col: int) -> None:
    """``test NAME ok|fail text``: regression strings, no run-time effect."""


HANDLERS: Final[dict[str, Handler]] = {
    "header": _header,
    "body": _regex_rule,
    "rawbody": _regex_rule,
    "full": _regex_rule,
    "uri": _regex_rule,
    "meta": _meta,
    "reuse": _reuse,
    "score": _score,
    "describe": _hash_setting("describe"),
    "tflags": _hash_setting("tflags"),
    "priority": _priority,
    "test": _ignore,
    "loadplugin": _loadplugin,
    "tryplugin": _loadplugin,
    "enable_compat": _enable_compat,
}

# Plugin directives with rule semantics (the rest are validated by type).
_PLUGIN_HANDLERS: Final[dict[str, Handler]] = {
    **PLUGIN_RULE_HANDLERS,
    "replace_tag": _hash_setting("tag"),
    "replace_pre": _hash_setting("pre"),
    "replace_inter": _hash_setting("inter"),
    "replace_post": _hash_setting("post"),
    "replace_rules": _replace_rules,
}

# Plugins' parse_config hooks (keys accepted without a registered command).
_PARSE_CONFIG: Final[dict[str, re.Pattern[str]]] = {
    "Bayes": re.compile(r"bayes_stopword_[a-z]{2}\Z", re.I),
    "ExtractText": re.compile(r"extracttext_(?:use|external)\Z"),
    "FreeMail": re.compile(r"freemail_(?:domains|welcomelist|whitelist)\Z"),
    "HashBL": re.compile(r"hashbl_acl_[a-z0-9]{1,32}\Z", re.I),
}


def find_handler(state: ParseState, key: str) -> Handler | None:
    """The handler for a key not in :data:`HANDLERS`: a settings handler when the key is a
    ``Conf.pm`` command or a command of a loaded plugin; None when nobody accepts it."""
    from spamhdr.rules.settings import SETTING_HANDLERS, typed_handler

    if key in SETTING_HANDLERS:
        return SETTING_HANDLERS[key]
    value_type = BASE_COMMANDS.get(key)
    if value_type is not None:
        return typed_handler(value_type)
    third_party = False
    for package in state.plugins:
        short = package.removeprefix(_PREFIX)
        commands = PLUGIN_COMMANDS.get(short)
        if commands is None:
            third_party = True
            continue
        if key in commands:
            return _PLUGIN_HANDLERS.get(key) or typed_handler(commands[key])
        pattern = _PARSE_CONFIG.get(short)
        if pattern is not None and pattern.match(key):
            return _ignore
    if third_party:
        return _third_party
    return None


def _third_party(state: ParseState, key: str, value: str, col: int) -> None:
    """A key nobody we know accepts, while a plugin we cannot inspect is loaded."""
    state.report(
        "unparseable-line",
        f"failed to parse line (unless a third-party plugin handles '{key}')",
        severity="warning",
    )


HandlerFactory = Callable[[str], Handler]
