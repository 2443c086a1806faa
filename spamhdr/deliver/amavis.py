"""amavis 2.13's per-recipient spam decision and header edits (spec §3.1–3.5, §3.8).

Input: the recipient's :class:`~spamhdr.deliver.lookup.PolicyLookup`, white/blacklist
verdict, the message's spam score and facts about the message (null sender, Precedence).
Output: :class:`AmavisDecision` — levels compared, category, destiny, DSN, quarantine, the
exact ``X-Spam-*`` fields amavis prepends (2.13 formatting and folding), the subject tag,
and the upstream fields it deletes. Invariants: every level comparison is ``>=``; an
undefined tag level means "always tag"; pure, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from spamhdr.deliver.edit import HeaderEdits, fold_structured
from spamhdr.deliver.lookup import PolicyLookup, WbVerdict
from spamhdr.deliver.model import Server

__all__ = [
    "AMAVIS_REMOVED",
    "AmavisDecision",
    "amavis_score",
    "decide_amavis",
    "perl_number",
]

#: Fields amavis deletes from every copy when ``remove_existing_spam_headers`` (§3.1).
AMAVIS_REMOVED = frozenset(
    {
        "x-spam-status",
        "x-spam-level",
        "x-spam-flag",
        "x-spam-score",
        "x-spam-report",
        "x-spam-checker-version",
        "x-spam-tests",
    }
)

_DESTINY = {"D_PASS": "pass", "D_DISCARD": "discard", "D_BOUNCE": "bounce", "D_REJECT": "reject"}


def perl_number(value: float) -> str:
    """Perl's default number-to-string (``%.15g``): ``4.50`` → ``4.5``, ``20.0`` → ``20``."""
    if value == 0:
        return "0"  # Perl prints a negative zero as "0" here (checked with perl -e)
    return f"{value:.15g}"


def amavis_score(value: float) -> str:
    """``0+sprintf("%.3f", s)``: up to 3 decimals, trailing zeros dropped (§3.2)."""
    return perl_number(float(f"{value:.3f}"))


@dataclass(frozen=True, slots=True)
class AmavisDecision:
    """amavis' verdict for one envelope recipient."""

    recipient: str
    score: float
    local: bool
    bypassed: bool
    whitelisted: bool
    blacklisted: bool
    levels: tuple[tuple[str, float | None], ...]
    do_tag: bool
    do_tag2: bool
    do_tag3: bool
    do_kill: bool
    spam_lover: bool
    category: str
    destiny: str
    dsn: bool | None
    quarantined: bool
    edits: HeaderEdits
    reasons: tuple[str, ...]

    @property
    def delivered(self) -> bool:
        return self.destiny == "pass"

    @property
    def cluster_key(self) -> tuple[object, ...]:
        """Recipients with equal keys get byte-identical edits and one re-injection (§3.8)."""
        return (self.destiny, self.edits.prepend, self.edits.subject, self.quarantined)


def _level_text(name: str, value: float | None) -> str:
    return f"{name} {perl_number(value)}" if value is not None else f"{name} undefined"


def _status_pieces(
    yes: bool,
    score: float,
    tag: float | None,
    tag2: float | None,
    wb: WbVerdict,
    tests: tuple[tuple[str, str], ...] | None,
    autolearn: str,
) -> tuple[str, ...]:
    pieces = ["Yes," if yes else "No,", f" score={amavis_score(score)}"]
    if tag is not None:
        pieces.append(f" tagged_above={perl_number(tag)}")
    if tag2 is not None:
        pieces.append(f" required={perl_number(tag2)}")
    if wb.kind == "black":
        pieces.append(" BLACKLISTED")
    if wb.kind == "white":
        pieces.append(" WHITELISTED")
    if tests is None:
        pieces.append(" tests=[]")
    else:
        items = [f"{name}={value}" for name, value in tests] or ["none"]
        for index, item in enumerate(items):
            head = " tests=[" if index == 0 else " "
            tail = "]" if index == len(items) - 1 else ","
            pieces.append(head + item + tail)
    pieces.append(f" autolearn={autolearn}")
    return tuple(pieces)


