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

from spamhdr._mail import MessageSource, message_bytes
from spamhdr.engine.compile import compile_ruleset, trust_config
from spamhdr.engine.model import CheckResult, HeaderTest, MetaTest, RuleHit, RuleSet
from spamhdr.engine.plan import Plan, order_sensitive
from spamhdr.engine.reference import run_rules_reference
from spamhdr.engine.run import run_rules
from spamhdr.message import TrustConfig, parse_sa_message
from spamhdr.options import DEFAULT_OPTIONS, Options

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
    plan = ruleset.plan
    # Circular metas that read rules need SpamAssassin's loop step by step (plan.py).
    sensitive = plan.order_sensitive if isinstance(plan, Plan) else order_sensitive(ruleset)
    run = run_rules_reference if sensitive else run_rules
    result = run(ruleset, parsed, options)
    if parsed.defects:
        from dataclasses import replace

        result = replace(result, defects=tuple(parsed.defects) + result.defects)
    return result
