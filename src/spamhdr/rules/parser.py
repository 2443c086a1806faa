"""The directive loop: source files → a :class:`ParseState` (definitions, settings, diagnostics).

Input: the top-level files in SpamAssassin's order (:class:`SourceFile`), an ``include``
callback that reads more files (the only I/O, injected by :mod:`spamhdr.rules.load`), the
locale tag for ``lang`` and :class:`~spamhdr.options.Options`. Output: a :class:`ParseState`
whose tables hold the last definition per rule name, scores, tflags, descriptions,
priorities, ReplaceTags settings and the settings explanations need.

Follows ``Conf/Parser.pm parse`` (spec/sa-rules.md §2): structural keys (``endif``,
``ifplugin``, ``if``, ``file``, ``include``, ``else``) are handled before the "skipping a
false conditional" test; a real stack of conditionals, file-scoped (every ``file end``
reports and clears unclosed ones); ``include`` is executed even inside a false block and,
because it is spliced in as ``file end CUR`` … ``file start CUR``, resets the including
file's conditionals; ``require_version`` other than ``@@VERSION@@``/``4.000001`` skips the
rest of the file. Every other key goes through the directive table of
:mod:`spamhdr.rules.directives`.

Invariants: never raises for bad rule text; line numbers are physical line numbers.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from spamhdr.options import DEFAULT_OPTIONS, Options
from spamhdr.rules.ast import RuleDef
from spamhdr.rules.conditions import evaluate_condition
from spamhdr.rules.diagnostics import KINDS, Diagnostic
from spamhdr.rules.lexer import LANG_PREFIX, lex_line
from spamhdr.rules.perl_regex import PerlRegex, RegexProblem, compile_perl_regex

__all__ = ["ParseState", "SourceFile", "parse_sources"]

VERSION_STRING = "4.000001"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file's text (None when unreadable, with ``problem`` saying why)."""

    path: str
    text: str | None
    problem: Diagnostic | None = None


@dataclass(slots=True)
class _Cond:
    kind: str  # "if" or "ifplugin"
    condition: str
    saved_skip: bool
    line: int


@dataclass(slots=True)
class ParseState:
    """Mutable tables filled while parsing (frozen into a Config by compile.py)."""

    options: Options = DEFAULT_OPTIONS
    lint: bool = False
    defs: dict[str, RuleDef] = field(default_factory=dict)
    scores: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    tflags: dict[str, str] = field(default_factory=dict)
    describes: dict[str, str] = field(default_factory=dict)
    priority: dict[str, int] = field(default_factory=dict)
    replace: dict[str, dict[str, str]] = field(
        default_factory=lambda: {"tag": {}, "pre": {}, "inter": {}, "post": {}}
    )
    replace_rules: dict[str, None] = field(default_factory=dict)
    # Parser.pm add_test: the last regex compiled per name ($conf->{test_qrs}, never
    # deleted) and the rules per eval function ($conf->{eval_to_rule}, names pushed on
    # every accepted eval definition, never removed).
    qrs: dict[str, PerlRegex] = field(default_factory=dict)
    eval_to_rule: dict[str, list[str]] = field(default_factory=dict)
    # Parser.pm add_test's header option tables (test_opt_exists/neg/unset): what a header
    # test's operator and if-unset effectively are (compile.py reads them).
    opt_exists: set[str] = field(default_factory=set)
    opt_neg: set[str] = field(default_factory=set)
    opt_unset: dict[str, str] = field(default_factory=dict)
    # MIMEHeader.pm: names whose _mimeheader_eval_NAME sub exists (defined once per process).
    mimeheader_evals: set[str] = field(default_factory=set)
    settings: dict[str, object] = field(default_factory=dict)
    plugins: dict[str, None] = field(default_factory=dict)
    compat: set[str] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Position of the line being handled, for diagnostics.
    file: str = "(no file)"
    line: int = 0
    physical: str = ""
    in_user_prefs: bool = False

    def report(
        self, kind: str, message: str, col: int | None = None, *, severity: str | None = None
    ) -> None:
        """Record a diagnostic at the current line."""
        sev = severity or KINDS[kind][0]
        self.diagnostics.append(
            Diagnostic(
                self.file,
                self.line,
                col,
                "error" if sev == "error" else "warning",
                kind,
                message,
                self.physical if self.line else None,
            )
        )


