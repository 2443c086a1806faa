"""amavis' SQL policy lookup as ISPConfig configures it (spec §3.6–3.7).

Input: a recipient address, the :class:`~spamhdr.deliver.model.PolicySet` and (for
white/blacklists) the sender addresses. Output: :class:`PolicyLookup` — the key list, the
matching ``spamfilter_users`` rows in ``ORDER BY priority DESC`` order, and every setting
resolved field by field (first non-NULL row wins, then the static ``50-user`` value), each
with where it came from. Invariants: pure; keys are compared case-insensitively like
MySQL's ``utf8_general_ci`` collation; rows with equal priority (no defined SQL order) are
ordered by key specificity, then row id, and the tie is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spamhdr.deliver.model import (
    PolicySet,
    Server,
    SpamfilterPolicy,
    SpamfilterUser,
)

__all__ = [
    "PolicyLookup",
    "ResolvedField",
    "WbVerdict",
    "is_static_local",
    "lookup_keys",
    "lookup_policy",
    "lookup_wblist",
    "split_address",
    "split_localpart",
]


def split_address(address: str) -> tuple[str, str]:
    """``"User@Example.COM"`` → ``("User", "Example.COM")``; the domain is after the last ``@``."""
    text = address.strip().strip("<>")
    local, at, domain = text.rpartition("@")
    if not at:
        return text, ""
    return local, domain


_UNSPLIT = ("postmaster", "mailer-daemon", "double-bounce")


def split_localpart(local: str, delimiters: str) -> tuple[str, str]:
    """amavis' ``split_localpart``: ``"user+ext"`` → ``("user", "+ext")`` (the extension keeps
    its delimiter; ``""`` when there is none).

    The split is at the earliest character of ``delimiters`` that has at least one character
    before it; ``postmaster``, ``mailer-daemon`` and ``double-bounce`` are never split, nor
    ``owner-foo``/``foo-request`` when ``-`` is a delimiter (``rfc2821_2822_Tools.pm``).
    """
    if not delimiters or local.lower() in _UNSPLIT:
        return local, ""
    lowered = local.lower()
    if "-" in delimiters and (
        (lowered.startswith("owner-") and len(lowered) > 6)
        or (lowered.endswith("-request") and len(lowered) > 8)
    ):
        return local, ""
    for pos in range(1, len(local)):
        if local[pos] in delimiters:
            return local[:pos], local[pos:]
    return local, ""


def is_static_local(domain: str, server: Server) -> bool:
    """amavis' non-SQL ``local_domains_maps`` (an ACL: ``.dom`` = dom and subdomains)."""
    domain = domain.lower().rstrip(".")
    verdict = False
    for entry in server.effective_local_domains:
        negate = entry.startswith("!")
        pattern = entry.removeprefix("!").lower()
        if pattern.startswith("."):
            hit = domain == pattern[1:] or domain.endswith(pattern)
        else:
            hit = domain == pattern
        if hit:
            verdict = not negate
            break
    return verdict


def ascii_domain(domain: str) -> str:
    """Lower-cased, trailing dots removed, IDN labels to ASCII (amavis ``idn_to_ascii``;
    ISPConfig stores domains IDN-encoded). Undecodable names are only lower-cased."""
    domain = domain.rstrip(".").lower()
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def lookup_keys(address: str, server: Server) -> tuple[str, ...]:
    """The SQL key list for an address, most specific first (§3.6).

    ``User+Ext@Sub.Example.COM`` → the address as received, ``user+ext@sub.example.com``,
    ``user@sub.example.com``, (``user+ext``, ``user`` only for statically local domains),
    ``@sub.example.com``, ``@.sub.example.com``, ``@.example.com``, ``@.com``, ``@.``.
    The null sender ``<>`` gives ``""``, ``"@"``, ``"@."``.
    """
    raw = address.strip().strip("<>")
    if raw == "":
        return ("", "@", "@.")
    local, domain = split_address(raw)
    domain_l = ascii_domain(domain)
    local_l = local.lower()
    user, ext = split_localpart(local_l, server.recipient_delimiter)
    keys = [raw]
    if ext:
        keys.append(f"{local_l}@{domain_l}")
    keys.append(f"{user}@{domain_l}")
    if domain_l and is_static_local(domain_l, server):
        if ext:
            keys.append(local_l)
        keys.append(user)
    if domain_l:
        keys.append(f"@{domain_l}")
        labels = domain_l.split(".")
        for start in range(min(len(labels), 20)):
            keys.append("@." + ".".join(labels[start:]))
    keys.append("@.")
    unique: list[str] = []
    for key in keys:
        if key not in unique:
            unique.append(key)
    return tuple(unique)


@dataclass(frozen=True, slots=True)
class ResolvedField:
    """One setting after fall-through: its value and the row (or static setting) it came from."""

    name: str
    value: object
    source: str


