"""Diagnostics of rule loading: one record per problem, with SpamAssassin's message kinds.

Input: positions and message text from the loader, parser and compiler stages.
Output: frozen :class:`Diagnostic` records and their rendering.

Invariants: every ``kind`` is a key of :data:`KINDS` (a stable short name per message kind of
``spec/sa-rules.md`` §10); ``severity`` is ``"error"`` exactly when ``spamassassin --lint``
counts the message as an issue (``Parser.pm lint_warn`` with ``iserror``, or a run-time rule
error), ``"warning"`` otherwise. Diagnostics are data: problems in rule text are recorded,
never raised (STYLE.md point 7).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from spamhdr.errors import render_caret

__all__ = ["KINDS", "Diagnostic", "Severity", "render_diagnostics"]

Severity = Literal["error", "warning"]

#: kind → (severity, what SpamAssassin 4.0.1 says; §10 of spec/sa-rules.md).
KINDS: Final[dict[str, tuple[Severity, str]]] = {
    # regex compilation (Util.pm compile_regexp), "config: invalid regexp for NAME 'RE': ERR"
    "invalid-regexp": ("error", "Perl rejects the regular expression"),
    "missing-delimiters": ("error", "missing regexp delimiters"),
    "unquoted-delimiter": ("error", "unquoted delimiter found"),
    "invalid-end-delimiter": ("error", "invalid end delimiter/mods"),
    "always-matching-regexp": ("error", "always matching regexp (lint only)"),
    "regexp-code-block": ("error", "eval (?{}) found"),
    # header tests (Parser.pm add_test)
    "invalid-header-modifier": ("error", "invalid header modifier"),
    "invalid-head-test": ("error", "invalid head test"),
    # rule names (Parser.pm add_test)
    "invalid-rule-name": ("error", "rule name has invalid characters"),
    "rule-name-too-long": ("error", "rule name is longer than 100 characters"),
    # Parser.pm lint_warn without iserror: counted although the text says "warning".
    "long-rule-name": ("error", "rule name is over 40 characters (counted by --lint)"),
    "no-tlds": ("warning", "registryboundaries: no tlds defined (util_rb_tld missing)"),
    # command values (Parser.pm parse, failed_line)
    "invalid-value": ("error", "invalid 'KEY' value"),
    "missing-value": ("error", "missing 'KEY' value"),
    "invalid-header-name": ("error", "invalid header field name"),
    "unparseable-line": ("error", "failed to parse line"),
    "migrated-setting": ("warning", "failed to parse line, now a plugin"),
    # conditionals (Parser.pm parse, handle_conditional)
    "missing-if": ("error", "missing starting 'if' for 'endif'"),
    "else-without-if": ("error", "'else' missing starting if"),
    "not-standalone": ("error", "'else'/'endif' must be standalone"),
    "missing-condition": ("error", "missing 'if'/'ifplugin' condition"),
    "unclosed-conditional": ("error", "unclosed 'if' found at end of file"),
    "bad-condition": ("error", "not allowed or unparseable value in a condition"),
    "condition-error": ("warning", "error parsing conditional (not fatal)"),
    "user-prefs-can": ("warning", "'if can(...)' is refused in a user_prefs file (false)"),
    "require-version": ("error", "configuration file requires another version"),
    # meta rules (Parser.pm is_meta_valid, compile_meta_rules)
    "invalid-meta-expression": ("error", "invalid expression for rule"),
    "invalid-meta-token": ("error", "invalid meta token"),
    "invalid-meta-rule": ("warning", "invalid meta rule (paranoid check, not counted)"),
    "unsolved-meta-dependency": ("error", "excluding meta test, unsolved meta dependencies"),
    # eval rules (Parser.pm finish_parsing, Check.pm run time)
    "eval-syntax-error": ("error", "syntax error for eval function"),
    "wrong-eval-type": ("error", "wrong rule type defined for eval function"),
    "unknown-eval": ("error", "unknown eval function (run time)"),
    # spamhdr only: SpamAssassin says nothing, because --lint never runs the rule (RBL
    # eval, score 0 in the active set, net/learn rule in a set without network/Bayes).
    "unknown-eval-idle": ("warning", "unknown eval function in a rule --lint does not run"),
    # ReplaceTags (Plugin/ReplaceTags.pm; info only in SpamAssassin)
    "replace-tags-failed": ("warning", "regexp compilation failed after tag replacement"),
    # spamhdr's own input guards (SpamAssassin would warn, crash or hang)
    "unreadable-file": ("warning", "a rule file or directory cannot be read"),
    "binary-file": ("error", "a rule file contains NUL bytes and was skipped"),
    "line-too-long": ("error", "a line is longer than Options.max_line_bytes and was skipped"),
    "include-loop": ("warning", "a file was already read; include ignored"),
    "regexp-too-complex": ("error", "the regular expression is too large to compile safely"),
    "unsupported-regexp": ("error", "Perl construct spamhdr cannot translate exactly"),
    "plugin-not-found": ("warning", "loadplugin names a module SpamAssassin 4.0.1 lacks"),
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found while reading rule files.

    Attributes:
        file: the file the problem is in (the path as SpamAssassin names it).
        line: 1-based physical line number (0 when the problem has no line, e.g. a cycle
            between metas defined in several places is reported at the first meta's line).
        col: 1-based column of the offending text, or None.
        severity: ``"error"`` (counted by ``spamassassin --lint``) or ``"warning"``.
        kind: stable short name, a key of :data:`KINDS`.
        message: SpamAssassin's message text (without the ``config:`` prefix and the
            ``in FILE (line N)`` suffix, which ``file``/``line`` carry).
        text: the offending physical line, for the caret display, when known.
    """

    file: str
    line: int
    col: int | None
    severity: Severity
    kind: str
    message: str
    text: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown diagnostic kind {self.kind!r}")

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def location(self) -> str:
        """``file:line:col`` (col omitted when unknown)."""
        if self.col is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.col}"

    def render(self, *, caret: bool = True) -> str:
        """``path:line:col: severity: message [kind]``, then the line and a caret."""
        head = f"{self.location()}: {self.severity}: {self.message} [{self.kind}]"
        if caret and self.text is not None:
            return head + "\n" + _indent(render_caret(_printable(self.text), self.col))
        return head

    def to_json(self) -> dict[str, object]:
        """The ``spamhdr lint --json`` record."""
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "kind": self.kind,
            "message": self.message,
        }


def _printable(text: str) -> str:
    # Rule files are bytes decoded as Latin-1; control characters would garble a terminal.
    shown = "".join(ch if ch == "\t" or " " <= ch != "\x7f" else "?" for ch in text)
    return shown if len(shown) <= 300 else shown[:300] + "…"


def _indent(block: str) -> str:
    return "\n".join("    " + line for line in block.split("\n"))


def render_diagnostics(
    diagnostics: Iterable[Diagnostic], *, limit: int | None = None, caret: bool = True
) -> str:
    """Render diagnostics one per block; beyond ``limit``, end with ``… and N more``."""
    items = list(diagnostics)
    shown = items if limit is None else items[:limit]
    parts = [d.render(caret=caret) for d in shown]
    if limit is not None and len(items) > limit:
        parts.append(f"… and {len(items) - limit} more")
    return "\n".join(parts)