Include = Callable[[str], Sequence[SourceFile]]
# A directive handler: (state, key, value, physical-line column of value) → None.
Handler = Callable[[ParseState, str, str, int], None]

_Item = tuple[str, str, int, str]  # ("line"|"start"|"end", file, lineno, text)


def _file_items(source: SourceFile, state: ParseState) -> Iterator[_Item]:
    yield ("start", source.path, 0, "")
    if source.text is not None:
        limit = state.options.max_line_bytes
        for number, physical in enumerate(source.text.split("\n"), start=1):
            if len(physical) > limit:
                state.file, state.line, state.physical = source.path, number, physical[:200]
                state.report(
                    "line-too-long", f"line of {len(physical)} bytes skipped (limit {limit})"
                )
                continue
            yield ("line", source.path, number, physical)
    yield ("end", source.path, 0, "")


def _sources_items(sources: Sequence[SourceFile], state: ParseState) -> Iterator[_Item]:
    for source in sources:
        if source.problem is not None:
            state.diagnostics.append(source.problem)
        if source.text is not None:
            yield from _file_items(source, state)


def _include_items(
    current: str, included: Sequence[SourceFile], state: ParseState
) -> Iterator[_Item]:
    yield ("end", current, 0, "")
    yield from _sources_items(included, state)
    yield ("start", current, 0, "")


_USER_PREFS_NAME = re.compile(r"\buser_prefs\Z", re.ASCII)
_PLAIN_TAG = re.compile(r"[A-Za-z0-9_-]+\Z")


def _lang_matches(lang: str, tag: str) -> bool:
    """``Parser.pm parse``: ``next if $lang !~ /^$1/i`` — the tag is a Perl regex
    (``lang e. describe …`` applies to ``en``). A tag Perl cannot compile makes
    SpamAssassin die; we skip the line."""
    if _PLAIN_TAG.match(tag):
        return lang.lower().startswith(tag.lower())
    compiled = compile_perl_regex("^" + tag, strip_delimiters=False)
    if isinstance(compiled, RegexProblem):
        return False
    flags = "i" + compiled.flags
    anchored = PerlRegex(compiled.pattern, flags)
    return anchored.compiled.search(lang.encode("latin-1", "replace")) is not None


