"""spamhdr: explain spam-scanner headers, run SpamAssassin header and meta rules exactly,
and simulate ISPConfig-style delivery.

The supported API is what ``__all__`` lists; everything else is private. Sub-packages are
imported on first use of one of their names, so ``import spamhdr`` stays cheap::

    import spamhdr

    reports = spamhdr.parse_reports(message_bytes)            # scanner headers
    config = spamhdr.load_config(spamhdr.resolve_rule_paths(None, None, None))
    result = spamhdr.check_message(spamhdr.compile_ruleset(config), message_bytes)
    report = spamhdr.decide_delivery(...)                      # see docs/deliver.md
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from spamhdr.errors import InputError, PolicyError, RuleFileError, SpamhdrError, UsageError
from spamhdr.headers import HeaderBlock, HeaderField, parse_header_block
from spamhdr.options import DEFAULT_OPTIONS, Options

if TYPE_CHECKING:
    from spamhdr.deliver import (
        DeliveryReport,
        PolicySet,
        RecipientDecision,
        decide_delivery,
        default_policies,
        evaluate_chain,
        parse_policy_document,
        render_scripts,
    )
    from spamhdr.engine import CheckResult, RuleHit, RuleSet, check_message, compile_ruleset
    from spamhdr.message import SAMessage, TrustConfig, parse_sa_message
    from spamhdr.report import Finding, SpamReport, TestHit, parse_reports
    from spamhdr.rules import (
        Config,
        Diagnostic,
        Rule,
        RulePaths,
        load_config,
        parse_text,
        resolve_rule_paths,
    )

# Public name → sub-package that defines it (imported lazily by __getattr__).
_LAZY = {
    **dict.fromkeys(("Finding", "SpamReport", "TestHit", "parse_reports"), "spamhdr.report"),
    **dict.fromkeys(
        (
            "Config",
            "Diagnostic",
            "Rule",
            "RulePaths",
            "load_config",
            "parse_text",
            "resolve_rule_paths",
        ),
        "spamhdr.rules",
    ),
    **dict.fromkeys(("SAMessage", "TrustConfig", "parse_sa_message"), "spamhdr.message"),
    **dict.fromkeys(
        ("CheckResult", "RuleHit", "RuleSet", "check_message", "compile_ruleset"),
        "spamhdr.engine",
    ),
    **dict.fromkeys(
        (
            "DeliveryReport",
            "PolicySet",
            "RecipientDecision",
            "decide_delivery",
            "default_policies",
            "evaluate_chain",
            "parse_policy_document",
            "render_scripts",
        ),
        "spamhdr.deliver",
    ),
}

__all__ = [
    "DEFAULT_OPTIONS",
    "CheckResult",
    "Config",
    "DeliveryReport",
    "Diagnostic",
    "Finding",
    "HeaderBlock",
    "HeaderField",
    "InputError",
    "Options",
    "PolicyError",
    "PolicySet",
    "RecipientDecision",
    "Rule",
    "RuleFileError",
    "RuleHit",
    "RulePaths",
    "RuleSet",
    "SAMessage",
    "SpamReport",
    "SpamhdrError",
    "TestHit",
    "TrustConfig",
    "UsageError",
    "check_message",
    "compile_ruleset",
    "decide_delivery",
    "default_policies",
    "evaluate_chain",
    "load_config",
    "parse_header_block",
    "parse_policy_document",
    "parse_reports",
    "parse_sa_message",
    "parse_text",
    "render_scripts",
    "resolve_rule_paths",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'spamhdr' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
