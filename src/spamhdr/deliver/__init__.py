"""Delivery simulator: ISPConfig policies → amavis/rspamd → aliases → Dovecot Sieve.

The public surface of ``spamhdr.deliver``; see ``docs/deliver.md``. Modules: ``model``
(ISPConfig's tables), ``defaults`` (the seven install policies), ``document`` (TOML/JSON
policy documents), ``lookup`` (amavis' SQL lookup), ``amavis``, ``rspamd``, ``aliases``,
``sieve`` (ISPConfig's scripts), ``sieve_lang``/``sieve_eval`` (our Sieve subset) and
``decide`` (the whole chain).
"""

from __future__ import annotations

from spamhdr.deliver.decide import (
    Delivery,
    DeliveryReport,
    PolicyRef,
    RecipientDecision,
    decide_delivery,
    default_policies,
    outcome_rank,
)
from spamhdr.deliver.defaults import DEFAULT_POLICIES
from spamhdr.deliver.document import parse_policy_document
from spamhdr.deliver.model import (
    MailForwarding,
    MailUser,
    PolicySet,
    Server,
    SpamfilterPolicy,
    SpamfilterUser,
    SpamfilterWblist,
)
from spamhdr.deliver.sieve import SieveScripts, render_scripts
from spamhdr.deliver.sieve_eval import NotEvaluated, SieveOutcome, evaluate_chain

__all__ = [
    "DEFAULT_POLICIES",
    "Delivery",
    "DeliveryReport",
    "MailForwarding",
    "MailUser",
    "NotEvaluated",
    "PolicyRef",
    "PolicySet",
    "RecipientDecision",
    "Server",
    "SieveOutcome",
    "SieveScripts",
    "SpamfilterPolicy",
    "SpamfilterUser",
    "SpamfilterWblist",
    "decide_delivery",
    "default_policies",
    "evaluate_chain",
    "outcome_rank",
    "parse_policy_document",
    "render_scripts",
]