def parse_sources(
    sources: Sequence[SourceFile],
    include: Include,
    *,
    handlers: dict[str, Handler],
    fallback: Callable[[ParseState, str], Handler | None],
    lang: str = "en_US",
    options: Options = DEFAULT_OPTIONS,
    lint: bool = False,
    user_prefs: str | None = None,
) -> ParseState:
    """Run the directive loop over ``sources`` (see the module docstring).

    Args:
        sources: top-level files in reading order.
        include: reads an ``include`` target (file or directory) as source files.
        handlers: key → handler for directives always known.
        fallback: finds a handler for other keys (plugin directives); None = unknown.
        lang: the locale tag ``lang xx`` prefixes are compared with.
        options: limits and ``local_tests_only``.
        lint: ``--lint`` behaviour (long-name warnings, always-matching regexps).
        user_prefs: the path of the user prefs file (unused: SpamAssassin refuses
            ``can()`` in any file whose name ends in ``user_prefs``).
    """
    state = ParseState(options=options, lint=lint)
    stack: list[Iterator[_Item]] = [_sources_items(sources, state)]
    file_stack: list[str] = []
    conds: list[_Cond] = []
    skip = False
    cond_cache: dict[str, bool] = {}
    current = "(no file)"
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        what, file, number, physical = item
        if what == "start":
            file_stack.append(current)
            current = file
            continue
        if what == "end":
            for cond in conds:
                state.file, state.line, state.physical = current, cond.line, ""
                state.report(
                    "unclosed-conditional",
                    f"unclosed '{cond.kind}' found in {current} (line {cond.line})",
                )
            conds.clear()
            skip = False
            current = file_stack.pop() if file_stack else "(no file)"
            continue
        lexed = lex_line(physical)
        if lexed is None:
            continue
        state.file, state.line, state.physical = file, number, physical
        # Parser.pm cond_clause_can tests the current file's *name*: q!\buser_prefs$!.
        state.in_user_prefs = _USER_PREFS_NAME.search(file) is not None
        if lexed.key == "lang":
            match = LANG_PREFIX.match(lexed.text)
            if match is not None:
                if not _lang_matches(lang, match.group(1)):
                    continue
                relexed = lex_line(lexed.text[match.end() :])
                if relexed is None:
                    continue
                relexed.offset = lexed.offset + match.end()
                lexed = relexed
        key, value = lexed.key, lexed.value
        if key == "endif":
            if value:
                state.report("not-standalone", f"'{key}' must be standalone")
                continue
            if not conds:
                state.report("missing-if", f"missing starting 'if' for '{key}'")
                continue
            skip = conds.pop().saved_skip
            continue
        if key in ("if", "ifplugin"):
            if not value:
                state.report("missing-condition", f"missing '{key}' condition")
                continue
            condition = f"plugin ({value})" if key == "ifplugin" else value
            cache_key = f"{key} {condition}"
            if cache_key in cond_cache:
                result = cond_cache[cache_key]
            else:
                verdict = evaluate_condition(
                    condition,
                    plugins=state.plugins,
                    compat=state.compat,
                    local_tests_only=options.local_tests_only,
                    in_user_prefs=state.in_user_prefs,
                )
                if verdict.refused:
                    assert verdict.kind is not None and verdict.message is not None
                    state.report(verdict.kind, verdict.message, lexed.value_column(physical))
                    continue
                if verdict.kind is not None and verdict.message is not None:
                    state.report(verdict.kind, verdict.message, lexed.value_column(physical))
                result = verdict.value
                cond_cache[cache_key] = result
            conds.append(_Cond(key, condition, skip, number))
            if not result:
                skip = True
            continue
        if key == "file":
            if value.startswith("start") and value[5:6].isspace() and value[6:].strip():
                file_stack.append(current)
                current = value[6:].strip()
            elif value.startswith("end") and value[3:4].isspace():
                for cond in conds:
                    state.report(
                        "unclosed-conditional",
                        f"unclosed '{cond.kind}' found in {current} (line {cond.line})",
                    )
                conds.clear()
                skip = False
                current = file_stack.pop() if file_stack else "(no file)"
            else:
                state.report("missing-value", f"missing '{key}' value")
            continue
        if key == "include":
            if not value:
                state.report("missing-value", f"missing '{key}' value")
                continue
            target = value
            if not target.startswith(("/", "~")):
                target = posixpath.join(posixpath.dirname(current), target)
            stack.append(_include_items(current, include(target), state))
            continue
        if key == "else":
            if value:
                state.report("not-standalone", f"'{key}' must be standalone")
                continue
            if not conds:
                state.report("else-without-if", f"'{key}' missing starting if")
                continue
            # Bug 7848: stay skipping when any enclosing level skips.
            skip = True if any(c.saved_skip for c in conds) else not skip
            continue
        if skip:
            continue
        if key == "require_version":
            if not value:
                state.report("missing-value", f"missing '{key}' value")
            elif value not in ("@@VERSION@@", VERSION_STRING):
                state.report(
                    "require-version",
                    f"configuration file '{current}' requires version {value} of "
                    f"SpamAssassin, but this is code version {VERSION_STRING}. Maybe you need "
                    "to use the -C switch, or remove the old config files? Skipping this file.",
                )
                skip = True
            continue
        handler = handlers.get(key) or fallback(state, key)
        if handler is None:
            if key == "ok_languages":
                state.report("migrated-setting", "failed to parse line, now a plugin")
            else:
                state.report("unparseable-line", "failed to parse line", lexed.offset + 1)
            continue
        handler(state, key, value, lexed.value_column(physical))
    return state