@dataclass(frozen=True, slots=True)
class PolicyLookup:
    """The result of the SQL lookup for one recipient."""

    recipient: str
    keys: tuple[str, ...]
    rows: tuple[tuple[SpamfilterUser, SpamfilterPolicy | None, str], ...]
    fields: tuple[ResolvedField, ...]
    excluded: tuple[SpamfilterUser, ...] = ()
    tie: bool = False

    def get(self, name: str) -> object:
        for item in self.fields:
            if item.name == name:
                return item.value
        raise KeyError(name)

    def source(self, name: str) -> str:
        for item in self.fields:
            if item.name == name:
                return item.source
        raise KeyError(name)

    @property
    def first(self) -> tuple[SpamfilterUser, SpamfilterPolicy | None, str] | None:
        """The highest-priority matching row (the one reported as "the policy")."""
        return self.rows[0] if self.rows else None

    @property
    def main_policy(self) -> tuple[SpamfilterUser, SpamfilterPolicy, str] | None:
        """The first matching row that has a policy (the policy whose levels mostly apply)."""
        for user, policy, key in self.rows:
            if policy is not None:
                return user, policy, key
        return None


def _flag(value: object) -> bool:
    # amavis field type B1: 'Y' is true; 'N', 'F', '0', ' ' false (§3.6).
    return isinstance(value, str) and value[:1].upper() in ("Y", "T", "1")


def _static(name: str, server: Server, recipient_domain: str) -> object:
    table: dict[str, object] = {
        "spam_lover": False,
        "bypass_spam_checks": False,
        "bypass_virus_checks": False,
        "spam_quarantine_to": server.spam_quarantine_to,
        "spam_tag_level": server.sa_tag_level_deflt,
        "spam_tag2_level": server.sa_tag2_level_deflt,
        "spam_kill_level": server.sa_kill_level_deflt,
        "spam_dsn_cutoff_level": server.sa_dsn_cutoff_level,
        "spam_quarantine_cutoff_level": server.sa_quarantine_cutoff_level,
        "spam_subject_tag": server.sa_spam_subject_tag1,
        "spam_subject_tag2": server.sa_spam_subject_tag,
        "local": is_static_local(recipient_domain, server),
    }
    return table[name]


_STATIC_NAMES = {
    "spam_lover": "@spam_lovers_maps (none)",
    "bypass_spam_checks": "@bypass_spam_checks_maps (none)",
    "bypass_virus_checks": "@bypass_virus_checks_maps (none)",
    "spam_quarantine_to": "$spam_quarantine_to",
    "spam_tag_level": "$sa_tag_level_deflt",
    "spam_tag2_level": "$sa_tag2_level_deflt",
    "spam_kill_level": "$sa_kill_level_deflt",
    "spam_dsn_cutoff_level": "$sa_dsn_cutoff_level",
    "spam_quarantine_cutoff_level": "$sa_quarantine_cutoff_level",
    "spam_subject_tag": "$sa_spam_subject_tag1",
    "spam_subject_tag2": "$sa_spam_subject_tag",
    "local": "local_domains_maps",
}

#: Fields resolved per recipient: the policy columns amavis uses, plus ``local``.
RESOLVED_FIELDS = (*_STATIC_NAMES,)


def _select(
    keys: tuple[str, ...], policies: PolicySet
) -> tuple[list[tuple[SpamfilterUser, str]], list[SpamfilterUser], bool]:
    """``SELECT … WHERE email IN (%k) [AND policy_id != 0] ORDER BY priority DESC``."""
    filter_zero = policies.server.version >= (3, 2, 6)  # ISPConfig issue #6201, §3.7
    lowered = [k.lower() for k in keys]
    matched: list[tuple[int, int, SpamfilterUser, str]] = []
    excluded: list[SpamfilterUser] = []
    for row in policies.spamfilter_users:
        email = row.email.lower()
        if email not in lowered:
            continue
        if filter_zero and row.policy_id == 0:
            excluded.append(row)
            continue
        # The row's own spelling is the key that matched (MySQL compares case-insensitively).
        matched.append((-row.priority, lowered.index(email), row, row.email))
    matched.sort(key=lambda item: (item[0], item[1], item[2].id))
    priorities = [item[0] for item in matched]
    tie = len(priorities) != len(set(priorities))
    return [(item[2], item[3]) for item in matched], excluded, tie