def _expand_tag(tag: str, score: float, tag2: float | None, yes: bool) -> str:
    # The macros of §3.5 that depend on the decision; the others need amavis' run state.
    out = tag.replace("_SCORE_", amavis_score(score))
    out = out.replace("_REQD_", perl_number(tag2) if tag2 is not None else "-")
    out = out.replace("_YESNOCAPS_", "YES" if yes else "NO")
    return out.replace("_YESNO_", "Yes" if yes else "No")


def decide_amavis(
    lookup: PolicyLookup,
    wb: WbVerdict,
    score: float,
    server: Server,
    *,
    subject: str | None,
    null_sender: bool = False,
    bulk: bool = False,
    tests: tuple[tuple[str, str], ...] | None = None,
    autolearn: str = "unavailable",
) -> AmavisDecision:
    """Decide one recipient the way amavis 2.13 does (§3.5).

    Args:
        lookup: the recipient's resolved policy.
        wb: its white/blacklist verdict.
        score: the SpamAssassin score of the message (before per-recipient adjustments).
        server: static settings (destiny, level bar character, X-Virus-Scanned text).
        subject: the message's current Subject (None when it has none).
        null_sender: the envelope sender is ``<>`` (no DSN is ever sent).
        bulk: ``Precedence: bulk/list/junk`` (no DSN).
        tests: ``(name, raw score)`` pairs for ``tests=[...]``; None when unknown.
        autolearn: the ``autolearn=`` text.
    """
    reasons: list[str] = []
    s = score + (wb.soft_score if wb.kind == "soft" else 0.0)
    if wb.kind == "soft":
        reasons.append(f"soft white/blacklist score {wb.soft_score:+g} for sender {wb.sender}")
    wl, bl = wb.kind == "white", wb.kind == "black"
    if wl or bl:
        reasons.append(
            f"sender {wb.sender} is {'white' if wl else 'black'}listed (wblist row {wb.row_id})"
        )
    bypassed = bool(lookup.get("bypass_spam_checks"))
    lover = bool(lookup.get("spam_lover"))
    local = bool(lookup.get("local"))
    tag = _opt(lookup.get("spam_tag_level"))
    tag2 = _opt(lookup.get("spam_tag2_level"))
    tag3 = server.sa_tag3_level_deflt  # ISPConfig's table has no tag3 column
    kill = _opt(lookup.get("spam_kill_level"))
    dsn_cut = _opt(lookup.get("spam_dsn_cutoff_level"))
    q_cut = _opt(lookup.get("spam_quarantine_cutoff_level"))
    levels = (("tag", tag), ("tag2", tag2), ("tag3", tag3), ("kill", kill))
    if bypassed:
        reasons.append("spam checks bypassed (bypass_spam_checks = Y): no spam tagging")
        do_tag = do_tag2 = do_tag3 = do_kill = False
    else:
        do_tag = bl or tag is None or s + (-10.0 if wl else 0.0) >= tag
        do_tag2 = not wl and (bl or (tag2 is not None and s >= tag2))
        do_tag3 = not wl and (bl or (tag3 is not None and s >= tag3))
        do_kill = not wl and (bl or (kill is not None and s >= kill))
        do_tag2 = do_tag2 or do_tag3
        shown = amavis_score(s)
        for name, value, hit in (
            ("tag", tag, do_tag),
            ("tag2", tag2, do_tag2),
            ("kill", kill, do_kill),
        ):
            src = lookup.source(
                {"tag": "spam_tag_level", "tag2": "spam_tag2_level", "kill": "spam_kill_level"}[
                    name
                ]
            )
            if value is None:
                reasons.append(
                    f"{name} level undefined ({src})"
                    + (": always tagged" if name == "tag" else ": never reached")
                )
            else:
                op = ">=" if hit else "<"
                reasons.append(f"score {shown} {op} {name} {perl_number(value)} (from {src})")
    category = "spam" if do_kill else "spammy" if do_tag2 else "clean"
    blocked = do_kill and not lover
    if do_kill and lover:
        reasons.append("spam lover (spam_lover = Y): killed spam is passed with headers")
    destiny = _DESTINY[server.final_spam_destiny] if blocked else "pass"
    dsn: bool | None = None
    if blocked:
        reasons.append(f"kill level reached: final_spam_destiny {server.final_spam_destiny}")
        if destiny == "bounce":
            dsn = not (null_sender or bulk or bl or (dsn_cut is not None and s >= dsn_cut))
            if not dsn:
                why = (
                    "null sender"
                    if null_sender
                    else "bulk/list Precedence"
                    if bulk
                    else "blacklisted sender"
                    if bl
                    else f"score >= spam_dsn_cutoff_level {perl_number(dsn_cut or 0)}"
                )
                reasons.append(f"no DSN: {why}")
    qto = lookup.get("spam_quarantine_to")
    quarantined = bool(do_kill and isinstance(qto, str) and qto != "")
    if quarantined and q_cut is not None and (s >= q_cut or bl):
        quarantined = False
        reasons.append(f"no quarantine: score >= spam_quarantine_cutoff_level {perl_number(q_cut)}")
    elif quarantined:
        reasons.append(f"quarantined to {qto!r} ({lookup.source('spam_quarantine_to')})")
    prepend: list[tuple[str, str]] = []
    new_subject: str | None = None
    if destiny == "pass":
        if quarantined and local:
            prepend.append(("X-Quarantine-ID", "<MAILID>"))
        if not lookup.get("bypass_virus_checks"):
            prepend.append(("X-Virus-Scanned", server.virus_scanned))
        if not local:
            reasons.append(
                "recipient is not local: amavis adds no X-Spam-* headers and no "
                f"subject tag (local from {lookup.source('local')})"
            )
        elif do_tag:
            prepend.extend(_spam_fields(s, do_tag2, tag, tag2, wb, server, tests, autolearn))
        elif not bypassed:
            reasons.append("below tag level: no X-Spam-* headers")
        if local and (do_tag or do_tag2 or do_tag3):
            new_subject = _subject(lookup, server, s, tag2, do_tag, do_tag2, do_tag3, subject)
    edits = HeaderEdits(
        remove=AMAVIS_REMOVED if server.remove_existing_spam_headers else frozenset(),
        prepend=tuple(prepend),
        subject=new_subject,
    )
    return AmavisDecision(
        lookup.recipient, s, local, bypassed, wl, bl, levels, do_tag, do_tag2, do_tag3,
        do_kill, lover, category, destiny, dsn, quarantined, edits, tuple(reasons),
    )  # fmt: skip


