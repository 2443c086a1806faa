"""Independent review table: what ``spamhdr deliver --json`` must say, read from the spec.

Every row was written from ``shared/spec/headers-and-delivery.md`` (§0, §3, §4.3-4.4, §5-8)
and ``shared/sieve/`` before the implementation was read; where the spec was silent the
row cites the program that settled it (amavis 2.13 ``Amavis.pm``, Pigeonhole
``sieve-test``). A row is: a policy document, a message, a recipient, arguments, and the
fields of that recipient's JSON entry that the spec fixes. Fields a row leaves out are not
checked.

The command runs in-process through ``spamhdr.cli.main`` exactly as a postmaster types it.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from spamhdr.cli import main

# --------------------------------------------------------------------------------------
# Messages

_HEAD = (
    "From: Alice <alice@sender.test>\n"
    "To: someone@example.com\n"
    "Message-ID: <review@sender.test>\n"
    "Date: Mon, 24 Nov 2025 10:00:00 +0000\n"
)

MESSAGES: dict[str, str] = {
    "plain": "Return-Path: <alice@sender.test>\n" + _HEAD + "Subject: Hello\n\nbody\n",
    # A sender-side rspamd said "add header": X-Spam survives amavis (§3.1, §9.8).
    "up_xspam": "Return-Path: <alice@sender.test>\n"
    + _HEAD
    + "Subject: Hello\nX-Spam: Yes\n\nbody\n",
    # An upstream SpamAssassin verdict: amavis deletes these for every recipient (§3.1).
    "up_flag": "Return-Path: <alice@sender.test>\n"
    + _HEAD
    + "Subject: Hello\nX-Spam-Flag: YES\nX-Spam-Level: *********\n"
    + "X-Spam-Status: Yes, score=9.0 required=5.0 tests=GTUBE autolearn=no\n"
    + "\nbody\n",
    # An upstream subject tag and nothing else (fixture d02).
    "up_subject": "Return-Path: <alice@sender.test>\n"
    + _HEAD
    + "Subject: ***SPAM*** cheap pills\n\nbody\n",
    # An earlier amavis report of a ham message: the score source (§3.2 real example).
    "bayes": "Return-Path: <alice@sender.test>\n"
    + _HEAD
    + "Subject: Hello\n"
    + "X-Spam-Status: No, score=2 tagged_above=1 required=4.5\n"
    + " tests=[BAYES_00=-1.9, URIBL_BLACK=3.9] autolearn=ham autolearn_force=no\n"
    + "\nbody\n",
    "no_subject": "Return-Path: <alice@sender.test>\n" + _HEAD + "\nbody\n",
    "tagged_amavis": "Return-Path: <alice@sender.test>\n"
    + _HEAD
    + "Subject: ***SPAM***Hello\n\nbody\n",
    "tagged_static": "Return-Path: <alice@sender.test>\n"
    + _HEAD
    + "Subject: ***SPAM*** Hello\n\nbody\n",
    # Envelope sender clean, From header blacklisted (§3.6: both are looked up).
    "from_evil": "Return-Path: <ok@clean.test>\n"
    "From: Bob <bob@evil.test>\nTo: someone@example.com\nSubject: Hello\n\nbody\n",
    "order": "Return-Path: <orders@partner.test>\n"
    "From: Orders <orders@partner.test>\nTo: info@example.com\n"
    "Subject: New order 4711\n\nbody\n",
    "bulk": "Return-Path: <alice@sender.test>\n"
    + _HEAD
    + "Subject: Hello\nPrecedence: bulk\n\nbody\n",
    "subject_mid": "Return-Path: <alice@sender.test>\n"
    + _HEAD
    + "Subject: Re: ***SPAM*** Hello\n\nbody\n",
    "listid": "Return-Path: <alice@sender.test>\n"
    + _HEAD
    + "Subject: Hello\nList-Id: <news.sender.test>\n\nbody\n",
    "sa_report": "Return-Path: <alice@sender.test>\n"
    + _HEAD
    + "Subject: Hello\n"
    + "X-Spam-Status: Yes, score=7.234 tagged_above=3 required=5 tests=[BAYES_99=3.5,\n"
    + " URIBL_BLACK=1.7] autolearn=no autolearn_force=no\n\nbody\n",
    "rspamd_report": "Return-Path: <alice@sender.test>\n"
    + _HEAD
    + "Subject: Hello\nX-Spam-Status: Yes, score=16.50\n\nbody\n",
}

# --------------------------------------------------------------------------------------
# Policy documents

_DEFAULTS = ['[server]\nmydomain = "example.net"\n']
for _n in range(1, 8):
    _DEFAULTS.append(
        f'[[spamfilter_users]]\nid = {_n}\nemail = "@p{_n}.test"\npriority = 5\n'
        f'policy_id = {_n}\nlocal = "Y"\n'
    )

DOCS: dict[str, str] = {
    # One domain per built-in policy (§5.1), the domain row ISPConfig writes (§5.2).
    "defaults": "\n".join(_DEFAULTS),
    "defaults_bounce": "\n".join(_DEFAULTS).replace(
        'mydomain = "example.net"\n', 'mydomain = "example.net"\nfinal_spam_destiny = "D_BOUNCE"\n'
    ),
    "defaults_reject": "\n".join(_DEFAULTS).replace(
        'mydomain = "example.net"\n', 'mydomain = "example.net"\nfinal_spam_destiny = "D_REJECT"\n'
    ),
    "defaults_pass": "\n".join(_DEFAULTS).replace(
        'mydomain = "example.net"\n', 'mydomain = "example.net"\nfinal_spam_destiny = "D_PASS"\n'
    ),
    # Lookup (§3.6, §5.3).
    "lookup": """
[server]
mydomain = "example.net"

[[spamfilter_policy]]
id = 9
policy_name = "Only tag2"
spam_tag2_level = 8

[[spamfilter_users]]
id = 1
email = "@x.test"
priority = 5
policy_id = 5
local = "Y"

[[spamfilter_users]]
id = 2
email = "a@x.test"
priority = 7
policy_id = 9
local = "Y"

[[spamfilter_users]]
id = 3
email = "b@x.test"
priority = 7
policy_id = 0
local = "Y"

[[spamfilter_users]]
id = 4
email = "@pri.test"
priority = 9
policy_id = 6
local = "Y"

[[spamfilter_users]]
id = 5
email = "u@pri.test"
priority = 7
policy_id = 7
local = "Y"

[[spamfilter_users]]
id = 6
email = "u+news@x.test"
priority = 8
policy_id = 6
local = "Y"

[[spamfilter_users]]
id = 7
email = "postmaster"
priority = 7
policy_id = 2
local = "Y"

[[spamfilter_users]]
id = 8
email = "@other.test"
priority = 5
policy_id = 5
local = "Y"

[[spamfilter_users]]
id = 9
email = "@nl.test"
priority = 5
policy_id = 5
local = "N"

[[spamfilter_users]]
id = 10
email = "@.sub.test"
priority = 5
policy_id = 7
local = "Y"

[[spamfilter_users]]
id = 11
email = "c@y.test"
priority = 7
policy_id = 0
local = "Y"

[[spamfilter_users]]
id = 13
email = "@xn--bcher-kva.test"
priority = 5
policy_id = 6
local = "Y"

# local left out = SQL NULL: falls through to @nl.test's 'N' (§3.6 B1 field).
[[spamfilter_users]]
id = 12
email = "d@nl.test"
priority = 7
policy_id = 6
""",
    # White/blacklists (§3.5, §3.6).
    "wb": """
[server]
mydomain = "example.net"

[[spamfilter_users]]
id = 1
email = "@w.test"
priority = 5
policy_id = 5
local = "Y"

[[spamfilter_users]]
id = 2
email = "wl@w.test"
priority = 7
policy_id = 5
local = "Y"

[[spamfilter_users]]
id = 3
email = "bl@w.test"
priority = 7
policy_id = 5
local = "Y"

[[spamfilter_users]]
id = 4
email = "soft@w.test"
priority = 7
policy_id = 5
local = "Y"

[[spamfilter_users]]
id = 5
email = "lover@w.test"
priority = 7
policy_id = 2
local = "Y"

[[spamfilter_users]]
id = 6
email = "neutral@w.test"
priority = 7
policy_id = 5
local = "Y"

[[spamfilter_users]]
id = 7
email = "order@w.test"
priority = 7
policy_id = 5
local = "Y"

