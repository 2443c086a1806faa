"""Postfix virtual alias expansion after the filter (spec §3.7, §5.3).

Input: one envelope recipient and the :class:`~spamhdr.deliver.model.PolicySet`. Output:
:class:`Expansion` — the final targets (local mailboxes or external addresses), each with
the chain of rows that led there. Invariants: like Postfix' ``virtual_alias_maps``
(ISPConfig: ``mysql-virtual_forwardings.cf`` then ``mysql-virtual_email2email.cf``), the
full address is tried before ``@domain`` (so a catch-all or alias domain never hides an
existing mailbox or alias); an ``@dom`` result keeps the local part; a result equal to its
own input is final; recursion is bounded. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from spamhdr.deliver.lookup import split_address
from spamhdr.deliver.model import MailUser, PolicySet

__all__ = ["Expansion", "Target", "expand_recipient"]

_MAX_DEPTH = 20  # Postfix stops at 1000 nested lookups; ISPConfig chains are short


@dataclass(frozen=True, slots=True)
class Target:
    """A final destination: a mailbox (``mailbox`` set) or an external/unknown address."""

    address: str
    mailbox: MailUser | None
    via: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Expansion:
    """All final targets of one envelope recipient."""

    recipient: str
    targets: tuple[Target, ...]
    unknown: bool = False
    notes: tuple[str, ...] = ()


def _forwardings(key: str, policies: PolicySet) -> tuple[list[str], list[str]]:
    targets: list[str] = []
    rows: list[str] = []
    for row in policies.mail_forwarding:
        if row.active != "y" or row.source.lower() != key:
            continue
        targets.extend(row.targets)
        rows.append(f"{row.type} {row.source} → {row.destination}")
    return targets, rows


def _email2email(key: str, policies: PolicySet) -> tuple[list[str], list[str]]:
    box = policies.mailbox(key)
    if box is None or box.postfix != "y" or box.disabledeliver == "y":
        return [], []
    targets = [box.email]
    rows = [f"mailbox {box.email}"]
    if box.cc and box.forward_in_lda != "y":
        # cc handled by Postfix (forward_in_lda = n): the mailbox and each cc address
        extra = [a for a in box.cc.replace(",", " ").split() if a]
        targets.extend(extra)
        rows.append(f"cc of {box.email} → {', '.join(extra)}")
    return targets, rows


def expand_recipient(recipient: str, policies: PolicySet) -> Expansion:
    """Expand one envelope recipient into final targets.

    Without ``mail_user``/``mail_forwarding`` rows in the document every recipient is taken
    to be a mailbox with ISPConfig's defaults (``move_junk = y``, no filters).
    """
    address = recipient.strip().strip("<>")
    if not policies.has_mail_tables:
        box = MailUser(mailuser_id=0, email=address)
        return Expansion(address, (Target(address, box, ("implicit mailbox",)),))
    found: list[Target] = []
    notes: list[str] = []
    seen: set[str] = set()

    looped: list[str] = []

    def walk(addr: str, via: tuple[str, ...], path: tuple[str, ...]) -> None:
        lowered = addr.lower()
        if lowered in path or len(path) > _MAX_DEPTH:
            looped.append(addr)
            return
        if lowered in seen:
            return  # Postfix drops duplicate recipients (two aliases reaching one mailbox)
        seen.add(lowered)
        local, domain = split_address(lowered)
        for key in (lowered, "@" + domain):
            for table in (_forwardings, _email2email):
                targets, rows = table(key, policies)
                if targets:
                    break
            if targets:
                break
        else:
            box = policies.mailbox(lowered)
            found.append(Target(addr, box, via))
            return
        for target in targets:
            resolved = local + target if target.startswith("@") else target
            step = (*via, rows[0] if len(rows) == 1 else "; ".join(rows))
            if resolved.lower() == lowered:
                found.append(Target(addr, policies.mailbox(lowered), step))
                continue
            walk(resolved, step, (*path, lowered))

    walk(address, (), ())
    if looped:
        # Postfix expands until virtual_alias_recursion_limit, then logs "recursion limit
        # exceeded in virtual alias expansion" and defers the message: nothing is delivered.
        notes.append(f"alias loop at {looped[0]}: Postfix defers the message, nothing is delivered")
        return Expansion(address, (), False, tuple(notes))
    unknown = all(t.mailbox is None and _is_hosted(t.address, policies) for t in found)
    return Expansion(address, tuple(found), unknown and bool(found), tuple(notes))


def _is_hosted(address: str, policies: PolicySet) -> bool:
    """True when the address' domain is one of the document's mail domains."""
    _local, domain = split_address(address.lower())
    domains = {split_address(m.email.lower())[1] for m in policies.mail_user}
    domains |= {split_address(f.source.lower())[1] for f in policies.mail_forwarding}
    return domain in domains