def _opt(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _spam_fields(
    s: float,
    do_tag2: bool,
    tag: float | None,
    tag2: float | None,
    wb: WbVerdict,
    server: Server,
    tests: tuple[tuple[str, str], ...] | None,
    autolearn: str,
) -> list[tuple[str, str]]:
    shown = s
    if wb.kind == "black":
        shown = max(s, 64.0)
    elif wb.kind == "white":
        shown = min(s, 0.0)
    fields = [("X-Spam-Flag", "YES" if do_tag2 else "NO"), ("X-Spam-Score", amavis_score(shown))]
    char = server.sa_spam_level_char
    if char:
        count = 64 if wb.kind == "black" else 0 if wb.kind == "white" else int(s)
        fields.append(("X-Spam-Level", char * max(0, min(count, 64))))
    pieces = _status_pieces(do_tag2, s, tag, tag2, wb, tests, autolearn)
    fields.append(("X-Spam-Status", fold_structured("X-Spam-Status", pieces)))
    return fields


def _subject(
    lookup: PolicyLookup,
    server: Server,
    s: float,
    tag2: float | None,
    do_tag: bool,
    do_tag2: bool,
    do_tag3: bool,
    subject: str | None,
) -> str | None:
    # Most important category first; the first non-empty tag wins (§3.5).
    candidates: list[object] = []
    if do_tag2:
        candidates.append(lookup.get("spam_subject_tag2"))
    if do_tag:
        candidates.append(lookup.get("spam_subject_tag"))
    chosen = next((c for c in candidates if isinstance(c, str) and c != ""), None)
    if chosen is None:
        return None
    tag = _expand_tag(chosen, s, tag2, do_tag2)
    current = subject if subject is not None else ""
    if len(tag) >= 3:
        current = current.replace(tag, "")
    return tag + current
