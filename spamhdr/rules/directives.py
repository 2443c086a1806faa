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
from dataclasses import replace
from typing import Final

from spamhdr.rules._sa_tables import BASE_COMMANDS, PLUGIN_COMMANDS
from spamhdr.rules.ast import RuleDef
from spamhdr.rules.conditions import PLUGIN_MODULES, canonical_plugin
from spamhdr.rules.meta import RULENAME_RE, validate_meta
from spamhdr.rules.parser import Handler, ParseState
from spamhdr.rules.perl_regex import PerlRegex, RegexProblem, compile_perl_regex

__all__ = ["HANDLERS", "add_test", "find_handler"]

_PREFIX: Final = "Mail::SpamAssassin::Plugin::"
_EVAL: Final = re.compile(r"(?:rbl)?eval:(.*)\Z", re.S)
_EVAL_CALL: Final = re.compile(r"\w+\(.*\)\Z", re.S | re.ASCII)
_HEAD_TEST: Final = re.compile(r"([\w.-]+(?::|(?::[a-z]+){1,2})?)\s*([=!]~)\s*(.+)\Z", re.S | re.A)
_EXISTS_HDR: Final = re.compile(r"[\w.-]+:?\Z", re.ASCII)
_BAD_MODIFIER: Final = re.compile(
    r":(?!(?:raw|addr|name|host|domain|ip|revip|first|last)\b)", re.IGNORECASE
)
_IF_UNSET: Final = re.compile(r"\s+\[if-unset:\s+(.+)\]\Z", re.S)
_CAPTURE_TEMPLATE: Final = re.compile(r"(?<!\\)%\{([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*(?:\([^)}]*\))?)\}")
_CAPTURE_GROUP: Final = re.compile(r"\(\?P?[<'][A-Z]")
_NUMBER: Final = re.compile(r"-?\d+(?:\.\d+)?\Z", re.ASCII)
_WS: Final = re.compile(r"\s+")

# --- rule definitions (Parser.pm add_test) ----------------------------------------------


def _split_name(state: ParseState, key: str, value: str) -> tuple[str, str] | None:
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


def _check_name(state: ParseState, name: str, col: int) -> bool:
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


def _parse_captures(state: ParseState, name: str, pattern: str) -> str:
    """``Parser.pm parse_captures``: escape ``%{TAG}`` templates; capture rules run first."""
    if "%{" in pattern:
        pattern = _CAPTURE_TEMPLATE.sub(lambda m: "%\\{" + m.group(1) + "\\}", pattern)
    if _CAPTURE_GROUP.search(pattern):
        state.priority[name] = -10000
    return pattern


