"""ISPConfig + rspamd: settings entries, the one match per message, action and headers.

Input: the :class:`~spamhdr.deliver.model.PolicySet`, the envelope (all RCPT TO addresses,
the sender, whether it authenticated) and the score. Output: :class:`RspamdDecision` — the
settings entry applied to the whole message (spec §4.4: one match per message, highest
priority first, same priority by name), the actions in force, the chosen action (§4.3:
highest enabled threshold ``<=`` score), and the header edits of the proxy and of
ISPConfig's ``milter_headers`` configuration. Invariants: pure; one header set for all
recipients (§9 point 13).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spamhdr.deliver.edit import HeaderEdits
from spamhdr.deliver.lookup import split_address
from spamhdr.deliver.model import PolicySet, SpamfilterPolicy

__all__ = ["RSPAMD_REMOVED", "RspamdDecision", "SettingsEntry", "decide_rspamd", "settings_entries"]

#: ISPConfig's ``milter_headers`` ``remove-headers`` routine (§4.4).
RSPAMD_REMOVED = frozenset(
    {"x-spam", "x-spamd-bar", "x-spam-level", "x-spam-status", "x-spam-flag"}
)

# Action precedence when two share a threshold (rspamd's action order, most severe first).
_SEVERITY = ("reject", "soft reject", "rewrite subject", "add header", "greylist")


@dataclass(frozen=True, slots=True)
class SettingsEntry:
    """One ``local.d/users/*.conf`` settings rule written by ISPConfig's rspamd plugin."""

    name: str
    priority: int
    pattern: str
    direction: str
    policy: SpamfilterPolicy | None
    actions: tuple[tuple[str, float | None], ...]
    want_spam: bool = False


def _is_domain(pattern: str) -> bool:
    return pattern.startswith("@") or "@" not in pattern


def _entry_actions(
    policy: SpamfilterPolicy | None, greylisting: bool
) -> tuple[tuple[tuple[str, float | None], ...], bool]:
    """The ``apply { actions {...} }`` of ``rspamd_users.inc.conf.master``."""
    tag = (
        6.0
        if policy is None or policy.rspamd_spam_tag_level is None
        else (policy.rspamd_spam_tag_level)
    )
    method = "add_header" if policy is None else policy.rspamd_spam_tag_method
    kill = (
        15.0
        if policy is None or policy.rspamd_spam_kill_level is None
        else (policy.rspamd_spam_kill_level)
    )
    grey_level = (
        0.1
        if policy is None or policy.rspamd_spam_greylisting_level is None
        else (policy.rspamd_spam_greylisting_level)
    )
    spam_lover = policy is not None and policy.spam_lover == "Y"
    virus_lover = policy is not None and policy.virus_lover == "Y"
    if spam_lover and virus_lover:
        return (), True
    if spam_lover:
        return (("reject", None),), False
    return (
        ("greylist", grey_level if greylisting else None),
        ("rewrite subject", tag if method == "rewrite_subject" else None),
        ("add header", tag if method == "add_header" else None),
        ("reject", kill),
    ), False  # fmt: skip


_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _valid_target(pattern: str) -> bool:
    """The domain test of rspamd_plugin's ``isValidEmail``: at least two DNS labels."""
    domain = pattern.rpartition("@")[2]
    labels = domain.split(".")
    return len(labels) >= 2 and all(_LABEL.fullmatch(label) for label in labels)


def _first_policy(address: str, policies: PolicySet) -> SpamfilterPolicy | None:
    # rspamd_plugin: INNER JOIN on (address, @domain) ORDER BY priority DESC (policy 0 drops).
    _local, domain = split_address(address)
    wanted = {address.lower(), "@" + domain.lower()} if domain else {address.lower()}
    rows = sorted(
        (u for u in policies.spamfilter_users if u.email.lower() in wanted),
        key=lambda u: (-u.priority, u.id),
    )
    for user in rows:
        policy = policies.policy(user.policy_id)
        if policy is not None:
            return policy
    return None


def settings_entries(policies: PolicySet) -> tuple[SettingsEntry, ...]:
    """Every settings rule ISPConfig writes, highest priority first (then by name)."""
    entries: list[SettingsEntry] = []
    own = {u.email.lower() for u in policies.spamfilter_users}
    grey = {m.email.lower() for m in policies.mail_user if m.greylisting == "y"}
    grey |= {f.source.lower() for f in policies.mail_forwarding if f.greylisting == "y"}
    for user in policies.spamfilter_users:
        if user.email in ("@", "*@", ""):
            continue  # the plugin ignores global targets
        pattern = user.email.lower() if "@" in user.email else "@" + user.email.lower()
        if not _valid_target(pattern):
            continue  # isValidEmail() fails: the plugin writes no file (bare user, "@.dom")
        prio = (10 if _is_domain(user.email) else 20) + user.priority
        actions, want = _entry_actions(policies.policy(user.policy_id), pattern in grey)
        entries.append(SettingsEntry(
            f"ispc_spamfilter_user_{user.id}", prio, pattern,
            "rcpt" if user.local == "Y" else "from", policies.policy(user.policy_id),
            actions, want,
        ))  # fmt: skip
    others: list[tuple[str, str, int, bool]] = [
        (m.email.lower(), "mail_user", m.mailuser_id, m.greylisting == "y")
        for m in policies.mail_user
    ]
    others += [
        (f.source.lower(), "mail_forwarding", f.forwarding_id, f.greylisting == "y")
        for f in policies.mail_forwarding
    ]
    for address, kind, ident, greylisting in others:
        if address in own:
            continue  # the spamfilter_users file of the same name wins
        pattern = address if "@" in address else "@" + address
        if not _valid_target(pattern):
            continue
        prio = (10 if _is_domain(address) else 20) + 5
        policy = _first_policy(pattern, policies)
        actions, want = _entry_actions(policy, greylisting)
        entries.append(
            SettingsEntry(f"ispc_{kind}_{ident}", prio, pattern, "rcpt", policy, actions, want)
        )
    entries.extend(_BUILT_IN)
    entries.sort(key=lambda e: (-e.priority, e.name))
    return tuple(entries)


# The rules of ISPConfig's own ``local.d/users.conf`` (install/tpl/rspamd_users.conf.master):
# authenticated senders get the defaults; mail to postmaster/hostmaster/abuse and from three
# certificate authorities is wanted spam (priorities as in spec §4.4: 10 and 5; the CA rule
# 20). The per-IP whitelist needs the client address and is not modelled.
_BUILT_IN = (
    SettingsEntry("authenticated", 10, "", "authenticated", None, ()),
    *(
        SettingsEntry("whitelist", 5, user, "rcpt", None, (), want_spam=True)
        for user in ("postmaster", "hostmaster", "abuse")
    ),
    *(
        SettingsEntry("whitelist-ca", 20, domain, "from", None, (), want_spam=True)
        for domain in ("@comodo.com", "@geotrust.com", "@geotrusteurope.com")
    ),
)


def _matches(pattern: str, address: str) -> bool:
    # rspamd settings: "@dom" matches the domain, "user" (no @) the local part, else the
    # whole address.
    address = address.lower().strip("<>")
    if pattern.startswith("@"):
        return address.endswith(pattern) or address == pattern[1:]
    if "@" not in pattern:
        return address.rpartition("@")[0] == pattern
    return address == pattern


@dataclass(frozen=True, slots=True)
class RspamdDecision:
    """rspamd's verdict for the whole message."""

    entry: SettingsEntry | None
    matched: str | None
    actions: tuple[tuple[str, float | None], ...]
    action: str
    score: float
    milter_headers: bool
    edits: HeaderEdits
    reasons: tuple[str, ...]

    @property
    def destiny(self) -> str:
        return "reject" if self.action in ("reject", "soft reject") else "pass"

    @property
    def category(self) -> str:
        if self.action in ("reject", "soft reject"):
            return "spam"
        return "spammy" if self.action in ("add header", "rewrite subject") else "clean"

    @property
    def tagged(self) -> bool:
        return self.action in ("add header", "rewrite subject")


def _fmt(value: float) -> str:
    return f"{value:.2f}"


def decide_rspamd(
    policies: PolicySet,
    recipients: tuple[str, ...],
    sender: str,
    score: float,
    *,
    subject: str | None,
    authenticated: bool = False,
) -> RspamdDecision:
    """Choose the settings rule, the action and the header edits for one message (§4, §7)."""
    reasons: list[str] = []
    entry: SettingsEntry | None = None
    matched: str | None = None
    for candidate in settings_entries(policies):
        if candidate.direction == "authenticated":
            if authenticated:
                entry, matched = candidate, "the authenticated sender"
                break
            continue
        targets = recipients if candidate.direction == "rcpt" else (sender,)
        hit = next((t for t in targets if _matches(candidate.pattern, t)), None)
        if hit is not None:
            entry, matched = candidate, hit
            break
    actions = dict(policies.server.rspamd_actions)
    if entry is None:
        reasons.append("no ISPConfig settings rule matches any recipient: global actions apply")
    else:
        name = (
            entry.policy.policy_name
            if entry.policy
            else "none (plugin defaults)"
            if entry.name.startswith("ispc_")
            else "none (ISPConfig's users.conf)"
        )
        reasons.append(
            f'settings {entry.name} ({entry.direction} = "{entry.pattern}", priority '
            f"{entry.priority}, policy {name}) matched {matched}; it applies to the whole message"
        )
        actions.update(dict(entry.actions))
    action = "no action"
    if entry is not None and entry.want_spam:
        reasons.append("want_spam = yes (spam and virus lover): no action")
    else:
        best: tuple[float, int] | None = None
        for name in _SEVERITY:
            threshold = actions.get(name)
            if threshold is None or score < threshold:
                continue
            rank = (threshold, -_SEVERITY.index(name))
            if best is None or rank > best:
                best, action = rank, name
        enabled = ", ".join(f"{n} {_fmt(t)}" for n, t in actions.items() if t is not None)
        reasons.append(f"score {_fmt(score)} with thresholds [{enabled}] → action {action!r}")
    prepend: list[tuple[str, str]] = []
    remove: set[str] = set()
    new_subject: str | None = None
    milter = not authenticated
    if action in ("reject", "soft reject"):
        kind = "5xx" if action == "reject" else "4xx (temporary)"
        reasons.append(f"{action}: {kind} at SMTP time, nothing is delivered")
    else:
        if action == "greylist":
            reasons.append("greylist: the first attempt gets 4xx; the retry is accepted")
        if action == "add header":
            remove.add("x-spam")  # the proxy replaces any X-Spam (spam_header)
            prepend.append(("X-Spam", "Yes"))
        if action == "rewrite subject":
            new_subject = policies.server.rspamd_subject.replace("%s", subject or "")
        if milter:
            remove |= RSPAMD_REMOVED  # incoming copies only; our X-Spam is prepended
            prepend.extend(_milter_fields(score, action))
        else:
            reasons.append("authenticated/local sender: milter_headers adds no spam headers")
    edits = HeaderEdits(frozenset(remove), tuple(prepend), new_subject)
    return RspamdDecision(
        entry, matched, tuple(actions.items()), action, score, milter, edits, tuple(reasons)
    )


def _milter_fields(score: float, action: str) -> list[tuple[str, str]]:
    """``x-spamd-bar``, ``x-spam-level``, ``x-spam-status`` routines (§4.2)."""
    if score >= 1:
        bar = "+" * int(score)
    elif score <= -1:
        bar = "-" * int(-score)
    else:
        bar = "/"
    fields = [("X-Spamd-Bar", bar)]
    if score >= 1:
        fields.append(("X-Spam-Level", "*" * int(score)))
    yes = action not in ("no action", "greylist")
    fields.append(("X-Spam-Status", f"{'Yes' if yes else 'No'}, score={_fmt(score)}"))
    return fields
