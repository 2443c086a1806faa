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
    """amavis' verdict for one envelope recipient.

    ``score`` is the recipient's spam level (message score plus soft white/blacklist
    points) or None when amavis did not run SpamAssassin (every recipient white- or
    blacklisted): its headers then say ``score=x``.
    """

    recipient: str
    score: float | None
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


def _status_pieces(
    yes: bool,
    level: float | None,
    tag: float | None,
    tag2: float | None,
    wl: bool,
    bl: bool,
    tests: tuple[tuple[str, str], ...] | None,
    autolearn: str,
) -> tuple[str, ...]:
    # Amavis.pm add_forwarding_header_edits_per_recip: "%s,\n score=%s\n %s%s%stests=[%s]..."
    score = "x" if level is None else amavis_score(level)
    pieces = ["Yes," if yes else "No,", f" score={score}"]
    if tag is not None:
        pieces.append(f" tagged_above={perl_number(tag)}")
    if tag2 is not None:
        pieces.append(f" required={perl_number(tag2)}")
    if bl:
        pieces.append(" BLACKLISTED")
    if wl:
        pieces.append(" WHITELISTED")
    if not tests:
        # An empty list (no scanner result) prints "tests=[]"; SpamAssassin's own "none"
        # arrives as a test named "none".
        pieces.append(" tests=[]")
    else:
        items = [f"{name}={value}" if value != "" else name for name, value in tests]
        for index, item in enumerate(items):
            head = " tests=[" if index == 0 else " "
            tail = "]" if index == len(items) - 1 else ","
            pieces.append(head + item + tail)
    pieces.append(f" autolearn={autolearn}")
    return tuple(pieces)


def _expand_tag(tag: str, level: float | None, tag2: float | None, yes: bool) -> str:
    # The macros of §3.5 that depend on the decision; the others need amavis' run state.
    # '0+sprintf("%.3f", ...)' of an undefined level is 0.
    out = tag.replace("_SCORE_", amavis_score(level if level is not None else 0.0))
    out = out.replace("_REQD_", amavis_score(tag2) if tag2 is not None else "-")
    out = out.replace("_YESNOCAPS_", "YES" if yes else "NO")
    return out.replace("_YESNO_", "Yes" if yes else "No")


def decide_amavis(
    lookup: PolicyLookup,
    wb: WbVerdict,
    score: float | None,
    server: Server,
    *,
    subject: str | None,
    null_sender: bool = False,
    bulk: bool = False,
    tests: tuple[tuple[str, str], ...] | None = None,
    autolearn: str = "unavailable",
) -> AmavisDecision:
    """Decide one recipient the way amavis 2.13 does (§3.5, ``Amavis.pm``).

    Args:
        lookup: the recipient's resolved policy.
        wb: its white/blacklist verdict.
        score: the SpamAssassin score of the message (before per-recipient adjustments),
            None when SpamAssassin was not run (every recipient white/blacklisted).
        server: static settings (destiny, level bar character, X-Virus-Scanned text).
        subject: the message's current Subject (None when it has none).
        null_sender: the envelope sender is ``<>`` (no DSN is ever sent).
        bulk: amavis' ``is_bulk`` (mailing list, auto-reply or bulk mail: no DSN).
        tests: ``(name, raw score)`` pairs for ``tests=[...]``; None when unknown.
        autolearn: the ``autolearn=`` text.
    """
    reasons: list[str] = []
    level = score
    if score is None:
        reasons.append(
            "every recipient white- or blacklists the sender: amavis skips SpamAssassin "
            "(the level is undefined, 'score=x')"
        )
    reasons.extend(wb.hits)
    if wb.boost:  # SpamControl.pm: a defined, non-zero boost is added and listed as AM.WBL
        level = (level or 0.0) + wb.boost
        tests = (("AM.WBL", amavis_score(wb.boost)), *(tests or ()))
        reasons.append(f"soft white/blacklist points {amavis_score(wb.boost)} added")
    lv = level if level is not None else 0.0  # Perl: undef is 0 in comparisons
    wl, bl = wb.whitelisted, wb.blacklisted
    bypassed = bool(lookup.get("bypass_spam_checks"))
    lover = bool(lookup.get("spam_lover"))
    local = bool(lookup.get("local"))
    tag = _opt(lookup.get("spam_tag_level"))
    tag2 = _opt(lookup.get("spam_tag2_level"))
    tag3 = server.sa_tag3_level_deflt  # ISPConfig's table has no tag3 column
    kill = _opt(lookup.get("spam_kill_level"))
    dsn_cut = _opt(lookup.get("spam_dsn_cutoff_level"))
    q_cut = _opt(lookup.get("spam_quarantine_cutoff_level"))
    if bypassed:
        tag = tag2 = tag3 = kill = None  # not even looked up for bypassed recipients
    levels = (("tag", tag), ("tag2", tag2), ("tag3", tag3), ("kill", kill))
    if bypassed:
        reasons.append("spam checks bypassed (bypass_spam_checks = Y): no spam tagging")
        do_tag = do_tag2 = do_tag3 = do_kill = False
    else:
        do_tag = bl or tag is None or lv + (-10.0 if wl else 0.0) >= tag
        do_tag2 = not wl and (bl or (tag2 is not None and lv >= tag2))
        do_tag3 = not wl and (bl or (tag3 is not None and lv >= tag3))
        do_kill = not wl and (bl or (kill is not None and lv >= kill))
        do_tag2 = do_tag2 or do_tag3
        shown = "x" if level is None else amavis_score(level)
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
                if bl:
                    reasons.append(f"{name} {perl_number(value)}: reached, sender blacklisted")
                elif wl and name != "tag":
                    reasons.append(f"{name} {perl_number(value)}: never, sender whitelisted")
                elif wl:
                    reasons.append(
                        f"score {shown} - 10 (whitelisted) {op} tag {perl_number(value)} "
                        f"(from {src})"
                    )
                else:
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
            dsn, why = _dsn(null_sender, bulk, bl, wl, lv, dsn_cut)
            reasons.append("DSN sent to the sender" if dsn else f"no DSN: {why}")
    quarantined, why_q = _quarantine(lookup, do_kill, wl, bl, lv, q_cut)
    if why_q:
        reasons.append(why_q)
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
            prepend.extend(
                _spam_fields(level, do_tag2, tag, tag2, wl, bl, server, tests, autolearn)
            )
        elif not bypassed:
            reasons.append("below tag level: no X-Spam-* headers")
        if local and (do_tag or do_tag2 or do_tag3):
            new_subject = _subject(lookup, level, tag2, do_tag, do_tag2, do_tag3, subject)
    edits = HeaderEdits(
        remove=AMAVIS_REMOVED if server.remove_existing_spam_headers else frozenset(),
        prepend=tuple(prepend),
        subject=new_subject,
    )
    return AmavisDecision(
        lookup.recipient, level, local, bypassed, wl, bl, levels, do_tag, do_tag2, do_tag3,
        do_kill, lover, category, destiny, dsn, quarantined, edits, tuple(reasons),
    )  # fmt: skip