def _compile(
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


def _clear_header_options(state: ParseState, name: str) -> None:
    """``Parser.pm add_test``: redefining a header test deletes the name's exists, if-unset
    and negation options first, before the new text is checked; if the new definition is
    then refused, the old one stays without them (see :mod:`spamhdr.rules.compile`)."""
    if name in state.defs:
        state.opt_exists.discard(name)
        state.opt_neg.discard(name)
        state.opt_unset.pop(name, None)


def _regex_rule(state: ParseState, key: str, value: str, col: int) -> None:
    """``body``/``rawbody``/``full``/``uri`` (and their ``eval:`` forms)."""
    split = _split_name(state, key, value)
    if split is None:
        return
    name, rest = split
    rest_col = col + value.index(rest, len(name))
    evaluated = re.match(r"eval:(.*)\Z", rest, re.S) if key != "uri" else None
    if evaluated:
        if not _EVAL_CALL.match(evaluated.group(1)):
            state.report("invalid-value", f"invalid '{key}' value")
            return
        if _check_name(state, name, col):
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
    if not _check_name(state, name, col):
        return
    text = _parse_captures(state, name, rest)
    compiled = _compile(state, name, text, rest_col)
    if compiled is not None:
        add_test(state, RuleDef(name, key, rest, state.file, state.line, regex=compiled))


def _header(state: ParseState, key: str, value: str, col: int) -> None:
    split = _split_name(state, key, value)
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
        if _check_name(state, name, col):
            add_test(
                state,
                RuleDef(
                    name, kind, function, state.file, state.line, operator="eval", eval=function
                ),
            )
        return
    if not _check_name(state, name, col):
        return
    _clear_header_options(state, name)
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
    unset = _IF_UNSET.search(pattern)
    if unset:
        if_unset = unset.group(1)
        pattern = pattern[: unset.start()]
        # Set before the regex is compiled: a refused regex leaves it on the name.
        state.opt_unset[name] = if_unset
    pattern = _parse_captures(state, name, pattern)
    compiled = _compile(state, name, pattern, rest_col + match.start(3), header=True)
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
    split = _split_name(state, key, value)
    if split is None:
        return
    name, rest = split
    if re.search(r"\*\s*\*", rest):
        state.report("invalid-value", f"invalid '{key}' value")
        return
    if not _check_name(state, name, col):
        return
    verdict = validate_meta(name, rest)
    if verdict.kind is not None:
        state.report(verdict.kind, verdict.message, col + value.index(rest, len(name)))
        return
    add_test(state, RuleDef(name, "meta", rest, state.file, state.line, expression=rest))


def _mimeheader(state: ParseState, key: str, value: str, col: int) -> None:
    match = re.match(r"([_a-zA-Z][_a-zA-Z0-9]{0,127})\s+", value)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    name, rest = match.group(1), value[match.end() :]
    if rest == "":
        state.report("missing-value", f"missing '{key}' value")
        return
    test = re.match(r"([^:\s]+(?::(?:raw)?)?)\s*([=!]~)\s*(.+)\Z", rest, re.S)
    if test is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    spec, operator, pattern = test.group(1).removesuffix(":"), test.group(2), test.group(3)
    if_unset = None
    unset = _IF_UNSET.search(pattern)
    if unset:
        if_unset, pattern = unset.group(1), pattern[: unset.start()]
    compiled = compile_perl_regex(pattern)
    if isinstance(compiled, RegexProblem):
        # MIMEHeader logs this with info() and returns INVALID_VALUE.
        state.report("invalid-value", f"invalid '{key}' value ({compiled.message})")
        return
    header, *modifiers = spec.split(":")
    definition = RuleDef(
        name,
        "mimeheader",
        rest,
        state.file,
        state.line,
        header=header,
        modifiers=tuple(modifiers),
        operator=operator,
        regex=compiled,
        if_unset=if_unset,
        eval=f"_mimeheader_eval_{name}()",
    )
    if name in state.mimeheader_evals:
        # MIMEHeader.pm replaces the rule's entry in mimeheader_tests but does not
        # re-register its eval sub ("don't redefine the subroutine"): the test keeps its
        # first definition's place and its type, even if another type replaced it since.
        current = state.defs.get(name)
        if current is not None and current.type == "mimeheader":
            state.defs[name] = replace(definition, file=current.file, line=current.line)
        return
    state.mimeheader_evals.add(name)
    if not _check_name(state, name, col):
        return
    add_test(state, definition)
    if _CAPTURE_GROUP.search(compiled.pattern):
        state.priority[name] = -10000  # parse_captures on the compiled rule


def _reuse(state: ParseState, key: str, value: str, col: int) -> None:
    match = re.search(r"\s*(\w+)(?:\s+(?:\w+(?:\s+\w+)*))?\s*\Z", value)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    name = match.group(1)
    if name not in state.defs and _check_name(state, name, col):
        add_test(state, RuleDef(name, "empty", None, state.file, state.line))


def _named_empty(state: ParseState, key: str, value: str, col: int) -> None:
    """AskDNS ``askdns NAME …``: an empty test so scores and lint work."""
    parts = value.split(None, 1)
    if len(parts) < 2:
        state.report("missing-value", f"missing '{key}' value")
        return
    if _check_name(state, parts[0], col):
        add_test(state, RuleDef(parts[0], "empty", None, state.file, state.line))


_URI_DETAIL: Final = re.compile(
    r"\b(\w+)\b\s*([=!]~)\s*((?:/.*?/|m(\W).*?\4)[imsx]*)(?=\s|\Z)", re.ASCII
)
_URI_DETAIL_TARGETS: Final = frozenset(("raw", "type", "cleaned", "text", "domain", "host"))


def _uri_detail(state: ParseState, key: str, value: str, col: int) -> None:
    """URIDetail.pm ``uri_detail NAME target =~ /re/ …``: a body eval ``check_uri_detail()``
    when at least one criterion is valid; any bad target or regex refuses the line."""
    match = re.match(r"(\S+)\s+(.+)\Z", value)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    name, criteria = match.groups()
    added = False
    for criterion in _URI_DETAIL.finditer(criteria):
        if criterion.group(1) not in _URI_DETAIL_TARGETS:
            state.report("invalid-value", f"invalid '{key}' value")
            return
        if isinstance(compile_perl_regex(criterion.group(3)), RegexProblem):
            state.report("invalid-value", f"invalid '{key}' value")
            return
        added = True
    if not added:
        state.report("invalid-value", f"invalid '{key}' value (failed to add invalid rule {name})")
        return
    if _check_name(state, name, col):
        add_test(
            state,
            RuleDef(
                name,
                "body_eval",
                "check_uri_detail()",
                state.file,
                state.line,
                operator="eval",
                eval="check_uri_detail()",
            ),
        )


def _uri_block(state: ParseState, key: str, value: str, col: int) -> None:
    """URILocalBL.pm ``uri_block_* NAME args``: a body eval ``check_uri_local_bl()``
    at priority -100 (the plugin sets it after adding the test)."""
    match = re.match(r"([_a-zA-Z][_a-zA-Z0-9]{0,127})\s+(.+?)\s*\Z", value, re.ASCII)
    if match is None:
        state.report("invalid-value", f"invalid '{key}' value")
        return
    name = match.group(1)
    if _check_name(state, name, col):
        function = "check_uri_local_bl()"
        add_test(
            state,
            RuleDef(
                name, "body_eval", function, state.file, state.line, operator="eval", eval=function
            ),
        )
    state.priority[name] = -100


def _shortcircuit(state: ParseState, key: str, value: str, col: int) -> None:
    """Shortcircuit.pm ``shortcircuit RULE ham|spam|on|off``: ``ham``/``spam`` also give
    the rule priority -200 unless it has a non-zero one, and append ``nice`` (ham) and
    ``noautolearn`` to its tflags."""
    if not value:
        state.report("missing-value", f"missing '{key}' value")
        return
    match = re.match(r"(\w+)\s+(\w+)\Z", value, re.ASCII)
    if match is None or match.group(2) not in ("ham", "spam", "on", "off"):
        state.report("invalid-value", f"invalid '{key}' value")
        return
    rule, kind = match.groups()
    if kind in ("ham", "spam"):
        if not state.priority.get(rule):
            state.priority[rule] = -200
        current = state.tflags.get(rule, "")
        added = ("nice " if kind == "ham" else "") + "noautolearn"
        state.tflags[rule] = f"{current} {added}" if current and current != "0" else added


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
    "mimeheader": _mimeheader,
    "askdns": _named_empty,
    "uri_detail": _uri_detail,
    "uri_block_cc": _uri_block,
    "uri_block_cont": _uri_block,
    "uri_block_cidr": _uri_block,
    "uri_block_isp": _uri_block,
    "uri_block_exclude": _uri_block,
    "shortcircuit": _shortcircuit,
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
