"""Finish parsing: the parser's tables → an immutable :class:`~spamhdr.rules.config.Config`.

Input: a :class:`~spamhdr.rules.parser.ParseState`. Output: a Config with one effective
:class:`~spamhdr.rules.ast.Rule` per name and the diagnostics of this stage appended.

Order, as ``Conf/Parser.pm`` (``fix_tests`` at the end of ``parse``, then
``finish_parsing``) and ``Plugin/ReplaceTags.pm``:

1. default scores for rules without a ``score`` line (1.0; 0.01 for ``T_``; negated for
   ``tflags nice``) (spec §7);
2. ``finish_parsing_start`` of Pyzor and Razor2: their eval rules get priority -100;
3. metas: ``rules_matching`` expansion over the names with a score, dependencies, cycle
   exclusion ("excluding meta test X, unsolved meta dependencies: Y"; the
   expression is kept and runs without dependencies, as Parser.pm does);
4. ``fix_priorities``: walk rules by ascending priority and lower a dependency's priority
   to its meta's (net dependencies of metas below -100 are clamped to -100);
5. ``fix_tflags``: a meta inherits ``net`` from a direct dependency. SpamAssassin walks the
   metas in Perl hash order, so whether ``net`` reaches a meta through another meta that
   only inherits it depends on the run; we iterate to a fixed point (transitive closure:
   a meta gets ``net`` when any dependency chain reaches a ``net`` rule), deterministic;
6. eval argument check (``pack_eval_args``) and eval type check;
7. ReplaceTags on the listed regex rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from spamhdr.rules._sa_tables import BASE_EVALS, PLUGIN_EVALS
from spamhdr.rules.ast import Rule, RuleDef
from spamhdr.rules.config import Config, settings_from
from spamhdr.rules.diagnostics import KINDS, Diagnostic
from spamhdr.rules.meta import (
    MetaExpr,
    MetaSyntaxError,
    Num,
    expand_rules_matching,
    meta_names,
    parse_meta,
)
from spamhdr.rules.parser import ParseState
from spamhdr.rules.perl_regex import PerlRegex, RegexProblem, compile_perl_regex
from spamhdr.rules.replace_tags import replace_tags

__all__ = ["compile_config", "pack_eval_args"]

_EVAL_ARG = re.compile(r"\s*(?:(['\"])(.*?)\1|([\d.:A-Za-z-]+?))\s*(?:,\s*|\Z)", re.S)
_EVAL_CALL = re.compile(r"(\w+)\((.*?)\)\Z", re.S | re.ASCII)
_PREFIX = "Mail::SpamAssassin::Plugin::"
# Conf.pm TYPE_* codes of eval rule types (for "wrong rule type" checks).
_TYPE_CODES = {
    "header_eval": 9,
    "rbl_eval": 19,
    "body_eval": 11,
    "rawbody_eval": 15,
    "full_eval": 13,
}
_TYPE_NAMES = {9: "header", 11: "body", 13: "full", 15: "rawbody", 19: "header"}


def pack_eval_args(args: str) -> list[str] | None:
    """``Parser.pm pack_eval_args``: quoted strings or bare ``[\\d.:A-Za-z-]`` tokens."""
    if args and args.isspace():
        return []
    found: list[str] = []
    rest = args
    while rest:
        match = _EVAL_ARG.match(rest)
        if match is None or match.end() == 0:
            break
        found.append(match.group(2) if match.group(1) else match.group(3))
        rest = rest[match.end() :]
    return None if rest else found


def _diag(state: ParseState, definition: RuleDef, kind: str, message: str) -> None:
    state.diagnostics.append(
        Diagnostic(definition.file, definition.line, None, KINDS[kind][0], kind, message)
    )


Scores = tuple[float, float, float, float]


def _default_scores(state: ParseState) -> dict[str, Scores]:
    scores = dict(state.scores)
    for name in state.defs:
        if name not in scores:
            value = 0.01 if name.startswith("T_") else 1.0
            if re.search(r"\bnice\b", state.tflags.get(name, "")):
                value = -value
            scores[name] = (value, value, value, value)
    return scores


def _compile_metas(
    state: ParseState, scores: Mapping[str, object]
) -> tuple[dict[str, MetaExpr], dict[str, list[str]], set[str]]:
    trees: dict[str, MetaExpr] = {}
    deps: dict[str, list[str]] = {}
    meta_deps: dict[str, list[str]] = {}
    scored = sorted(scores)
    # Parser.pm compile_meta_rules walks the metas in Perl hash order and caches each
    # glob's expansion (excluding the meta that computed it); we walk them in definition
    # order, one of the orders SpamAssassin may take (docs/rules.md).
    glob_cache: dict[str, str] = {}
    for name, definition in state.defs.items():
        if definition.type != "meta" or definition.expression is None:
            continue
        text = expand_rules_matching(definition.expression, name, scored, glob_cache)
        try:
            tree = parse_meta(text)
        except MetaSyntaxError:
            tree = Num(0)  # unreachable after validation, but never crash
        trees[name] = tree
        names = [n for n in meta_names(tree) if n != "local_tests_only"]
        deps[name] = names
        meta_deps[name] = [n for n in names if n in state.defs and state.defs[n].type == "meta"]
    # Parser.pm: repeatedly drop metas whose meta dependencies are all solved.
    pending = set(trees)
    changed = True
    while changed and pending:
        changed = False
        for name in sorted(pending):
            if not any(dep in pending for dep in meta_deps[name]):
                pending.discard(name)
                changed = True
    for name in sorted(pending):
        unsolved = [d for d in meta_deps[name] if d in pending]
        _diag(
            state,
            state.defs[name],
            "unsolved-meta-dependency",
            f"rules: excluding meta test {name}, unsolved meta dependencies: "
            + ", ".join(unsolved),
        )
        # Parser.pm compile_meta_rules sets the sub to `sub { 0 }` and empties the
        # dependencies, but then compiles every meta's text again, unsolved ones included:
        # the real expression survives and, having no dependencies, is evaluated once right
        # after the first priority band (checked with SpamAssassin 4.0.1:
        # tests/differential/fixtures/engine_edge_rules.cf, EDGE_CIRC_*).
        deps[name] = []
    return trees, deps, pending


# Pyzor.pm / Razor2.pm finish_parsing_start: when forking (the default off Windows), the
# rules of their eval functions get priority -100 "to launch early" — every name ever
# defined with such an eval (Parser.pm eval_to_rule), before fix_priorities runs.
_FORKING_PLUGINS = (
    ("Pyzor", "pyzor_fork", ("check_pyzor",)),
    ("Razor2", "razor_fork", ("check_razor2", "check_razor2_range")),
)


def _fork_priorities(state: ParseState) -> None:
    for plugin, setting, functions in _FORKING_PLUGINS:
        if _PREFIX + plugin not in state.plugins or not state.settings.get(setting, 1):
            continue
        for function in functions:
            for name in state.eval_to_rule.get(function, ()):
                state.priority[name] = -100


def _fix_priorities(state: ParseState, deps: Mapping[str, list[str]]) -> dict[str, int]:
    pri = dict(state.priority)
    for rule in sorted(pri, key=lambda n: pri[n]):
        rule_deps = deps.get(rule)
        if not rule_deps:
            continue
        base = pri[rule]
        for dep in rule_deps:
            dep_pri = pri.get(dep)
            if dep_pri is not None and dep_pri > base:
                if base < -100 and re.search(r"\bnet\b", state.tflags.get(dep, "")):
                    pri[dep] = -100
                else:
                    pri[dep] = base
    return pri


def _fix_tflags(state: ParseState, deps: Mapping[str, list[str]]) -> dict[str, str]:
    tflags = dict(state.tflags)
    changed = True
    while changed:
        changed = False
        for name in sorted(deps):
            current = tflags.get(name, "")
            if re.search(r"\bnet\b", current):
                continue
            if any(re.search(r"\bnet\b", tflags.get(dep, "")) for dep in deps[name]):
                tflags[name] = "net" if current == "" else f"{current} net"
                changed = True
    return tflags


def _runs_in_lint(state: ParseState, definition: RuleDef, scores: Mapping[str, Scores]) -> bool:
    """Whether ``spamassassin --lint`` runs this eval rule on its test message: lint is
    local-only (no RBL evals) and skips rules with score 0 in the active set, ``net``
    rules in a non-network set and ``learn`` rules in a non-Bayes set (Check.pm
    run_eval_tests); only then does an unknown eval function count as an issue."""
    score_set = state.options.score_set
    flags = state.tflags.get(definition.name, "")
    if definition.type == "rbl_eval" or not scores[definition.name][score_set]:
        return False
    if re.search(r"\bnet\b", flags) and not score_set & 1:
        return False
    return not (re.search(r"\blearn\b", flags) and not score_set & 2)


def _check_eval(state: ParseState, definition: RuleDef, scores: Mapping[str, Scores]) -> bool:
    assert definition.eval is not None
    match = _EVAL_CALL.match(definition.eval)
    if match is None or pack_eval_args(match.group(2)) is None:
        _diag(
            state,
            definition,
            "eval-syntax-error",
            f"syntax error for eval function {definition.name}: {definition.eval}",
        )
        return False
    if definition.type == "mimeheader":
        return True
    function = match.group(1)
    expected = BASE_EVALS.get(function)
    known = expected is not None
    for package in state.plugins:
        table = PLUGIN_EVALS.get(package.removeprefix(_PREFIX))
        if table is not None and function in table:
            expected, known = table[function], True
    if (
        expected
        and expected != _TYPE_CODES[definition.type]
        and not (expected == 11 and definition.type == "rawbody_eval")
    ):
        _diag(
            state,
            definition,
            "wrong-eval-type",
            f"wrong rule type defined for {definition.name}, expected "
            f"'{_TYPE_NAMES.get(expected, '?')}'",
        )
        return False
    third_party = any(p.removeprefix(_PREFIX) not in PLUGIN_EVALS for p in state.plugins)
    if not known and not third_party:
        kind = "unknown-eval" if _runs_in_lint(state, definition, scores) else "unknown-eval-idle"
        _diag(state, definition, kind, f"rules: unknown eval '{function}' for {definition.name}")
    return True


def _replaced(state: ParseState, definition: RuleDef, regex_: PerlRegex | None) -> PerlRegex | None:
    if regex_ is None or definition.type == "mimeheader":
        return None
    flags = f"(?{regex_.flags})" if regex_.flags else ""
    original = f"(?aa){flags}{regex_.pattern}"
    start = str(state.settings.get("replace_start", "<"))
    end = str(state.settings.get("replace_end", ">"))
    text = replace_tags(
        original,
        state.replace["tag"],
        state.replace["pre"],
        state.replace["inter"],
        state.replace["post"],
        start,
        end,
    )
    if text == original:
        return None
    body = text[len("(?aa)") + len(flags) :] if text.startswith("(?aa)" + flags) else text
    # A replaced pattern Perl refuses leaves the rule with its unreplaced regex
    # (ReplaceTags.pm logs it at info level). Our translator checks it; body-like rules
    # are compiled with `regex` on first use only, unless linting (the expansions are huge).
    compile_now = definition.type == "header" or state.lint
    result = compile_perl_regex(text, strip_delimiters=False, compile_now=compile_now)
    if isinstance(result, RegexProblem):
        _diag(
            state,
            definition,
            "replace-tags-failed",
            f"replacetags: regexp compilation failed for {definition.name}: '{text}': "
            f"{result.message}",
        )
        return None
    # Keep pattern/flags separate: the "(?aa)(?flags)" prefix we put in front is dropped.
    return PerlRegex(body, regex_.flags, result.translated)


def _header_test(
    state: ParseState, definition: RuleDef
) -> tuple[str | None, str | None, PerlRegex | None]:
    """(operator, if_unset, regex) of a rule as SpamAssassin runs it.

    For header regex/``exists:`` tests these come from ``Parser.pm add_test``'s option
    tables, not from the definition's text: a refused redefinition of the name deletes the
    options of the definition that stays (``!~`` becomes ``=~``, an ``exists:`` test becomes
    a regex test with the name's last compiled regex, if any), and an ``[if-unset: …]``
    is stored before the regex is compiled, so a refused regex leaves its if-unset text to
    the name (Check.pm do_head_tests reads the same tables).
    """
    if definition.type != "header" or definition.operator == "eval":
        return definition.operator, definition.if_unset, definition.regex
    name = definition.name
    if_unset = state.opt_unset.get(name)
    if name in state.opt_exists:
        return "exists", if_unset, None
    regex_ = definition.regex
    if definition.operator == "exists":
        regex_ = state.qrs.get(name)
    return ("!~" if name in state.opt_neg else "=~"), if_unset, regex_


def compile_config(state: ParseState) -> Config:
    """Finish the configuration (module docstring) and freeze it."""
    scores = _default_scores(state)
    _fork_priorities(state)
    trees, deps, unsolved = _compile_metas(state, scores)
    priority = _fix_priorities(state, deps)
    tflags = _fix_tflags(state, deps)
    rules: dict[str, Rule] = {}
    for name, definition in state.defs.items():
        if definition.eval is not None and definition.type != "mimeheader":
            # A bad eval is left out of SpamAssassin's eval tables but stays a defined
            # test (it still appears in the inventory and satisfies metas as 0).
            _check_eval(state, definition, scores)
        operator, if_unset, regex_ = _header_test(state, definition)
        replaced = None
        if name in state.replace_rules:
            replaced = _replaced(state, definition, regex_)
        if replaced is not None:
            regex_ = replaced
        rules[name] = Rule(
            name=name,
            type=definition.type,
            header=definition.header,
            modifiers=definition.modifiers,
            operator=operator,
            pattern=regex_.pattern if regex_ is not None else None,
            flags=regex_.flags if regex_ is not None else None,
            if_unset=if_unset,
            expression=definition.expression,
            eval=definition.eval,
            tflags=tflags.get(name),
            priority=priority.get(name, 0),
            scores=scores[name],
            describe=state.describes.get(name),
            source=f"{definition.file}:{definition.line}",
            raw=definition.raw,
            regex=regex_,
            meta=trees.get(name),
            dependencies=tuple(deps.get(name, ())),
            unsolved=name in unsolved,
            replaced=replaced is not None,
        )
    return Config(
        rules=MappingProxyType(rules),
        diagnostics=tuple(state.diagnostics),
        scores=MappingProxyType(scores),
        descriptions=MappingProxyType(dict(state.describes)),
        plugins=tuple(state.plugins),
        **settings_from(state.settings),
    )