[[spamfilter_users]]
id = 8
email = "inh@w.test"
priority = 7
policy_id = 0
local = "Y"

[[spamfilter_users]]
id = 9
email = "minus@w.test"
priority = 7
policy_id = 5
local = "Y"

[[spamfilter_wblist]]
wblist_id = 1
rid = 1
email = "@evil.test"
wb = "B"

[[spamfilter_wblist]]
wblist_id = 2
rid = 2
email = "alice@sender.test"
wb = "W"

[[spamfilter_wblist]]
wblist_id = 3
rid = 2
email = "@evil.test"
wb = "W"
active = "n"

[[spamfilter_wblist]]
wblist_id = 4
rid = 3
email = "@sender.test"
wb = "B"

[[spamfilter_wblist]]
wblist_id = 5
rid = 4
email = "alice@sender.test"
wb = "5"

[[spamfilter_wblist]]
wblist_id = 6
rid = 5
email = "@sender.test"
wb = "B"

[[spamfilter_wblist]]
wblist_id = 7
rid = 6
email = "@evil.test"
wb = " "

[[spamfilter_wblist]]
wblist_id = 8
rid = 7
email = "@sender.test"
wb = "W"
priority = 5

[[spamfilter_wblist]]
wblist_id = 9
rid = 7
email = "alice@sender.test"
wb = "B"
priority = 9

[[spamfilter_wblist]]
wblist_id = 10
rid = 8
email = "alice@sender.test"
wb = "B"

[[spamfilter_wblist]]
wblist_id = 11
rid = 9
email = "alice@sender.test"
wb = "-3"
""",
    # Subject tags (§3.5) and odd levels (§3.2).
    "subj": """
[server]
mydomain = "example.net"

[[spamfilter_policy]]
id = 11
policy_name = "tag1 only"
spam_tag_level = 1
spam_tag2_level = 4
spam_kill_level = 50
spam_subject_tag = "[maybe] "

[[spamfilter_policy]]
id = 12
policy_name = "tag1, empty tag2"
spam_tag_level = 1
spam_tag2_level = 4
spam_kill_level = 50
spam_subject_tag = "[maybe] "
spam_subject_tag2 = ""

[[spamfilter_policy]]
id = 13
policy_name = "tag above tag2"
spam_tag_level = 5
spam_tag2_level = 3
spam_kill_level = 50

[[spamfilter_policy]]
id = 14
policy_name = "score in the tag"
spam_tag_level = 1
spam_tag2_level = 4
spam_kill_level = 50
spam_subject_tag2 = "[_SCORE_/_REQD_] "

[[spamfilter_policy]]
id = 15
policy_name = "tag everything"
spam_tag_level = -999
spam_tag2_level = 6.31
spam_kill_level = 50

[[spamfilter_users]]
id = 1
email = "@s11.test"
priority = 5
policy_id = 11
local = "Y"

[[spamfilter_users]]
id = 2
email = "@s12.test"
priority = 5
policy_id = 12
local = "Y"

[[spamfilter_users]]
id = 3
email = "@s13.test"
priority = 5
policy_id = 13
local = "Y"

[[spamfilter_users]]
id = 4
email = "@s14.test"
priority = 5
policy_id = 14
local = "Y"

[[spamfilter_users]]
id = 5
email = "@s15.test"
priority = 5
policy_id = 15
local = "Y"

[[spamfilter_users]]
id = 6
email = "@p5.test"
priority = 5
policy_id = 5
local = "Y"

[[spamfilter_users]]
id = 7
email = "@p7.test"
priority = 5
policy_id = 7
local = "Y"
""",
    # Sieve stage: move_junk and personal scripts (§5.4).
    "sieve": """
[server]
mydomain = "example.net"

[[spamfilter_users]]
id = 1
email = "@s.test"
priority = 5
policy_id = 5
local = "Y"

[[mail_user]]
mailuser_id = 1
email = "y@s.test"
move_junk = "y"

[[mail_user]]
mailuser_id = 2
email = "yw@s.test"
move_junk = "y"
custom_mailfilter = 'if header :contains "subject" "Hello" { fileinto "Work"; }'

[[mail_user]]
mailuser_id = 3
email = "a@s.test"
move_junk = "a"
custom_mailfilter = 'if header :contains "subject" "Hello" { fileinto "Work"; }'

[[mail_user]]
mailuser_id = 4
email = "ak@s.test"
move_junk = "a"
custom_mailfilter = 'if header :contains "subject" "Hello" { keep; stop; }'

[[mail_user]]
mailuser_id = 5
email = "n@s.test"
move_junk = "n"

[[mail_user]]
mailuser_id = 6
email = "nw@s.test"
move_junk = "n"
custom_mailfilter = 'if header :contains "subject" "Hello" { fileinto "Work"; }'
""",
    # rspamd (§4.3, §4.4, §7).
    "rspamd": """
[server]
backend = "rspamd"
mydomain = "example.net"

[[spamfilter_policy]]
id = 20
policy_name = "add header at 5"
spam_tag_level = 3
spam_tag2_level = 5
spam_kill_level = 9
rspamd_spam_tag_level = 5
rspamd_spam_tag_method = "add_header"
rspamd_spam_kill_level = 9

[[spamfilter_users]]
id = 1
email = "@r5.test"
priority = 5
policy_id = 5
local = "Y"

[[spamfilter_users]]
id = 2
email = "v@r5.test"
priority = 7
policy_id = 6
local = "Y"

[[spamfilter_users]]
id = 3
email = "@r3.test"
priority = 5
policy_id = 3
local = "Y"

[[spamfilter_users]]
id = 4
email = "@ah.test"
priority = 5
policy_id = 20
local = "Y"
""",
    # An external forward next to a local mailbox (§5.3).
    "fwd": """
[server]
mydomain = "example.net"

[[spamfilter_users]]
id = 1
email = "@f.test"
priority = 5
policy_id = 5
local = "Y"

[[mail_user]]
mailuser_id = 1
email = "box@f.test"

[[mail_forwarding]]
forwarding_id = 1
source = "fwd@f.test"
destination = "someone@elsewhere.test, box@f.test"
type = "forward"
""",
    # An alias loop next to a diamond (two aliases reaching one mailbox).
    "loop": """
[[mail_user]]
mailuser_id = 1
email = "c@b.test"

[[mail_forwarding]]
forwarding_id = 1
source = "a@b.test"
destination = "b@b.test, c@b.test"

[[mail_forwarding]]
forwarding_id = 2
source = "b@b.test"
destination = "a@b.test"

[[mail_forwarding]]
forwarding_id = 3
source = "d@b.test"
destination = "c@b.test, e@b.test"

[[mail_forwarding]]
forwarding_id = 4
source = "e@b.test"
destination = "c@b.test"
""",
    # rspamd greylisting switched on for one mailbox (§4.4: greylist only when on).
    "rspamd_grey": """
[server]
backend = "rspamd"
mydomain = "example.net"

[[spamfilter_users]]
id = 1
email = "@r5.test"
priority = 5
policy_id = 5
local = "Y"

[[mail_user]]
mailuser_id = 1
email = "g@r5.test"
greylisting = "y"