def lookup_policy(recipient: str, policies: PolicySet) -> PolicyLookup:
    """Resolve every amavis setting for one envelope recipient (§3.6).

    Args:
        recipient: the address as given in RCPT TO (before alias expansion, §5.3).
        policies: the policy set.

    Returns:
        the key list, matched rows and resolved fields with their sources.
    """
    server = policies.server
    keys = lookup_keys(recipient, server)
    selected, excluded, tie = _select(keys, policies)
    rows = tuple((user, policies.policy(user.policy_id), key) for user, key in selected)
    _local, domain = split_address(recipient)
    fields: list[ResolvedField] = []
    for name in RESOLVED_FIELDS:
        found: ResolvedField | None = None
        for user, policy, key in rows:
            if name == "local":
                value: object = user.local
            else:
                value = getattr(policy, name) if policy is not None else None
            if value is None:
                continue  # NULL (or a LEFT JOIN without policy row) falls through
            if name in ("spam_lover", "bypass_spam_checks", "bypass_virus_checks", "local"):
                value = _flag(value)
            where = f'spamfilter_users "{key}" (id {user.id}, priority {user.priority}'
            where += f", policy {user.policy_id})"
            found = ResolvedField(name, value, where)
            break
        if found is None:
            found = ResolvedField(name, _static(name, server, domain), _STATIC_NAMES[name])
        fields.append(found)
    return PolicyLookup(recipient, keys, rows, tuple(fields), tuple(excluded), tie)


@dataclass(frozen=True, slots=True)
class WbVerdict:
    """White/blacklist result for one recipient, as amavis' ``white_black_list`` leaves it.

    Attributes:
        whitelisted: some sender was whitelisted (``W``/``Y``/``T``) for the recipient.
        blacklisted: some sender was blacklisted (``B``/``N``/``F``); both flags can be set
            when the envelope sender and a From address hit different entries.
        boost: the sum of the soft scores met on the way (None: no soft entry).
        final: amavis' last ``$wb`` (+1 white, -1 black, 0 neutral, None nothing): only
            when every recipient ends with a hard +1/-1 does amavis skip SpamAssassin.
        hits: what matched, for the reasons.
    """

    whitelisted: bool = False
    blacklisted: bool = False
    boost: float | None = None
    final: int | None = None
    hits: tuple[str, ...] = ()

    @property
    def hard(self) -> bool:
        """True when amavis counts this recipient as white/blacklisted for skipping SA."""
        return bool(self.final)


# amavis' classification of the ``wb`` field (SpamControl.pm ``white_black_list``).
_WB_NUMERIC = re.compile(r"^ *([+-]?\d+(?:\.\d*)?) *\Z")
_WB_NEUTRAL = re.compile(r"^[ \x00]*\Z")
_WB_BLACK = re.compile(r"^[BbNnFf] *\Z")


def lookup_wblist(lookup: PolicyLookup, senders: tuple[str, ...], policies: PolicySet) -> WbVerdict:
    """``$sql_select_white_black_list`` the way amavis walks it (§3.6, ``SpamControl.pm``).

    For each sender (the envelope sender, then each From address, duplicates removed) and,
    inside, for each matching ``spamfilter_users`` row (priority order), the first active
    wblist entry of that ``rid`` whose ``email`` is one of the sender's keys (entries by
    priority DESC) is examined: a number is a soft score that is added and the search goes
    on; a blank is neutral, ``B``/``N``/``F`` blacklists and anything else whitelists, and
    those end the search of the rows for this sender. After a hit, later senders are still
    looked up, in the first row only (amavis' ``$found`` stays set).

    Args:
        lookup: the recipient's policy lookup (its rows give the ``rid`` values).
        senders: the envelope sender, then the From header addresses.
        policies: the policy set.
    """
    active = [r for r in policies.spamfilter_wblist if r.active == "y"]
    unique: list[str] = []
    for sender in senders:
        if sender not in unique:
            unique.append(sender)
    whitelisted = blacklisted = found = False
    boost: float | None = None
    final: int | None = None
    hits: list[str] = []
    for sender in unique:
        keys = [k.lower() for k in lookup_keys(sender, policies.server)]
        for user, _policy, _key in lookup.rows:
            entry = None
            for row in sorted(
                (r for r in active if r.rid == user.id), key=lambda r: (-r.priority, r.wblist_id)
            ):
                if row.email.lower() in keys:
                    entry = row
                    break
            final = None
            if entry is not None:
                where = f'wblist row {entry.wblist_id} ("{entry.email}" for "{user.email}")'
                shown = sender or "<>"
                numeric = _WB_NUMERIC.match(entry.wb)
                if numeric:
                    boost = (boost or 0.0) + float(numeric.group(1))
                    hits.append(f"soft score {entry.wb.strip()} for sender {shown}: {where}")
                elif _WB_NEUTRAL.match(entry.wb):
                    found, final = True, 0
                    hits.append(f"sender {shown} is neutral (blank wb): {where}")
                elif _WB_BLACK.match(entry.wb):
                    found, final, blacklisted = True, -1, True
                    hits.append(f"sender {shown} is blacklisted: {where}")
                else:
                    found, final, whitelisted = True, 1, True
                    hits.append(f"sender {shown} is whitelisted: {where}")
            if found:
                break
    return WbVerdict(whitelisted, blacklisted, boost, final, tuple(hits))
