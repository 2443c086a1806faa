"""The whole delivery chain per recipient: filter → alias expansion → Sieve (spec §6, §7).

Input: message bytes, a :class:`~spamhdr.deliver.model.PolicySet`, the envelope and a
score. Output: :class:`DeliveryReport` with one :class:`RecipientDecision` per envelope
recipient, each with its deliveries (final mailbox, folder, POP3 visibility) and the reason
at every step. Invariants: pure (no I/O); amavis decides per recipient and groups equal
edits into clusters (§3.8); rspamd decides once per message (§4.4); aliases are expanded
after the filter, so every target of a recipient sees that recipient's header set (§5.3);
Sieve runs on the full header block after the filter's edits (§6 step 8).
"""

from __future__ import annotations

import email.utils
import math
import re
from dataclasses import dataclass

from spamhdr.deliver.aliases import expand_recipient
from spamhdr.deliver.amavis import decide_amavis, perl_number
from spamhdr.deliver.edit import HeaderEdits, apply_edits
from spamhdr.deliver.lookup import PolicyLookup, lookup_policy, lookup_wblist, split_address
from spamhdr.deliver.model import MailUser, PolicySet
from spamhdr.deliver.rspamd import RspamdDecision, decide_rspamd
from spamhdr.deliver.sieve import SieveScripts, render_scripts
from spamhdr.deliver.sieve_eval import NotEvaluated, SieveOutcome, evaluate_chain
from spamhdr.errors import UsageError
from spamhdr.headers import HeaderBlock, parse_header_block

__all__ = [
    "Delivery",
    "DeliveryReport",
    "PolicyRef",
    "RecipientDecision",
    "ScannerResult",
    "decide_delivery",
    "default_policies",
    "envelope_sender",
    "is_bulk",
    "outcome_rank",
    "read_scanner_result",
    "score_from_message",
]