[[mail_user]]
mailuser_id = 2
email = "u@r5.test"
""",
}

HOSTING = Path(__file__).resolve().parents[3] / "examples" / "policies" / "hosting.toml"

SPAM_HEADERS = ("X-Spam-Flag", "X-Spam-Score", "X-Spam-Level", "X-Spam-Status")
STATIC_STATUS = "tagged_above=20 required=60"


# --------------------------------------------------------------------------------------
# Expectation helpers (each names the spec row it encodes)


def untagged(**kw: Any) -> dict[str, Any]:
    """Below tag level, or not local: no X-Spam-* header, subject kept, INBOX (§3.1, §6)."""
    base: dict[str, Any] = dict(
        category="clean",
        tagged=False,
        destiny="pass",
        subject="Hello",
        folder="INBOX",
        pop3=True,
        absent=SPAM_HEADERS,
    )
    base.update(kw)
    return base


def tagged_no(status: str, score: str, level: str, **kw: Any) -> dict[str, Any]:
    """tag <= s < tag2, local: Flag NO, Score, Level, Status "No, ..." (§3.1-3.3)."""
    base: dict[str, Any] = dict(
        category="clean",
        tagged=True,
        destiny="pass",
        subject="Hello",
        folder="INBOX",
        pop3=True,
        status="No, " + status,
        headers={"X-Spam-Flag": "NO", "X-Spam-Score": score, "X-Spam-Level": level},
    )
    base.update(kw)
    return base


def tagged_yes(status: str, score: str, level: str, subject: str, **kw: Any) -> dict[str, Any]:
    """s >= tag2, local: Flag YES, subject tag, Junk under move_junk = y (§3.5, §6)."""
    base: dict[str, Any] = dict(
        category="spammy",
        tagged=True,
        destiny="pass",
        subject=subject,
        folder="Junk",
        pop3=False,
        status="Yes, " + status,
        headers={"X-Spam-Flag": "YES", "X-Spam-Score": score, "X-Spam-Level": level},
    )
    base.update(kw)
    return base


def killed(quarantined: bool, destiny: str = "discard", **kw: Any) -> dict[str, Any]:
    """s >= kill, not a lover: final_spam_destiny, never delivered (§3.5, §6 step 5)."""
    base: dict[str, Any] = dict(
        category="spam", destiny=destiny, quarantined=quarantined, delivered=False
    )
    base.update(kw)
    return base


def stars(n: int) -> str:
    return "*" * n


@dataclass(frozen=True)
class Case:
    id: str
    doc: str
    rcpt: str
    score: str | None
    expect: dict[str, Any]
    args: tuple[str, ...] = ()
    message: str = "plain"
    extra_rcpts: tuple[str, ...] = ()
    why: str = ""
    marks: tuple[Any, ...] = field(default=())


def _param(case: Case) -> Any:
    return pytest.param(case, id=case.id, marks=case.marks)


# --------------------------------------------------------------------------------------
# The table

CASES: list[Case] = [
    # ---- §5.1 / §6: every default policy around its levels (amavis, ISPConfig 3.2.11) ----
    # Normal: tag 1, tag2 4.5, kill 50, dsn 0, qto '', subj2 '***SPAM***' (no space).
    Case("normal-0.99", "defaults", "u@p5.test", "0.99", untagged()),
    Case(
        "normal-1",
        "defaults",
        "u@p5.test",
        "1",
        tagged_no("score=1 tagged_above=1 required=4.5 tests=[", "1", "*"),
    ),
    Case(
        "normal-4.49",
        "defaults",
        "u@p5.test",
        "4.49",
        tagged_no("score=4.49 tagged_above=1 required=4.5 tests=[", "4.49", "****"),
    ),
    Case(
        "normal-4.5",
        "defaults",
        "u@p5.test",
        "4.5",
        tagged_yes(
            "score=4.5 tagged_above=1 required=4.5 tests=[", "4.5", "****", "***SPAM***Hello"
        ),
    ),
    Case(
        "normal-49.99",
        "defaults",
        "u@p5.test",
        "49.99",
        tagged_yes(
            "score=49.99 tagged_above=1 required=4.5 tests=[",
            "49.99",
            stars(49),
            "***SPAM***Hello",
        ),
    ),
    Case("normal-50", "defaults", "u@p5.test", "50", killed(False)),
    Case("normal-100", "defaults", "u@p5.test", "100", killed(False)),
    # Non-paying: spam (and virus) checks bypassed -> never tagged, never killed, and no
    # X-Virus-Scanned either (§3.1 item 3, §5.1).
    Case(
        "nonpaying-0",
        "defaults",
        "u@p1.test",
        "0",
        untagged(absent=(*SPAM_HEADERS, "X-Virus-Scanned")),
    ),
    Case(
        "nonpaying-7",
        "defaults",
        "u@p1.test",
        "7",
        untagged(absent=(*SPAM_HEADERS, "X-Virus-Scanned")),
    ),
    Case(
        "nonpaying-1000",
        "defaults",
        "u@p1.test",
        "1000",
        untagged(absent=(*SPAM_HEADERS, "X-Virus-Scanned")),
    ),
    # Uncensored / Wants all spam: tag 3, tag2 = kill = 999, spam lover, NULL subject tag
    # -> static '***SPAM*** ', NULL qto -> static spam-quarantine (§3.4, §3.5, §5.1).
    Case("uncensored-2.99", "defaults", "u@p2.test", "2.99", untagged()),
    Case(
        "uncensored-3",
        "defaults",
        "u@p2.test",
        "3",
        tagged_no("score=3 tagged_above=3 required=999 tests=[", "3", "***"),
    ),
    Case(
        "uncensored-998.99",
        "defaults",
        "u@p2.test",
        "998.99",
        tagged_no("score=998.99 tagged_above=3 required=999 tests=[", "998.99", stars(64)),
        why="X-Spam-Level caps at 64 stars (§3.3)",
    ),
    Case(
        "uncensored-999",
        "defaults",
        "u@p2.test",
        "999",
        tagged_yes(
            "score=999 tagged_above=3 required=999 tests=[",
            "999",
            stars(64),
            "***SPAM*** Hello",
            category="spam",
            quarantined=True,
        ),
        why="killed but spam lover: passed with headers, quarantined (qto NULL -> static)",
    ),
    Case(
        "wantsall-999",
        "defaults",
        "u@p3.test",
        "999",
        tagged_yes(
            "score=999 tagged_above=3 required=999 tests=[",
            "999",
            stars(64),
            "***SPAM*** Hello",
            category="spam",
        ),
    ),
    Case(
        "wantsall-500",
        "defaults",
        "u@p3.test",
        "500",
        tagged_no("score=500 tagged_above=3 required=999 tests=[", "500", stars(64)),
    ),
    # Wants viruses: tag 3, tag2 = kill = 6.9, not a spam lover -> never in Junk.
    Case(
        "wantsvir-6.89",
        "defaults",
        "u@p4.test",
        "6.89",
        tagged_no("score=6.89 tagged_above=3 required=6.9 tests=[", "6.89", "******"),
    ),
    Case("wantsvir-6.9", "defaults", "u@p4.test", "6.9", killed(True)),
    # Trigger happy: tag 3, tag2 = kill = 5.
    Case("trigger-2.99", "defaults", "u@p6.test", "2.99", untagged()),
    Case(
        "trigger-4.99",
        "defaults",
        "u@p6.test",
        "4.99",
        tagged_no("score=4.99 tagged_above=3 required=5 tests=[", "4.99", "****"),
    ),
    Case("trigger-5", "defaults", "u@p6.test", "5", killed(True)),
    # Permissive: tag 3, tag2 10, kill 20, NULL subject tag -> static '***SPAM*** '.
    Case(
        "permissive-9.99",
        "defaults",
        "u@p7.test",
        "9.99",
        tagged_no("score=9.99 tagged_above=3 required=10 tests=[", "9.99", stars(9)),
    ),
    Case(
        "permissive-10",
        "defaults",
        "u@p7.test",
        "10",
        tagged_yes(
            "score=10 tagged_above=3 required=10 tests=[", "10", stars(10), "***SPAM*** Hello"
        ),
    ),
    Case(
        "permissive-19.99",
        "defaults",
        "u@p7.test",
        "19.99",
        tagged_yes(
            "score=19.99 tagged_above=3 required=10 tests=[",
            "19.99",
            stars(19),
            "***SPAM*** Hello",
        ),
    ),
    Case("permissive-20", "defaults", "u@p7.test", "20", killed(True)),
    # No row ("- not enabled -", alias domains): static 20/60/60, not local -> no X-Spam-*
    # at all, X-Virus-Scanned still added; >= 60 discarded (§0, §5.1 last row, §5.3).
    Case(
        "norow-25",
        "defaults",
        "u@norow.test",
        "25",
        untagged(
            local=False, policy=None, headers={"X-Virus-Scanned": "Debian amavis at example.net"}
        ),
    ),
    Case("norow-59.99", "defaults", "u@norow.test", "59.99", untagged(local=False)),
    Case("norow-60", "defaults", "u@norow.test", "60", killed(True, local=False)),
    # No row but the domain is local per Debian's @local_domains_acl = (".$mydomain").
    Case("mydomain-19.99", "defaults", "u@example.net", "19.99", untagged(local=True)),
    Case(
        "mydomain-20",
        "defaults",
        "u@mail.example.net",
        "20",
        tagged_no(f"score=20 {STATIC_STATUS} tests=[", "20", stars(20), local=True),
    ),
    Case("mydomain-60", "defaults", "u@example.net", "60", killed(True, local=True)),
    # ---- destinies and DSN (§3.5) ----
    Case(
        "bounce-trigger-5",
        "defaults_bounce",
        "u@p6.test",
        "5",
        killed(True, destiny="bounce", dsn_sent=True),
    ),
    Case(
        "bounce-trigger-99.99",
        "defaults_bounce",
        "u@p6.test",
        "99.99",
        killed(True, destiny="bounce", dsn_sent=True),
    ),
    Case(
        "bounce-trigger-100-cutoff",
        "defaults_bounce",
        "u@p6.test",
        "100",
        killed(True, destiny="bounce", dsn_sent=False),
        why="s >= static sa_dsn_cutoff_level 100 suppresses the DSN",
    ),
    Case(
        "bounce-normal-dsn0",
        "defaults_bounce",
        "u@p5.test",
        "50",
        killed(False, destiny="bounce", dsn_sent=False),
        why="Normal's spam_dsn_cutoff_level 0: every spam score is at/above it",
    ),
    Case(
        "bounce-null-sender",
        "defaults_bounce",
        "u@p6.test",
        "5",
        killed(True, destiny="bounce", dsn_sent=False),
        args=("--sender", ""),
    ),
    Case(
        "bounce-bulk",
        "defaults_bounce",
        "u@p6.test",
        "5",
        killed(True, destiny="bounce", dsn_sent=False),
        message="bulk",
    ),
    Case("reject-trigger-5", "defaults_reject", "u@p6.test", "5", killed(True, destiny="reject")),
    Case(
        "pass-trigger-5",
        "defaults_pass",
        "u@p6.test",
        "5",
        tagged_yes(
            "score=5 tagged_above=3 required=5 tests=[",
            "5",
            "*****",
            "***SPAM*** Hello",
            category="spam",
            quarantined=True,
        ),
        why="D_PASS delivers killed mail; quarantine is independent of the destiny",
    ),
    Case(
        "pass-normal-60",
        "defaults_pass",
        "u@p5.test",
        "60",
        tagged_yes(
            "score=60 tagged_above=1 required=4.5 tests=[",
            "60",
            stars(60),
            "***SPAM***Hello",
            category="spam",
            quarantined=False,
        ),
    ),
    # ---- lookup (§3.6, §3.7, §5.3) ----
    Case(
        "nullfall-4.5",
        "lookup",
        "a@x.test",
        "4.5",
        tagged_no(
            "score=4.5 tagged_above=1 required=8 tests=[",
            "4.5",
            "****",
            policy={"id": 9, "matched_key": "a@x.test", "priority": 7},
        ),
        why="policy 9 sets only tag2; tag falls through to @x.test (Normal)",
    ),
    Case(
        "nullfall-8",
        "lookup",
        "a@x.test",
        "8",
        tagged_yes("score=8 tagged_above=1 required=8 tests=[", "8", stars(8), "***SPAM***Hello"),
        why="subject tag2 falls through to Normal's '***SPAM***'",
    ),
    Case("nullfall-50", "lookup", "a@x.test", "50", killed(False)),
    Case(
        "inherit-3.2.11",
        "lookup",
        "b@x.test",
        "4.5",
        tagged_yes(
            "score=4.5 tagged_above=1 required=4.5 tests=[",
            "4.5",
            "****",
            "***SPAM***Hello",
            policy={"id": 5, "matched_key": "@x.test", "priority": 5},
        ),
        why="policy_id 0 rows are excluded since 3.2.6",
    ),
    Case(
        "inherit-3.2.5",
        "lookup",
        "b@x.test",
        "4.5",
        tagged_yes(
            "score=4.5 tagged_above=1 required=4.5 tests=[",
            "4.5",
            "****",
            "***SPAM***Hello",
            policy={"id": 5, "matched_key": "@x.test", "priority": 5},
        ),
        args=("--ispconfig-version", "3.2.5"),
        why="before 3.2.6 the policy-0 row matches with NULL levels; the reported policy is "
        "the first row that has one (the b@x.test row shows in the reasons)",
    ),
    Case(
        "inherit-norow-3.2.11",
        "lookup",
        "c@y.test",
        "20",
        untagged(local=False, policy=None),
        why="excluded row, no domain row: static levels, local from local_domains_maps",
    ),
    Case(
        "inherit-norow-3.2.5",
        "lookup",
        "c@y.test",
        "20",
        tagged_no(f"score=20 {STATIC_STATUS} tests=[", "20", stars(20), local=True),
        args=("--ispconfig-version", "3.2.5"),
        why="the policy-0 row still gives local = Y; levels static",
    ),
    Case(
        "inherit-norow-3.1.14",
        "lookup",
        "c@y.test",
        "20",
        tagged_no(f"score=20 {STATIC_STATUS} tests=[", "20", stars(20), local=True),
        args=("--ispconfig-version", "3.1.14"),
    ),
    Case(
        "domain-prio-9-beats-address-7",
        "lookup",
        "u@pri.test",
        "5",
        killed(True, policy={"id": 6, "matched_key": "@pri.test", "priority": 9}),
    ),
    Case(
        "ext-row",
        "lookup",
        "u+news@x.test",
        "5",
        killed(False, policy={"id": 6, "matched_key": "u+news@x.test"}),
        why="Trigger happy's NULL spam_quarantine_to falls through to @x.test's ''",
    ),
    Case(
        "ext-row-case",
        "lookup",
        "U+News@X.TEST",
        "5",
        killed(False, policy={"id": 6, "matched_key": "u+news@x.test"}),
        why="keys are lower-cased (and MySQL compares case-insensitively)",
    ),
    Case(
        "ext-other-falls-to-domain",
        "lookup",
        "u+other@x.test",
        "5",
        dict(category="spammy", destiny="pass", policy={"id": 5, "matched_key": "@x.test"}),
    ),
    Case(
        "bare-localpart-local-domain",
        "lookup",
        "postmaster@example.net",
        "999",
        dict(
            category="spam",
            destiny="pass",
            folder="Junk",
            policy={"id": 2, "matched_key": "postmaster"},
        ),
    ),
    Case(
        "bare-localpart-not-for-sql-local",
        "lookup",
        "postmaster@other.test",
        "999",
        killed(False, policy={"id": 5, "matched_key": "@other.test"}),
        why="bare local-part keys need the static local_domains_maps, not the SQL flag",
    ),
    Case(
        "local-N",
        "lookup",
        "user@nl.test",
        "4.5",
        untagged(category="spammy", local=False, policy={"id": 5, "matched_key": "@nl.test"}),
        why="levels apply but no headers/subject for a non-local recipient",
    ),
    Case("local-N-50", "lookup", "user@nl.test", "50", killed(False, local=False)),
    Case(
        "local-NULL-falls-through",
        "lookup",
        "d@nl.test",
        "4",
        untagged(local=False, policy={"id": 6, "matched_key": "d@nl.test"}),
        why="NULL local falls through to @nl.test's N; 4 >= tag 3 but not local",
    ),
    Case(
        "idn-domain",
        "lookup",
        "info@Bücher.test",
        "5",
        killed(True, policy={"id": 6, "matched_key": "@xn--bcher-kva.test"}),
        why="§3.6: the domain is IDN-encoded (ToASCII) for the keys, as ISPConfig stores it",
    ),
    Case(
        "subdomain-row",
        "lookup",
        "u@deep.sub.test",
        "10",
        tagged_yes(
            "score=10 tagged_above=3 required=10 tests=[",
            "10",
            stars(10),
            "***SPAM*** Hello",
            policy={"id": 7, "matched_key": "@.sub.test"},
        ),
    ),
    Case(
        "subdomain-row-matches-parent",
        "lookup",
        "u@sub.test",
        "10",
        dict(folder="Junk", policy={"id": 7, "matched_key": "@.sub.test"}),
    ),
    # ---- white/blacklists (§3.5, §3.6) ----
    # amavis skips SpamAssassin when every recipient white- or blacklists the sender
    # (Amavis.pm: "sender white/blacklisted, skipping spam_scan"): the level is undefined,
    # "score=x"; whitelisted recipients are then never tagged (undef - 10 < tag).
    Case(
        "whitelist-alone-60",
        "wb",
        "wl@w.test",
        "60",
        untagged(),
        why="single whitelisted recipient: no scan, no X-Spam-* headers",
    ),
    Case(
        "whitelist-60",
        "wb",
        "wl@w.test",
        "60",
        tagged_no(
            "score=60 tagged_above=1 required=4.5 WHITELISTED tests=[]", "0", "", category="clean"
        ),
        extra_rcpts=("other@w.test",),
        why="whitelisted: tag uses s-10, never tag2/kill; Score <= 0, no stars",
    ),
    Case(
        "whitelist-10.5",
        "wb",
        "wl@w.test",
        "10.5",
        untagged(),
        extra_rcpts=("other@w.test",),
    ),
    Case("blacklist-0", "wb", "bl@w.test", "0", killed(False)),
    Case(
        "blacklist-lover",
        "wb",
        "lover@w.test",
        "1.2",
        tagged_yes(
            "score=1.2 tagged_above=3 required=999 BLACKLISTED tests=[]",
            "64",
            stars(64),
            "***SPAM***Hello",
            category="spam",
        ),
        extra_rcpts=("other@w.test",),
        why="§3.2 example: Yes although 1.2 < required; Score raised to 64; the NULL subject "
        "tag of Uncensored falls through to the @w.test row's Normal '***SPAM***'",
    ),
    Case(
        "blacklist-lover-alone",
        "wb",
        "lover@w.test",
        "1.2",
        tagged_yes(
            "score=x tagged_above=3 required=999 BLACKLISTED tests=[]",
            "64",
            stars(64),
            "***SPAM***Hello",
            category="spam",
        ),
        why="single blacklisted recipient: SpamAssassin is not run, the level is undefined",
    ),
    Case(
        "soft-plus5",
        "wb",
        "soft@w.test",
        "0",
        tagged_yes(
            "score=5 tagged_above=1 required=4.5 tests=[AM.WBL=5]", "5", "*****", "***SPAM***Hello"
        ),
        why="soft score: added to the level and listed as AM.WBL (SpamControl.pm)",
    ),
    Case(
        "soft-minus3",
        "wb",
        "minus@w.test",
        "6.2",
        tagged_no("score=3.2 tagged_above=1 required=4.5 tests=[AM.WBL=-3]", "3.2", "***"),
    ),
    Case(
        "neutral-stops",
        "wb",
        "neutral@w.test",
        "0",
        untagged(),
        args=("--sender", "bob@evil.test"),
        why="' ' is a neutral hit on the mailbox row: the domain row's B is not reached",
    ),
    Case(
        "domain-row-blacklist",
        "wb",
        "other@w.test",
        "0",
        killed(False),
        args=("--sender", "bob@evil.test"),
    ),
    Case(
        "inactive-entry-skipped",
        "wb",
        "wl@w.test",
        "0",
        killed(False),
        args=("--sender", "bob@evil.test"),
        message="from_evil",
        why="active = 'n' W is ignored, the domain row's B applies",
    ),
    Case(
        "white-and-black",
        "wb",
        "wl@w.test",
        "0",
        tagged_no("score=x tagged_above=1 required=4.5 BLACKLISTED WHITELISTED tests=[]", "0", ""),
        args=("--sender", "bob@evil.test"),
        why="SpamControl.pm: the envelope sender hits the domain row's B, then the From "
        "address alice@ is looked up in the first row and hits W: both flags; whitelisting "
        "wins for tag2/kill, blacklisting forces tag; listed for all → no scan, score=x",
    ),
    Case(
        "wblist-priority-order",
        "wb",
        "order@w.test",
        "0",
        killed(False),
        why="wblist rows ordered by priority DESC: B (9) before W (5)",
    ),
    Case(
        "from-header-lookup",
        "wb",
        "other@w.test",
        "0",
        killed(False),
        message="from_evil",
        why="each From-header address is looked up besides the envelope sender",
    ),
    Case("inherit-wblist-3.2.11", "wb", "inh@w.test", "0", untagged()),
    Case(
        "inherit-wblist-3.2.5",
        "wb",
        "inh@w.test",
        "0",
        killed(False),
        args=("--ispconfig-version", "3.2.5"),
        why="the policy-0 row's id still selects its wblist before 3.2.6",
    ),
    # ---- subject tags and formats (§3.2, §3.3, §3.5) ----
    Case(
        "subj-tag1",
        "subj",
        "u@s11.test",
        "2",
        tagged_no("score=2 tagged_above=1 required=4 tests=[", "2", "**", subject="[maybe] Hello"),
    ),
    Case(
        "subj-tag2-null-static",
        "subj",
        "u@s11.test",
        "4",
        tagged_yes("score=4 tagged_above=1 required=4 tests=[", "4", "****", "***SPAM*** Hello"),
    ),
    Case(
        "subj-tag2-empty-uses-tag1",
        "subj",
        "u@s12.test",
        "4",
        tagged_yes("score=4 tagged_above=1 required=4 tests=[", "4", "****", "[maybe] Hello"),
    ),
    Case(
        "subj-tag-above-tag2",
        "subj",
        "u@s13.test",
        "4",
        dict(
            category="spammy",
            tagged=True,
            absent=SPAM_HEADERS,
            subject="***SPAM*** Hello",
            folder="INBOX",
        ),
        why="§3.5 edge: tag > tag2 gives the tag2 subject without any X-Spam-* header",
    ),
    Case(
        "subj-tag-above-tag2-3.2.0",
        "subj",
        "u@s13.test",
        "4",
        dict(subject="***SPAM*** Hello", folder="Junk"),
        args=("--ispconfig-version", "3.2.0"),
    ),
    Case(
        "subj-normal-existing",
        "subj",
        "u@p5.test",
        "5",
        dict(subject="***SPAM***Hello"),
        message="tagged_amavis",
    ),
    Case(
        "subj-static-existing",
        "subj",
        "u@p7.test",
        "10",
        dict(subject="***SPAM*** Hello"),
        message="tagged_static",
    ),
    Case(
        "levels-negative-tag",
        "subj",
        "u@s15.test",
        "0.5",
        tagged_no("score=0.5 tagged_above=-999 required=6.31 tests=[", "0.5", ""),
    ),
    Case(
        "score-3-decimals",
        "subj",
        "u@s15.test",
        "-2.0994",
        tagged_no("score=-2.099 tagged_above=-999 required=6.31 tests=[", "-2.099", ""),
    ),
    Case(
        "score-trailing-zeros",
        "subj",
        "u@s15.test",
        "1.10",
        tagged_no("score=1.1 tagged_above=-999 required=6.31 tests=[", "1.1", "*"),
    ),
    # ---- upstream headers and amavis' removal (§3.1, §9.8) ----
    Case(
        "upstream-xspam-survives",
        "defaults",
        "u@p5.test",
        "0",
        dict(tagged=False, folder="Junk", pop3=False),
        message="up_xspam",
    ),
    Case(
        "upstream-xspam-nonlocal",
        "defaults",
        "u@norow.test",
        "0",
        dict(tagged=False, folder="Junk"),
        message="up_xspam",
    ),
    Case(
        "upstream-xspam-3.1",
        "defaults",
        "u@p5.test",
        "0",
        dict(folder="INBOX"),
        message="up_xspam",
        args=("--ispconfig-version", "3.1.14"),
    ),
    Case(
        "upstream-flag-removed",
        "defaults",
        "u@p5.test",
        "0",
        dict(folder="INBOX"),
        message="up_flag",
    ),
    Case(
        "upstream-flag-removed-bypass",
        "defaults",
        "u@p1.test",
        "0",
        dict(folder="INBOX"),
        message="up_flag",
        why="removal happens for every recipient, bypassed ones too",
    ),
    Case(
        "upstream-flag-removed-3.1",
        "defaults",
        "u@p5.test",
        "0",
        dict(folder="INBOX"),
        message="up_flag",
        args=("--ispconfig-version", "3.1.14"),
    ),
    # ---- Sieve Junk rule per version (§5.4, §8) ----
    Case(
        "rule-3.1.14-subject",
        "sieve",
        "y@s.test",
        "0",
        dict(folder="INBOX"),
        message="up_subject",
        args=("--ispconfig-version", "3.1.14"),
    ),
    Case(
        "rule-3.1.15-subject",
        "sieve",
        "y@s.test",
        "0",
        dict(folder="Junk"),
        message="up_subject",
        args=("--ispconfig-version", "3.1.15"),
        why="3.1.15 already ships the 3.2.0-3.2.2 rule",
    ),
    Case(
        "rule-3.2.2-subject",
        "sieve",
        "y@s.test",
        "0",
        dict(folder="Junk"),
        message="up_subject",
        args=("--ispconfig-version", "3.2.2"),
    ),
    Case(
        "rule-3.2.3-subject",
        "sieve",
        "y@s.test",
        "0",
        dict(folder="INBOX"),
        message="up_subject",
        args=("--ispconfig-version", "3.2.3"),
    ),
    Case(
        "rule-3.2.11-subject",
        "sieve",
        "y@s.test",
        "0",
        dict(folder="INBOX"),
        message="up_subject",
    ),
    Case(
        "rule-3.2.0-xspam",
        "sieve",
        "y@s.test",
        "0",
        dict(folder="Junk"),
        message="up_xspam",
        args=("--ispconfig-version", "3.2.0"),
    ),
    Case(
        "rule-3.2.4-bayes",
        "sieve",
        "y@s.test",
        None,
        dict(score=2, tagged=True, status="No, score=2 tagged_above=1 required=4.5", folder="Junk"),
        message="bayes",
        args=("--ispconfig-version", "3.2.4"),
        why="3.2.3-3.2.4 :contains 'Yes' hits BAYES_00 in amavis' own ham Status",
    ),
    Case(
        "rule-3.2.5-bayes",
        "sieve",
        "y@s.test",
        None,
        dict(score=2, tagged=True, folder="INBOX"),
        message="bayes",
        args=("--ispconfig-version", "3.2.5"),
    ),
    Case(
        "rule-3.2.2-bayes",
        "sieve",
        "y@s.test",
        None,
        dict(folder="INBOX"),
        message="bayes",
        args=("--ispconfig-version", "3.2.2"),
    ),
    Case(
        "rule-3.1-flag",
        "sieve",
        "y@s.test",
        "5",
        dict(folder="Junk"),
        args=("--ispconfig-version", "3.1.14"),
    ),
    # ---- move_junk and personal scripts (§5.4) ----
    Case("mj-y-spam", "sieve", "y@s.test", "5", dict(folder="Junk", pop3=False)),
    Case("mj-y-ham", "sieve", "y@s.test", "0", dict(folder="INBOX", pop3=True)),
    Case("mj-y-work-spam", "sieve", "yw@s.test", "5", dict(folder="Junk")),
    Case("mj-y-work-ham", "sieve", "yw@s.test", "0", dict(folder="Work", pop3=False)),
    Case(
        "mj-a-work-spam",
        "sieve",
        "a@s.test",
        "5",
        dict(folder="Work"),
        why="fileinto cancels the implicit keep: the after script does not run",
    ),
    Case("mj-a-work-ham", "sieve", "a@s.test", "0", dict(folder="Work")),
    Case(
        "mj-a-keepstop-spam",
        "sieve",
        "ak@s.test",
        "5",
        dict(folder="Junk"),
        why="keep; stop in the personal script: the after script still runs (§5.4 [run])",
    ),
    Case("mj-a-keepstop-ham", "sieve", "ak@s.test", "0", dict(folder="INBOX")),
    Case("mj-n-spam", "sieve", "n@s.test", "5", dict(folder="INBOX", pop3=True)),
    Case("mj-n-work-spam", "sieve", "nw@s.test", "5", dict(folder="Work")),
    # ---- score sources (issue: --score, else the topmost report) ----
    Case(
        "score-from-amavis-report",
        "defaults",
        "u@p5.test",
        None,
        dict(score=7.234, folder="Junk"),
        message="sa_report",
    ),
    Case(
        "score-from-rspamd-report",
        "defaults",
        "u@p5.test",
        None,
        dict(score=16.5, folder="Junk"),
        message="rspamd_report",
    ),
    # ---- rspamd (§4.2-4.4, §7) ----
    Case(
        "rspamd-normal-5.99",
        "rspamd",
        "u@r5.test",
        "5.99",
        dict(
            destiny="pass",
            tagged=False,
            subject="Hello",
            folder="INBOX",
            headers={
                "X-Spam-Status": "No, score=5.99",
                "X-Spam-Level": "*****",
                "X-Spamd-Bar": "+++++",
            },
            absent=("X-Spam", "X-Spam-Flag"),
        ),
    ),
    Case(
        "rspamd-normal-6",
        "rspamd",
        "u@r5.test",
        "6",
        dict(
            destiny="pass",
            tagged=True,
            subject="*** SPAM *** Hello",
            folder="Junk",
            headers={"X-Spam-Status": "Yes, score=6.00"},
            absent=("X-Spam",),
        ),
        why="rewrite subject adds no X-Spam; Status Yes moves it (3.2.5+)",
    ),
    Case(
        "rspamd-normal-6-3.2.0",
        "rspamd",
        "u@r5.test",
        "6",
        dict(folder="Junk"),
        args=("--ispconfig-version", "3.2.0"),
    ),
    Case(
        "rspamd-normal-6.2-format",
        "rspamd",
        "u@r5.test",
        "6.2",
        dict(headers={"X-Spam-Status": "Yes, score=6.20", "X-Spam-Level": "******"}),
    ),
    Case("rspamd-normal-9.99", "rspamd", "u@r5.test", "9.99", dict(folder="Junk")),
    Case("rspamd-normal-10", "rspamd", "u@r5.test", "10", dict(destiny="reject", delivered=False)),
    Case(
        "rspamd-addheader-5",
        "rspamd",
        "u@ah.test",
        "5",
        dict(
            tagged=True,
            subject="Hello",
            folder="Junk",
            headers={"X-Spam": "Yes", "X-Spam-Status": "Yes, score=5.00"},
        ),
    ),
    Case(
        "rspamd-addheader-4.99",
        "rspamd",
        "u@ah.test",
        "4.99",
        dict(tagged=False, folder="INBOX", absent=("X-Spam",)),
    ),
    Case(
        "rspamd-lover-5.99",
        "rspamd",
        "u@r3.test",
        "5.99",
        dict(destiny="pass", folder="INBOX", headers={"X-Spam-Status": "No, score=5.99"}),
        why="Wants all spam: the rule only sets reject = null; greylist 4 is a 4xx then pass",
    ),
    Case(
        "rspamd-lover-50",
        "rspamd",
        "u@r3.test",
        "50",
        dict(
            destiny="pass",
            folder="Junk",
            headers={
                "X-Spam": "Yes",
                "X-Spam-Status": "Yes, score=50.00",
                "X-Spam-Level": stars(50),
            },
        ),
        why="Wants all spam: reject = null, the global add header = 6 still applies (§4.4)",
    ),
    Case(
        "rspamd-one-settings-per-message",
        "rspamd",
        "u@r5.test",
        "8",
        dict(destiny="reject", delivered=False),
        extra_rcpts=("v@r5.test",),
        why="v@r5.test's address rule (20+7) wins for the whole message: Trigger happy kill 8",
    ),
    Case("rspamd-alone-8", "rspamd", "u@r5.test", "8", dict(destiny="pass", folder="Junk")),
    Case(
        "rspamd-norow-6",
        "rspamd",
        "u@none.test",
        "6",
        dict(tagged=True, folder="Junk", headers={"X-Spam": "Yes"}),
        why="no settings entry: Debian's global add_header = 6",
    ),
    Case("rspamd-norow-15", "rspamd", "u@none.test", "15", dict(destiny="reject", delivered=False)),
    Case(
        "rspamd-removes-upstream",
        "rspamd",
        "u@r5.test",
        "0",
        dict(folder="INBOX"),
        message="up_xspam",
        why="ISPConfig's remove-headers routine deletes X-Spam",
    ),
    Case(
        "rspamd-bar-negative",
        "rspamd",
        "u@r5.test",
        "-2.5",
        dict(
            headers={"X-Spamd-Bar": "--", "X-Spam-Status": "No, score=-2.50"},
            absent=("X-Spam-Level",),
        ),
    ),
    Case(
        "rspamd-bar-small",
        "rspamd",
        "u@r5.test",
        "0.5",
        dict(headers={"X-Spamd-Bar": "/"}, absent=("X-Spam-Level",)),
    ),
]

CASES += [
    # ---- aliases, catch-all, alias domains, forwards: examples/policies/hosting.toml ----
    # amavis runs before virtual alias expansion (§3.7, §5.3): the alias address' keys.
    Case(
        "alias-two-targets",
        "hosting",
        "info@example.com",
        "6.2",
        dict(
            category="spammy",
            subject="***SPAM***Hello",
            policy={"id": 5, "matched_key": "@example.com", "priority": 5},
            folders={"sales@example.com": "Junk", "ceo@example.com": "Junk"},
        ),
        why="sales@ (move_junk a, filter does not match) and ceo@ (y) both file into Junk",
    ),
    Case(
        "alias-personal-filter",
        "hosting",
        "info@example.com",
        "6.2",
        dict(folders={"sales@example.com": "Orders", "ceo@example.com": "Junk"}),
        message="order",
        why="move_junk a: the custom filter files into Orders first",
    ),
    Case(
        "alias-ignores-target-policy",
        "hosting",
        "info@example.com",
        "13",
        dict(destiny="pass", folders={"sales@example.com": "Junk", "ceo@example.com": "Junk"}),
        why="ceo@'s own policy would discard at 12; the alias is looked up, not the target",
    ),
    Case(
        "inherit-row-excluded",
        "hosting",
        "sales@example.com",
        "6.2",
        dict(folder="Junk", policy={"id": 5, "matched_key": "@example.com"}),
        args=("--sender", "orders@partner.test"),
        why="3.2.11: the policy-0 row and its soft -3 wblist entry are gone",
    ),
    Case(
        "inherit-row-soft-3.2.5",
        "hosting",
        "sales@example.com",
        "6.2",
        tagged_no("score=3.2 tagged_above=1 required=4.5 tests=[AM.WBL=-3]", "3.2", "***"),
        args=("--sender", "orders@partner.test", "--ispconfig-version", "3.2.5"),
    ),
    Case(
        "mailbox-strict-tag2",
        "hosting",
        "ceo@example.com",
        "3.5",
        tagged_yes(
            "score=3.5 tagged_above=0.5 required=3.5 tests=[]",
            "3.5",
            "***",
            "[SPAM] Hello",
        ),
    ),
    Case("mailbox-strict-quarantine", "hosting", "ceo@example.com", "12", killed(True)),
    Case(
        "mailbox-strict-qcutoff",
        "hosting",
        "ceo@example.com",
        "30",
        killed(False),
        why="spam_quarantine_cutoff_level 30",
    ),
    Case(
        "mailbox-blacklist-domain",
        "hosting",
        "ceo@example.com",
        "0",
        killed(False),
        args=("--sender", "x@spammy-vendor.test"),
        why="blacklisted with a quarantine cutoff set: no quarantine (Amavis.pm)",
    ),
    Case(
        "catch-all",
        "hosting",
        "nobody@example.com",
        "6.2",
        dict(
            policy={"id": 5, "matched_key": "@example.com"}, folders={"sales@example.com": "Junk"}
        ),
    ),
    Case(
        "alias-domain",
        "hosting",
        "ceo@example.org",
        "6.2",
        untagged(local=False, policy=None, folders={"ceo@example.com": "INBOX"}),
        why="no row for example.org: static levels, not local → no headers at all",
    ),
    Case("alias-domain-60", "hosting", "ceo@example.org", "60", killed(True, local=False)),
    Case(
        "alias-domain-upstream-xspam",
        "hosting",
        "ceo@example.org",
        "0",
        dict(folders={"ceo@example.com": "Junk"}),
        message="up_xspam",
    ),
    Case(
        "external-forward",
        "fwd",
        "fwd@f.test",
        "6.2",
        dict(
            category="spammy",
            tagged=True,
            folders={"someone@elsewhere.test": None, "box@f.test": "Junk"},
        ),
        why="the external copy carries the tags; no Sieve on this server",
    ),
    # ---- more subject-tag details (§3.5, Amavis.pm) ----
    Case(
        "subj-existing-tag-inside",
        "subj",
        "u@p7.test",
        "10",
        dict(subject="***SPAM*** Re: Hello"),
        message="subject_mid",
        why="every copy of the tag is removed, then it is prepended",
    ),
    Case(
        "subj-missing-normal",
        "subj",
        "u@p5.test",
        "5",
        dict(subject="***SPAM***"),
        message="no_subject",
    ),
    Case(
        "subj-missing-static-trimmed",
        "subj",
        "u@p7.test",
        "10",
        dict(subject="***SPAM***"),
        message="no_subject",
        why="a new Subject gets the tag with trailing blanks trimmed",
    ),
    Case("subj-macros", "subj", "u@s14.test", "6.2", dict(subject="[6.2/4] Hello")),
    Case("subj-not-local", "lookup", "user@nl.test", "10", dict(subject="Hello")),
    # ---- DSN: amavis' is_bulk (Amavis.pm) ----
    Case(
        "bounce-list-id",
        "defaults_bounce",
        "u@p6.test",
        "5",
        killed(True, destiny="bounce", dsn_sent=False),
        message="listid",
    ),
    # ---- rspamd greylisting (§4.3-4.4) ----
    Case(
        "rspamd-greylist-on",
        "rspamd_grey",
        "g@r5.test",
        "4",
        dict(destiny="pass", folder="INBOX", headers={"X-Spam-Status": "No, score=4.00"}),
        why="greylist 4 (mailbox greylisting on): 4xx, the retry is accepted, Status No",
    ),
    Case(
        "rspamd-greylist-off",
        "rspamd_grey",
        "u@r5.test",
        "5.5",
        dict(destiny="pass", folder="INBOX", subject="Hello"),
    ),
    Case(
        "rspamd-unknown-mailbox",
        "rspamd_grey",
        "nobody@r5.test",
        "0",
        dict(destiny="reject", delivered=False),
        why="no mailbox, alias or catch-all: Postfix refuses the address at RCPT TO",
    ),
    # ISPConfig's own users.conf rules (§4.4; install/tpl/rspamd_users.conf.master).
    Case(
        "rspamd-postmaster-want-spam",
        "rspamd",
        "postmaster@none.test",
        "20",
        dict(destiny="pass", folder="INBOX", headers={"X-Spam-Status": "No, score=20.00"}),
        why="no ISPConfig rule for none.test: the postmaster/hostmaster/abuse want_spam rule",
    ),
    Case(
        "rspamd-postmaster-domain-rule-wins",
        "rspamd",
        "postmaster@r5.test",
        "20",
        dict(destiny="reject", delivered=False),
        why="the @r5.test rule (10 + 5) outranks the want_spam rule (5)",
    ),
    Case(
        "rspamd-ca-whitelist",
        "rspamd",
        "u@r5.test",
        "20",
        dict(destiny="pass", folder="INBOX"),
        args=("--sender", "ssl@comodo.com"),
        why="whitelist-ca (priority 20) outranks @r5.test (15): want_spam",
    ),
    Case(
        "alias-loop",
        "loop",
        "a@b.test",
        "0",
        dict(destiny="pass", delivered=False),
        why="Postfix: recursion limit exceeded in virtual alias expansion, message deferred",
    ),
    Case(
        "alias-diamond",
        "loop",
        "d@b.test",
        "0",
        dict(folders={"c@b.test": "INBOX"}),
        why="two paths to c@: Postfix delivers one copy",
    ),
    Case(
        "unknown-mailbox",
        "sieve",
        "nobody@s.test",
        "0",
        dict(destiny="reject", delivered=False),
    ),
]


# --------------------------------------------------------------------------------------
# Running and checking


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def deliver_json(tmp_path: Path, case: Case) -> dict[str, Any]:
    doc = tmp_path / "policies.toml"
    text = HOSTING.read_text(encoding="utf-8") if case.doc == "hosting" else DOCS[case.doc]
    doc.write_text(text, encoding="utf-8")
    msg = tmp_path / "message.eml"
    msg.write_text(MESSAGES[case.message], encoding="utf-8")
    argv = ["deliver", "--json", "--policies", str(doc), "--rcpt", case.rcpt]
    for extra in case.extra_rcpts:
        argv += ["--rcpt", extra]
    if case.score is not None:
        argv += ["--score", case.score]
    argv += [*case.args, str(msg)]
    code, out, err = run_cli(argv)
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def _recipient(result: dict[str, Any], rcpt: str) -> dict[str, Any]:
    for entry in result["recipients"]:
        if entry["recipient"] == rcpt:
            found: dict[str, Any] = entry
            return found
    raise AssertionError(f"no entry for {rcpt}: {result}")


def check(entry: dict[str, Any], expect: dict[str, Any]) -> None:
    problems: list[str] = []

    def differ(name: str, want: Any, got: Any) -> None:
        if want != got:
            problems.append(f"{name}: expected {want!r}, got {got!r}")

    for key in ("category", "destiny", "tagged", "local", "quarantined", "subject", "score"):
        if key in expect:
            differ(key, expect[key], entry.get(key))
    if "policy" in expect:
        want = expect["policy"]
        got = entry.get("policy")
        if want is None:
            differ("policy", None, got)
        elif got is None:
            problems.append(f"policy: expected {want!r}, got None")
        else:
            for k, v in want.items():
                differ(f"policy.{k}", v, got.get(k))
    headers: dict[str, str] = entry.get("headers_added") or {}
    for name, value in expect.get("headers", {}).items():
        differ(f"header {name}", value, headers.get(name))
    for name in expect.get("absent", ()):
        if name in headers:
            problems.append(f"header {name} should be absent, got {headers[name]!r}")
    if "status" in expect:
        status = headers.get("X-Spam-Status", "")
        if not status.startswith(expect["status"]):
            problems.append(f"X-Spam-Status: expected prefix {expect['status']!r}, got {status!r}")
    deliveries = entry.get("deliveries") or []
    delivered = [d for d in deliveries if d.get("folder") is not None]
    if "delivered" in expect:
        differ("delivered", expect["delivered"], bool(delivered))
    if "folder" in expect:
        folders = [d.get("folder") for d in deliveries]
        differ("folder", [expect["folder"]], folders)
    if "folders" in expect:
        got_folders = {d.get("mailbox"): d.get("folder") for d in deliveries}
        differ("folders", expect["folders"], got_folders)
    if "pop3" in expect:
        differ("pop3_visible", [expect["pop3"]], [d.get("pop3_visible") for d in deliveries])
    if "dsn_sent" in expect:
        dsn = entry.get("dsn")
        sent = bool(dsn) and dsn not in ("suppressed",) and not str(dsn).startswith("suppressed")
        differ("dsn sent", expect["dsn_sent"], sent)
    assert not problems, "\n".join(problems) + "\n" + json.dumps(entry, indent=1)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_review_case(case: Case, tmp_path: Path) -> None:
    result = deliver_json(tmp_path, case)
    check(_recipient(result, case.rcpt), case.expect)


# --------------------------------------------------------------------------------------
# Errors a postmaster meets: one line on stderr, the documented exit status, no traceback.

BAD_DOCS = {
    "bad_toml": "[[spamfilter_policy]\nid = 1\n",
    "unknown_table": "[[spamfilter_polcy]]\nid = 1\n",
    "unknown_column": "[[spamfilter_policy]]\nid = 1\nspam_tag_lvl = 3\n",
    "bad_value": '[[spamfilter_policy]]\nid = 1\nspam_tag_level = "abc"\n',
    "bad_json": '{"spamfilter_users": [{"id": 1, "email": "@b.c"}',
    "bad_move_junk": '[[mail_user]]\nmailuser_id = 1\nemail = "a@b.c"\nmove_junk = "q"\n',
    "bad_wb": '[[spamfilter_wblist]]\nwblist_id = 1\nwb = "maybe"\n',
    "duplicate_email": '[[spamfilter_users]]\nid = 1\nemail = "@b.c"\n\n'
    '[[spamfilter_users]]\nid = 2\nemail = "@B.C"\n',
    "bad_priority": '[[spamfilter_users]]\nid = 1\nemail = "@b.c"\npriority = -3\n',
    "nan_level": "[[spamfilter_policy]]\nid = 1\nspam_tag_level = nan\n",
    "bad_destiny": '[server]\nfinal_spam_destiny = "D_MAYBE"\n',
    "bad_version": '[server]\nispconfig_version = "2.9"\n',
}

ERRORS = [
    # (argv after 'deliver', document, message, exit status, text on stderr)
    (["--rcpt", "a@b.c"], None, "no_score", 2, "give --score N"),
    (["--rcpt", "a@b.c", "--score", "5"], None, "missing", 1, "No such file"),
    (["--score", "5"], None, "plain", 2, "--rcpt"),
    (["--rcpt", "a@b.c", "--score", "abc"], None, "plain", 2, "invalid float"),
    (["--rcpt", "a@b.c", "--score", "nan"], None, "plain", 2, "finite"),
    (["--rcpt", "not an address", "--score", "5"], None, "plain", 2, "not an e-mail address"),
    (["--rcpt", "a@b.c", "--score", "5", "--ispconfig-version", "4.0"], None, "plain", 2, "3.1"),
    (["--rcpt", "a@b.c", "--score", "5", "--ispconfig-version", "x.y"], None, "plain", 2, "x.y"),
    (["--rcpt", "a@b.c", "--score", "5"], "bad_toml", "plain", 1, "not valid TOML"),
    (["--rcpt", "a@b.c", "--score", "5"], "unknown_table", "plain", 1, ":1: spamfilter_polcy"),
    (["--rcpt", "a@b.c", "--score", "5"], "unknown_column", "plain", 1, ":3: spamfilter_policy[0]"),
    (["--rcpt", "a@b.c", "--score", "5"], "bad_value", "plain", 1, "expected a number"),
    (["--rcpt", "a@b.c", "--score", "5"], "bad_json", "plain", 1, "policies.toml:1:"),
    (["--rcpt", "a@b.c", "--score", "5"], "bad_move_junk", "plain", 1, "move_junk"),
    (["--rcpt", "a@b.c", "--score", "5"], "bad_wb", "plain", 1, "wb"),
    (["--rcpt", "a@b.c", "--score", "5"], "duplicate_email", "plain", 1, "UNIQUE"),
    (["--rcpt", "a@b.c", "--score", "5"], "bad_destiny", "plain", 1, "D_DISCARD"),
    (["--rcpt", "a@b.c", "--score", "5"], "bad_priority", "plain", 1, "0 to 255"),
    (["--rcpt", "a@b.c", "--score", "5"], "nan_level", "plain", 1, "finite"),
    (["--rcpt", "a@b.c", "--score", "5"], "bad_version", "plain", 1, "2.9"),
]


@pytest.mark.parametrize(("argv", "doc", "message", "status", "text"), ERRORS)
def test_review_errors(
    argv: list[str], doc: str | None, message: str, status: int, text: str, tmp_path: Path
) -> None:
    args = ["deliver", *argv]
    if doc is not None:
        path = tmp_path / "policies.toml"
        path.write_text(BAD_DOCS[doc], encoding="utf-8")
        args += ["--policies", str(path)]
    msg = tmp_path / "message.eml"
    if message != "missing":
        body = "Subject: x\n\nbody\n" if message == "no_score" else MESSAGES[message]
        msg.write_text(body, encoding="utf-8")
    code, out, err = run_cli([*args, str(msg)])
    assert code == status, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("spamhdr: error: "), err
    assert text in lines[0]
    assert "Traceback" not in err


def test_review_sieve_scripts_command() -> None:
    # `deliver sieve` prints what ISPConfig renders: 3.2.5+ rule in the before script for y,
    # in the after script for a (§5.4).
    code, out, _err = run_cli(
        ["deliver", "sieve", "--ispconfig-version", "3.2.11", "--move-junk", "y"]
    )
    assert code == 0
    before, after = out.split("### .ispconfig.sieve")
    assert 'header :matches "X-Spam-Status" "Yes, *"' in before
    assert "X-Spam-Status" not in after
    code, out, _err = run_cli(
        ["deliver", "sieve", "--ispconfig-version", "3.2.4", "--move-junk", "a"]
    )
    before, after = out.split("### .ispconfig.sieve")
    assert '["X-Spam", "X-Spam-Status"] "Yes"' in after and "X-Spam-Flag" not in before


def test_review_clusters(tmp_path: Path) -> None:
    # §3.8: recipients with identical edits share a re-injection; ceo@ (own policy) does not.
    case = Case(
        "clusters",
        "hosting",
        "info@example.com",
        "6.2",
        {},
        extra_rcpts=("sales@example.com", "ceo@example.com"),
    )
    result = deliver_json(tmp_path, case)
    cluster = {r["recipient"]: r["cluster"] for r in result["recipients"]}
    assert cluster["info@example.com"] == cluster["sales@example.com"]
    assert cluster["ceo@example.com"] != cluster["info@example.com"]
