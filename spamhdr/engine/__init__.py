"""The header+meta rule engine: compile a configuration once, check many messages.

Typical use::

    from spamhdr.rules import load_config, resolve_rule_paths
    from spamhdr.engine import compile_ruleset, check_message

    ruleset = compile_ruleset(load_config(resolve_rule_paths(None, None, None)))
    result = check_message(ruleset, message_bytes)
    result.score, result.is_spam, [hit.name for hit in result.hits]

A :class:`RuleSet` is immutable and may be shared between threads; ``check_message``
keeps all per-message state local.
"""

from __future__ import annotations

import functools

from spamhdr._mail import MessageSource, message_bytes
from spamhdr.engine.compile import compile_ruleset, trust_config
from spamhdr.engine.model import CheckResult, HeaderTest, MetaTest, RuleHit, RuleSet
from spamhdr.engine.reference import run_rules_reference
from spamhdr.engine.run import run_rules
from spamhdr.message import TrustConfig, parse_sa_message
from spamhdr.options import DEFAULT_OPTIONS, Options
from spamhdr.rules.meta import RULENAME_RE, tokenize_meta

__all__ = [
    "CheckResult",
    "HeaderTest",
    "MetaTest",
    "RuleHit",
    "RuleSet",
    "check_message",
    "compile_ruleset",
    "run_rules",
    "trust_config",
]


def check_message(
    ruleset: RuleSet, message: MessageSource, options: Options = DEFAULT_OPTIONS
) -> CheckResult:
    """Check one message (bytes, text, path, binary file or ``email.message.Message``).

    Raises:
        InputError: the message cannot be read.
    """
    data = message_bytes(message)
    trust = ruleset.trust if isinstance(ruleset.trust, TrustConfig) else None
    parsed = parse_sa_message(data, trust, options)
    nodeps = tuple(ruleset.metas[name].raw for name in ruleset.meta_nodeps)
    if _order_sensitive(nodeps):
        result = run_rules_reference(ruleset, parsed, options)
    else:
        result = run_rules(ruleset, parsed, options)
    if parsed.defects:
        from dataclasses import replace

        result = replace(result, defects=tuple(parsed.defects) + result.defects)
    return result


@functools.lru_cache(maxsize=64)
def _order_sensitive(nodeps_expressions: tuple[str, ...]) -> bool:
    """Whether a meta without recorded dependencies still reads rules.

    That happens only for metas in a dependency cycle: SpamAssassin drops their
    dependencies but keeps their expression and evaluates it once, right after the first
    priority band, on the values that exist at that moment (docs/check.md). The fast
    plan assumes every meta sees its dependencies' final values, so such a configuration
    (a lint error in SpamAssassin, never in the stock rules) runs on the reference
    scheduler, which follows SpamAssassin's loop step by step.
    """
    return any(
        token != "local_tests_only" and RULENAME_RE.match(token)
        for expression in nodeps_expressions
        for token in tokenize_meta(expression)
    )
