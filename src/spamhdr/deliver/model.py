"""ISPConfig's mail tables as frozen rows: the vocabulary of the delivery simulator.

Input: column values (already validated by :mod:`spamhdr.deliver.document` or given by a
caller). Output: immutable rows named after ISPConfig's tables (``install/sql/ispconfig3.sql``
plus ``upd_0088`` for the rspamd columns and ``upd_0089`` for ``move_junk`` 'a'),
and :class:`Server`, the static settings ISPConfig writes into amavis' ``50-user``.

Invariants: ``None`` is SQL NULL and means "fall through" (spec §3.6); ``""`` is the
empty string and is a value. Numbers are floats (ISPConfig's ``DECIMAL(5,2)``); text
enums keep ISPConfig's spelling (``'Y'``/``'N'`` for the policy flags, ``'y'``/``'a'``/``'n'``
for ``move_junk``). Rows never change after construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spamhdr.errors import UsageError

__all__ = [
    "POLICY_AMAVIS_FIELDS",
    "VERSION_FAMILIES",
    "MailForwarding",
    "MailUser",
    "PolicySet",
    "Server",
    "SpamfilterPolicy",
    "SpamfilterUser",
    "SpamfilterWblist",
    "parse_version",
    "version_family",
]


@dataclass(frozen=True, slots=True)
class SpamfilterPolicy:
    """One ``spamfilter_policy`` row (amavis and rspamd columns; others kept in ``other``)."""

    id: int
    policy_name: str | None = None
    virus_lover: str | None = None
    spam_lover: str | None = None
    banned_files_lover: str | None = None
    bad_header_lover: str | None = None
    bypass_virus_checks: str | None = None
    bypass_spam_checks: str | None = None
    bypass_banned_checks: str | None = None
    bypass_header_checks: str | None = None
    spam_modifies_subj: str | None = None
    spam_quarantine_to: str | None = None
    spam_tag_level: float | None = None
    spam_tag2_level: float | None = None
    spam_kill_level: float | None = None
    spam_dsn_cutoff_level: float | None = None
    spam_quarantine_cutoff_level: float | None = None
    spam_subject_tag: str | None = None
    spam_subject_tag2: str | None = None
    rspamd_greylisting: str = "n"
    rspamd_spam_greylisting_level: float | None = None
    rspamd_spam_tag_level: float | None = None
    rspamd_spam_tag_method: str = "rewrite_subject"
    rspamd_spam_kill_level: float | None = None
    other: tuple[tuple[str, object], ...] = ()


#: Policy columns amavis reads through ``SELECT *`` and resolves field by field (§3.6).
POLICY_AMAVIS_FIELDS = (
    "spam_lover",
    "bypass_spam_checks",
    "bypass_virus_checks",
    "spam_quarantine_to",
    "spam_tag_level",
    "spam_tag2_level",
    "spam_kill_level",
    "spam_dsn_cutoff_level",
    "spam_quarantine_cutoff_level",
    "spam_subject_tag",
    "spam_subject_tag2",
)


@dataclass(frozen=True, slots=True)
class SpamfilterUser:
    """One ``spamfilter_users`` row: which policy applies to an address pattern."""

    id: int
    email: str
    priority: int = 7
    policy_id: int = 1
    local: str | None = None
    fullname: str | None = None
    server_id: int = 0


@dataclass(frozen=True, slots=True)
class SpamfilterWblist:
    """One ``spamfilter_wblist`` row: sender pattern ``email`` white/blacklisted for ``rid``.

    ``wb`` is ``'W'`` or ``'B'`` (ISPConfig's enum); amavis also understands a number, a
    soft score added to the spam level (§3.6), which a document may give.
    """

    wblist_id: int
    rid: int
    email: str
    wb: str = "W"
    priority: int = 0
    active: str = "y"
    server_id: int = 0


@dataclass(frozen=True, slots=True)
class MailUser:
    """One ``mail_user`` row (a mailbox) with the columns delivery depends on."""

    mailuser_id: int
    email: str
    move_junk: str = "y"
    custom_mailfilter: str | None = None
    cc: str = ""
    forward_in_lda: str = "n"
    greylisting: str = "n"
    postfix: str = "y"
    disabledeliver: str = "n"
    autoresponder: str = "n"
    server_id: int = 0


@dataclass(frozen=True, slots=True)
class MailForwarding:
    """One ``mail_forwarding`` row: alias, forward, catch-all (``@dom``) or alias domain."""

    forwarding_id: int
    source: str
    destination: str
    type: str = "alias"
    active: str = "y"
    greylisting: str = "n"
    server_id: int = 0

    @property
    def targets(self) -> tuple[str, ...]:
        """The destination list (ISPConfig separates addresses by comma, space or newline)."""
        text = self.destination.replace(",", " ").replace("\n", " ").replace("\r", " ")
        return tuple(t for t in text.split(" ") if t)


#: ISPConfig release families whose Sieve rule differs (§5.4).
VERSION_FAMILIES = ("3.1", "3.2.0-3.2.2", "3.2.3-3.2.4", "3.2.5+")

DEFAULT_VERSION = "3.2.11"


def parse_version(text: str) -> tuple[int, int, int]:
    """``"3.2.4"`` → ``(3, 2, 4)``; also accepts a family label (``"3.2.5+"``, ``"3.2.0-3.2.2"``).

    Raises:
        UsageError: not a dotted ISPConfig version.
    """
    cleaned = text.strip().rstrip("+").split("-")[0].lower().removeprefix("v")
    parts = cleaned.split(".")
    numbers: list[int] = []
    for part in parts[:3]:
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            raise UsageError(f"not an ISPConfig version: {text!r} (expected e.g. 3.1.14, 3.2.11)")
        numbers.append(int(digits))
    while len(numbers) < 3:
        numbers.append(0)
    if numbers[0] != 3 or numbers[1] not in (1, 2):
        raise UsageError(f"unsupported ISPConfig version {text!r}: spamhdr models 3.1 and 3.2")
    return numbers[0], numbers[1], numbers[2]


def version_family(version: tuple[int, int, int]) -> str:
    """The Sieve-rule family of a version (§5.4; 3.1.15 already ships the 3.2.0 rule)."""
    if version < (3, 1, 15):
        return "3.1"
    if version < (3, 2, 3):
        return "3.2.0-3.2.2"
    if version < (3, 2, 5):
        return "3.2.3-3.2.4"
    return "3.2.5+"


@dataclass(frozen=True, slots=True)
class Server:
    """Static settings: amavis ``50-user`` values, the backend and the ISPConfig version.

    Defaults are ISPConfig's (``install/tpl/amavisd_user_config.master``, §3.7) on Debian
    (``20-debian_defaults``: ``local_domains_acl = (".$mydomain")``, subject tag).
    """

    ispconfig_version: str = DEFAULT_VERSION
    backend: str = "amavis"
    mydomain: str = "localdomain"
    local_domains: tuple[str, ...] | None = None
    recipient_delimiter: str = "+"
    sa_tag_level_deflt: float | None = 20.0
    sa_tag2_level_deflt: float | None = 60.0
    sa_tag3_level_deflt: float | None = None
    sa_kill_level_deflt: float | None = 60.0
    sa_dsn_cutoff_level: float | None = 100.0
    sa_quarantine_cutoff_level: float | None = None
    final_spam_destiny: str = "D_DISCARD"
    sa_spam_subject_tag: str | None = "***SPAM*** "
    sa_spam_subject_tag1: str | None = None
    spam_quarantine_to: str | None = "spam-quarantine"
    sa_spam_level_char: str | None = "*"
    remove_existing_spam_headers: bool = True
    x_header_line: str | None = None
    rspamd_actions: tuple[tuple[str, float | None], ...] = (
        ("greylist", 4.0),
        ("add header", 6.0),
        ("rewrite subject", None),
        ("reject", 15.0),
    )
    rspamd_subject: str = "*** SPAM *** %s"

    def __post_init__(self) -> None:
        parse_version(self.ispconfig_version)
        if self.backend not in ("amavis", "rspamd"):
            raise UsageError(f"backend must be amavis or rspamd, got {self.backend!r}")

    @property
    def version(self) -> tuple[int, int, int]:
        return parse_version(self.ispconfig_version)

    @property
    def family(self) -> str:
        return version_family(self.version)

    @property
    def effective_local_domains(self) -> tuple[str, ...]:
        """amavis' static ``local_domains_maps``: Debian's default is ``.$mydomain``."""
        if self.local_domains is not None:
            return self.local_domains
        return ("." + self.mydomain,)

    @property
    def virus_scanned(self) -> str:
        """``X-Virus-Scanned`` value: Debian's ``X_HEADER_LINE`` for amavis 2.12+ (§3.1)."""
        return self.x_header_line or f"Debian amavis at {self.mydomain}"


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Everything a delivery decision reads: the five tables and the server settings."""

    spamfilter_policy: tuple[SpamfilterPolicy, ...] = ()
    spamfilter_users: tuple[SpamfilterUser, ...] = ()
    spamfilter_wblist: tuple[SpamfilterWblist, ...] = ()
    mail_user: tuple[MailUser, ...] = ()
    mail_forwarding: tuple[MailForwarding, ...] = ()
    server: Server = field(default_factory=Server)
    source: str = "<built-in defaults>"

    def policy(self, policy_id: int) -> SpamfilterPolicy | None:
        for row in self.spamfilter_policy:
            if row.id == policy_id:
                return row
        return None

    def mailbox(self, address: str) -> MailUser | None:
        wanted = address.lower()
        for row in self.mail_user:
            if row.email.lower() == wanted:
                return row
        return None

    @property
    def has_mail_tables(self) -> bool:
        """True when the document describes mailboxes or forwardings at all."""
        return bool(self.mail_user or self.mail_forwarding)
