"""SpamAssassin rule configuration, compiled exactly as SpamAssassin 4.0.1 reads it.

Pipeline (one module per stage): :mod:`.paths` (which files) → :mod:`.load` (reading, the
only I/O) → :mod:`.lexer` (lines) → :mod:`.parser` + :mod:`.directives` + :mod:`.rule_defs` +
:mod:`.plugin_rules` + :mod:`.settings` (directives, conditionals) → :mod:`.perl_regex`
(Perl → ``regex``) and :mod:`.meta` (meta expressions) → :mod:`.replace_tags` →
:mod:`.compile` (→ :class:`Config`).

Typical use::

    from spamhdr.rules import resolve_rule_paths, load_config
    config = load_config(resolve_rule_paths(None, None, None))
    rule = config.rules["FROM_NO_USER"]
    rule.regex.compiled.search(b"...")   # a regex bytes pattern
"""

from __future__ import annotations

from spamhdr.rules.ast import RULE_TYPES, Rule, RuleDef
from spamhdr.rules.config import Config
from spamhdr.rules.diagnostics import KINDS, Diagnostic, render_diagnostics
from spamhdr.rules.load import load_config, parse_text
from spamhdr.rules.meta import MetaExpr, compile_meta, evaluate_meta, parse_meta, perl_truth
from spamhdr.rules.paths import RulePaths, default_rules_dir, resolve_rule_paths
from spamhdr.rules.perl_regex import PerlRegex, compile_perl_regex

__all__ = [
    "KINDS",
    "RULE_TYPES",
    "Config",
    "Diagnostic",
    "MetaExpr",
    "PerlRegex",
    "Rule",
    "RuleDef",
    "RulePaths",
    "compile_meta",
    "compile_perl_regex",
    "default_rules_dir",
    "evaluate_meta",
    "load_config",
    "parse_meta",
    "parse_text",
    "perl_truth",
    "render_diagnostics",
    "resolve_rule_paths",
]