_OUTCOME_RANK = {"INBOX": 0, "Junk": 1, "not delivered": 2}


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """The policy row that decided, and how it was found."""

    id: int
    name: str
    matched_key: str
    priority: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """One final mailbox (or external address) and where the message lands there."""

    mailbox: str
    folder: str | None
    folders: tuple[str, ...]
    pop3_visible: bool
    evaluated: bool
    scripts: SieveScripts | None
    sieve: SieveOutcome | None
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RecipientDecision:
    """The decision chain for one envelope recipient."""

    recipient: str
    policy: PolicyRef | None
    local: bool
    score: float
    category: str
    tagged: bool
    headers_added: tuple[tuple[str, str], ...]
    subject: str | None
    destiny: str
    quarantined: bool
    dsn: bool | None
    cluster: int
    deliveries: tuple[Delivery, ...]
    reasons: tuple[str, ...]
    message: bytes

    @property
    def outcome(self) -> str:
        """The mildest-to-harshest summary used by ``whatif``: INBOX, Junk, other, not delivered."""
        folders = [d.folder for d in self.deliveries if d.folder is not None]
        if self.destiny != "pass" or not folders:
            return "not delivered"
        if "Junk" in folders:
            return "Junk"
        return "INBOX" if all(f == "INBOX" for f in folders) else folders[0]

    def to_json(self) -> dict[str, object]:
        policy = None
        if self.policy is not None:
            policy = {
                "id": self.policy.id,
                "name": self.policy.name,
                "matched_key": self.policy.matched_key,
                "priority": self.policy.priority,
            }
        return {
            "recipient": self.recipient,
            "policy": policy,
            "local": self.local,
            "score": self.score,
            "category": self.category,
            "tagged": self.tagged,
            "headers_added": {name: value.replace("\n", "") for name, value in self.headers_added},
            "subject": self.subject,
            "destiny": self.destiny,
            "quarantined": self.quarantined,
            "dsn": self.dsn,
            "cluster": self.cluster,
            "deliveries": [
                {
                    "mailbox": d.mailbox,
                    "folder": d.folder,
                    "folders": list(d.folders),
                    "pop3_visible": d.pop3_visible,
                }
                for d in self.deliveries
            ],
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """All recipients of one message."""

    recipients: tuple[RecipientDecision, ...]
    backend: str
    ispconfig_version: str
    family: str
    score: float
    score_source: str
    sender: str

    def to_json(self) -> dict[str, object]:
        return {
            "recipients": [r.to_json() for r in self.recipients],
            "backend": self.backend,
            "ispconfig_version": self.ispconfig_version,
            "score_source": self.score_source,
            "sender": self.sender,
        }


@dataclass(frozen=True, slots=True)
class ScannerResult:
    """What the message's own topmost report says: the score, tests and autolearn text."""

    score: float
    source: str
    tests: tuple[tuple[str, str], ...] | None = None
    autolearn: str | None = None


def read_scanner_result(data: bytes) -> ScannerResult:
    """The topmost SpamAssassin, amavis or rspamd report in the message.

    amavis reports give ``NAME=score`` tests; SpamAssassin's own ``tests=A,B`` has no
    scores, so only the names are kept (amavis would print SpamAssassin's rule scores).

    Raises:
        UsageError: no such report (the caller should pass ``--score``).
    """
    try:
        from spamhdr.report import parse_reports
    except ImportError:
        raise UsageError(
            "cannot read the score from the message (report parser unavailable): give --score N"
        ) from None
    for report in parse_reports(data):
        producer = getattr(report, "producer", None)
        value = getattr(report, "score", None)
        if producer in ("spamassassin", "amavis", "rspamd") and value is not None:
            tests: tuple[tuple[str, str], ...] | None = None
            if producer in ("spamassassin", "amavis") and report.tests:
                tests = tuple(
                    (t.name, "" if t.score is None else perl_number(t.score)) for t in report.tests
                )
            autolearn = None
            if report.autolearn:
                autolearn = report.autolearn
                if report.autolearn_force:
                    autolearn += f" autolearn_force={report.autolearn_force}"
            source = f"{producer} report in the message"
            return ScannerResult(float(value), source, tests, autolearn)
    raise UsageError(
        "the message has no SpamAssassin, amavis or rspamd report with a score: give --score N"
    )


def score_from_message(data: bytes) -> tuple[float, str]:
    """The score of the topmost SpamAssassin, amavis or rspamd report in the message.

    Raises:
        UsageError: no such report (the caller should pass ``--score``).
    """
    result = read_scanner_result(data)
    return result.score, result.source


# Amavis.pm (is_mlist / is_auto / is_bulk): mail that never gets a spam DSN.
_LIST_HEADERS = ("list-id", "list-post", "list-unsubscribe", "mailing-list")
_LIST_SENDER = re.compile(r"^(?:[^@]+-(?:request|bounces|owner|admin)|owner-[^@]+)(?:@|\Z)", re.I)
_LIST_FROM = re.compile(r"^(?:[^@]+-(?:request|bounces|owner)|owner-[^@]+)(?:@|\Z)", re.I)
_AUTO_ADDR = re.compile(r"^(?:mailer-daemon|double-bounce|mailer|autoreply)(?:@|\Z)", re.I)
_BULK_FROM = re.compile(r"^(?:[^@]+-relay|postmaster|uucp)(?:@|\Z)", re.I)


def is_bulk(block: HeaderBlock, sender: str, from_addresses: tuple[str, ...]) -> bool:
    """amavis' ``is_bulk``: list headers or senders, Precedence bulk/junk/list/auto-reply,
    Auto-Submitted, the null sender, mailer-daemon-like or postmaster/-relay From."""
    first_from = from_addresses[0] if from_addresses else ""
    if any(block.first(name) is not None for name in _LIST_HEADERS):
        return True
    if _LIST_SENDER.match(sender) or _LIST_FROM.match(first_from):
        return True
    precedence = block.first("Precedence")
    if precedence is not None:
        prec = precedence.value.lstrip(" \t").lower()
        if prec.startswith("list") or re.match(r"(?:auto.?reply|bulk|junk)\b", prec):
            return True
    auto = block.first("Auto-Submitted")
    if auto is not None:
        text = re.sub(r" \([^)]*\) ", "", auto.value).strip(" \t")
        if text.lower() != "no":
            return True
    if sender == "" or _AUTO_ADDR.match(sender) or _AUTO_ADDR.match(first_from):
        return True
    return bool(_BULK_FROM.match(first_from))


def envelope_sender(block: HeaderBlock, given: str | None) -> str:
    """``--sender``, else ``Return-Path``, else the ``From`` address (``""`` = null sender)."""
    if given is not None:
        return given.strip().strip("<>")
    field = block.first("Return-Path")
    if field is not None:
        return field.value.strip().strip("<>").strip()
    field = block.first("From")
    if field is not None:
        addresses = email.utils.getaddresses([field.value])
        if addresses and addresses[0][1]:
            return addresses[0][1]
    return ""


def _from_addresses(block: HeaderBlock) -> tuple[str, ...]:
    values = [f.value for f in block.get_all("From")]
    return tuple(addr for _n, addr in email.utils.getaddresses(values) if addr)


def decide_delivery(
    message: bytes,
    policies: PolicySet,
    recipients: tuple[str, ...],
    *,
    score: float | None = None,
    sender: str | None = None,
    authenticated: bool = False,
) -> DeliveryReport:
    """Decide where a message goes for each envelope recipient.

    Args:
        message: the message as received (its upstream headers matter for Sieve).
        policies: the policy document (or :func:`default_policies`).
        recipients: the RCPT TO addresses.
        score: the spam score; None reads it from the message's topmost report.
        sender: the envelope sender; None uses Return-Path, then From.
        authenticated: the sender authenticated (rspamd adds no spam headers, §4.2).

    Raises:
        UsageError: no recipients, or no score given and none in the message.
    """
    if not recipients:
        raise UsageError("at least one recipient (--rcpt) is needed")
    for rcpt in recipients:
        local, domain = split_address(rcpt)
        if not local or not domain or any(ch.isspace() for ch in rcpt.strip()):
            raise UsageError(f"recipient {rcpt!r} is not an e-mail address (local@domain)")
    if score is not None and not math.isfinite(score):
        raise UsageError(f"the score must be a finite number, got {score}")
    scanned = ScannerResult(score, "--score") if score is not None else None
    if scanned is None:
        scanned = read_scanner_result(message)
    score, source = scanned.score, scanned.source
    block = parse_header_block(message)
    env_sender = envelope_sender(block, sender)
    subject_field = block.first("Subject")
    subject = subject_field.value if subject_field is not None else None
    server = policies.server
    decisions: list[RecipientDecision] = []
    if server.backend == "rspamd":
        verdict = decide_rspamd(
            policies, recipients, env_sender, score, subject=subject, authenticated=authenticated
        )
        for rcpt in recipients:
            decisions.append(_rspamd_recipient(rcpt, verdict, message, policies, subject))
    else:
        from_addresses = _from_addresses(block)
        senders = (env_sender, *from_addresses)
        bulk = is_bulk(block, env_sender, from_addresses)
        lookups = [lookup_policy(rcpt, policies) for rcpt in recipients]
        verdicts = [lookup_wblist(lookup, senders, policies) for lookup in lookups]
        # Amavis.pm: "sender white/blacklisted, skipping spam_scan" when every recipient
        # ends with a hard white/blacklist hit; the spam level is then undefined.
        skipped = all(v.hard for v in verdicts)
        clusters: list[tuple[object, ...]] = []
        for rcpt, lookup, wb in zip(recipients, lookups, verdicts, strict=True):
            amavis = decide_amavis(
                lookup,
                wb,
                None if skipped else score,
                server,
                subject=subject,
                null_sender=env_sender == "",
                bulk=bulk,
                tests=scanned.tests,
                autolearn=scanned.autolearn or "unavailable",
            )
            if amavis.cluster_key not in clusters:
                clusters.append(amavis.cluster_key)
            reasons = [_lookup_reason(lookup), *amavis.reasons]
            main = lookup.main_policy
            ref = None
            if main is not None:
                user, policy, key = main
                ref = PolicyRef(policy.id, policy.policy_name or "", key, user.priority)
            shown = amavis.score if amavis.score is not None else score
            decisions.append(
                _finish(
                    rcpt, ref, amavis.local, shown, amavis.category, amavis.edits,
                    amavis.destiny, amavis.quarantined, amavis.dsn,
                    clusters.index(amavis.cluster_key) + 1, message, policies, subject, reasons,
                )
            )  # fmt: skip
    return DeliveryReport(
        tuple(decisions), server.backend, server.ispconfig_version, server.family, score,
        source, env_sender,
    )  # fmt: skip


def _lookup_reason(lookup: PolicyLookup) -> str:
    if not lookup.rows:
        text = "no spamfilter_users row matches " + ", ".join(f'"{k}"' for k in lookup.keys)
        text += ": amavis' static 50-user settings apply"
    else:
        shown = [
            f'"{key}" (priority {user.priority}, policy {user.policy_id}'
            + (f" {policy.policy_name}" if policy and policy.policy_name else "")
            + ("" if policy else ", no such policy: all fields NULL")
            + ")"
            for user, policy, key in lookup.rows
        ]
        text = "spamfilter_users rows, priority DESC: " + "; ".join(shown)
    if lookup.excluded:
        ids = ", ".join(repr(u.email) for u in lookup.excluded)
        text += f" (excluded by policy_id != 0: {ids})"
    if lookup.tie:
        text += " (equal priorities: SQL order undefined; spamhdr takes the more specific key)"
    return text


def _rspamd_recipient(
    rcpt: str, verdict: RspamdDecision, message: bytes, policies: PolicySet, subject: str | None
) -> RecipientDecision:
    ref = None
    entry = verdict.entry
    if entry is not None and entry.policy is not None:
        ref = PolicyRef(
            entry.policy.id, entry.policy.policy_name or "", entry.pattern, entry.priority
        )
    elif entry is not None:
        name = "" if entry.name.startswith("ispc_") else f"users.conf rule {entry.name}"
        ref = PolicyRef(0, name, entry.pattern, entry.priority)
    return _finish(
        rcpt, ref, verdict.milter_headers, verdict.score, verdict.category, verdict.edits,
        verdict.destiny, False, None, 1, message, policies, subject, list(verdict.reasons),
        tagged=verdict.tagged,
    )  # fmt: skip


def _finish(
    rcpt: str,
    ref: PolicyRef | None,
    local: bool,
    score: float,
    category: str,
    edits: HeaderEdits,
    destiny: str,
    quarantined: bool,
    dsn: bool | None,
    cluster: int,
    message: bytes,
    policies: PolicySet,
    subject: str | None,
    reasons: list[str],
    *,
    tagged: bool | None = None,
) -> RecipientDecision:
    expansion = expand_recipient(rcpt, policies)
    if expansion.unknown:
        reasons.append("no mailbox, alias or catch-all: Postfix rejects the address at RCPT TO")
        destiny = "reject"
    deliveries: list[Delivery] = []
    final = message
    headers_added: tuple[tuple[str, str], ...] = ()
    final_subject = None
    if destiny == "pass":
        final = apply_edits(message, edits)
        headers_added = edits.prepend
        final_subject = edits.subject if edits.subject is not None else subject
        fields = [(f.name, f.text) for f in parse_header_block(final).fields]
        reasons.extend(expansion.notes)
        rerouted = [t.address for t in expansion.targets if t.address.lower() != rcpt.lower()]
        if rerouted:
            # §3.7/§5.3: the filter saw the envelope recipient (no_address_mappings).
            reasons.append(
                f"the filter decided for {rcpt} before alias expansion: the policies of "
                + ", ".join(rerouted)
                + " do not apply to this copy"
            )
        for target in expansion.targets:
            delivery = _deliver(target.address, target.mailbox, target.via, fields, policies)
            deliveries.append(delivery)
            reasons.extend(f"{delivery.mailbox}: {text}" for text in delivery.reasons)
    if tagged is None:
        tagged = any(name.lower().startswith("x-spam") for name, _v in headers_added)
        tagged = tagged or (final_subject is not None and final_subject != subject)
    return RecipientDecision(
        rcpt, ref, local, score, category, tagged, headers_added, final_subject, destiny,
        quarantined, dsn, cluster, tuple(deliveries), tuple(reasons), final,
    )  # fmt: skip


def _deliver(
    address: str,
    mailbox: MailUser | None,
    via: tuple[str, ...],
    fields: list[tuple[str, str]],
    policies: PolicySet,
) -> Delivery:
    reasons = [f"via {' → '.join(via)}"] if via else []
    if mailbox is None:
        reasons.append("not a local mailbox: forwarded, no Sieve on this server")
        return Delivery(address, None, (), False, True, None, None, tuple(reasons))
    scripts = render_scripts(policies.server.family, mailbox)
    try:
        outcome = evaluate_chain([(s.name, s.text) for s in scripts.scripts], fields)
    except NotEvaluated as exc:
        reasons.append(f"Sieve not evaluated: {exc}")
        return Delivery(mailbox.email, None, (), False, False, scripts, None, tuple(reasons))
    reasons.append(f"ISPConfig {policies.server.family} Sieve, move_junk = {mailbox.move_junk}")
    reasons.extend(outcome.trace)
    if outcome.redirects:
        reasons.append("redirected to " + ", ".join(outcome.redirects))
    if outcome.discarded:
        reasons.append("discarded by Sieve")
    visible = "INBOX" in outcome.folders
    if outcome.folders and not visible:
        reasons.append("POP3 shows INBOX only: this copy is invisible to POP3 clients")
    return Delivery(
        mailbox.email,
        outcome.folder,
        outcome.folders,
        visible,
        True,
        scripts,
        outcome,
        tuple(reasons),
    )


def default_policies() -> PolicySet:
    """ISPConfig's install defaults: the seven policies and the static settings."""
    from spamhdr.deliver.defaults import DEFAULT_POLICIES

    return PolicySet(spamfilter_policy=DEFAULT_POLICIES)


def outcome_rank(outcome: str) -> int:
    """INBOX < other folder < Junk < not delivered (used by properties and ``whatif``)."""
    if outcome in _OUTCOME_RANK:
        return {0: 0, 1: 2, 2: 3}[_OUTCOME_RANK[outcome]]
    return 1