def _dsn(
    null_sender: bool, bulk: bool, bl: bool, wl: bool, level: float, cutoff: float | None
) -> tuple[bool, str]:
    """Whether a D_BOUNCE recipient's DSN is sent (``Notify.pm``), and why not."""
    if null_sender:
        return False, "null sender"
    if cutoff is not None and level >= cutoff:
        return False, f"score >= spam_dsn_cutoff_level {perl_number(cutoff)}"
    if cutoff is not None and bl and not wl:
        return False, "blacklisted sender (a DSN cutoff is set)"
    if bulk:
        return False, "bulk, list or auto-generated mail"
    return True, ""


def _quarantine(
    lookup: PolicyLookup, do_kill: bool, wl: bool, bl: bool, level: float, cutoff: float | None
) -> tuple[bool, str]:
    """Spam quarantine (``do_notify_and_quarantine``): CC_SPAM and a non-empty address."""
    if not do_kill:
        return False, ""
    qto = lookup.get("spam_quarantine_to")
    if not isinstance(qto, str) or qto == "":
        return False, "no quarantine: spam_quarantine_to is empty"
    if cutoff is not None and bl and not wl:
        return False, "no quarantine: blacklisted sender and a quarantine cutoff is set"
    if cutoff is not None and level >= cutoff:
        return False, f"no quarantine: score >= spam_quarantine_cutoff_level {perl_number(cutoff)}"
    return True, f'quarantined to "{qto}" ({lookup.source("spam_quarantine_to")})'


def _opt(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _spam_fields(
    level: float | None,
    do_tag2: bool,
    tag: float | None,
    tag2: float | None,
    wl: bool,
    bl: bool,
    server: Server,
    tests: tuple[tuple[str, str], ...] | None,
    autolearn: str,
) -> list[tuple[str, str]]:
    # X-Spam-Score: 0+level, at least 64 if blacklisted, then at most 0 if whitelisted.
    shown = level if level is not None else 0.0
    if bl:
        shown = max(shown, 64.0)
    if wl:
        shown = min(shown, 0.0)
    fields = [("X-Spam-Flag", "YES" if do_tag2 else "NO"), ("X-Spam-Score", amavis_score(shown))]
    char = server.sa_spam_level_char
    if char:
        # whitelisted (or bypassed) 0, blacklisted 64, undefined 0, capped at 64 (§3.3)
        bar: float = 0.0 if wl else 64.0 if bl else 0.0 if level is None else min(level, 64.0)
        fields.append(("X-Spam-Level", "" if bar < 1 else char * int(bar)))
    pieces = _status_pieces(do_tag2, level, tag, tag2, wl, bl, tests, autolearn)
    fields.append(("X-Spam-Status", fold_structured("X-Spam-Status", pieces)))
    return fields


def _subject(
    lookup: PolicyLookup,
    level: float | None,
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
    tag = _expand_tag(chosen, level, tag2, do_tag2)
    if subject is None:
        # Amavis.pm: no Subject field → one is inserted with the tag, trailing blanks trimmed.
        return tag.rstrip(" \t")
    current = subject
    if len(tag) >= 3:
        current = current.replace(tag, "")
    return tag + current
