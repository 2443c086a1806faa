"""amavis formatting (§3.2–3.3), the SQL lookup (§3.6–3.7), rspamd (§4), aliases (§5.3)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from spamhdr.deliver import PolicySet, decide_delivery, default_policies, parse_policy_document
from spamhdr.deliver.amavis import amavis_score, perl_number
from spamhdr.deliver.edit import fold_structured
from spamhdr.deliver.lookup import lookup_keys, lookup_policy
from spamhdr.deliver.model import Server


@pytest.mark.parametrize(
    ("value", "text"),
    [(-2.0994, "-2.099"), (0.0, "0"), (-0.0001, "0"), (1000.0024, "1000.002"), (4.5, "4.5"),
     (999.998, "999.998"), (7.2340, "7.234")],
)  # fmt: skip
def test_amavis_score_format(value: float, text: str) -> None:
    assert amavis_score(value) == text  # §3.2: 0+sprintf("%.3f")


@pytest.mark.parametrize(
    ("value", "text"), [(4.50, "4.5"), (1.00, "1"), (20.0, "20"), (6.31, "6.31"), (-999.0, "-999")]
)
def test_perl_number(value: float, text: str) -> None:
    assert perl_number(value) == text


def test_status_folding_matches_the_213_example() -> None:
    # §3.2 first example (GTUBE under Normal, produced by amavis 2.13's formatter).
    pieces = (
        "Yes,",
        " score=999.998",
        " tagged_above=1",
        " required=4.5",
        " tests=[GTUBE=1000,",
        " NO_RECEIVED=-0.001,",
        " NO_RELAYS=-0.001]",
        " autolearn=no autolearn_force=no",
    )
    assert fold_structured("X-Spam-Status", pieces) == (
        "Yes, score=999.998 tagged_above=1 required=4.5\n"
        " tests=[GTUBE=1000, NO_RECEIVED=-0.001, NO_RELAYS=-0.001]\n"
        " autolearn=no autolearn_force=no"
    )  # fmt: skip


MSG = b"Return-Path: <spammer@bad.example>\nFrom: x@bad.example\nSubject: s\n\nbody\n"
WB = """
[[spamfilter_users]]
id = 1
email = "@example.com"
priority = 5
policy_id = 5
local = "Y"

[[spamfilter_wblist]]
wblist_id = 1
rid = 1
email = "@bad.example"
wb = "{wb}"
"""


def _one(doc: str, score: float, rcpt: str = "bob@example.com", *others: str):  # type: ignore[no-untyped-def]
    policies = parse_policy_document(doc, "t.toml")
    return decide_delivery(MSG, policies, (rcpt, *others), score=score).recipients[0]


# amavis runs SpamAssassin only if some recipient is neither white- nor blacklisted
# (Amavis.pm: "sender white/blacklisted, skipping spam_scan"); a second recipient without
# a wblist entry keeps the scan, and so the score, in these tests.
SCANNED = "dave@other.test"


def test_blacklisted_sender_headers() -> None:
    # §3.2/3.3: Yes although score < tag2, BLACKLISTED, X-Spam-Score raised to 64, 64 stars;
    # blacklisted → kill → Normal discards.
    decision = _one(WB.format(wb="B"), 1.2)
    assert decision.destiny == "discard"
    doc = WB.format(wb="B").replace("policy_id = 5", "policy_id = 2")  # Uncensored: lover
    headers = _one(doc, 1.2, "bob@example.com", SCANNED).to_json()["headers_added"]
    assert headers["X-Spam-Score"] == "64"
    assert headers["X-Spam-Level"] == "*" * 64
    assert headers["X-Spam-Status"].startswith(
        "Yes, score=1.2 tagged_above=3 required=999 BLACKLISTED tests="
    )


def test_whitelisted_sender_headers() -> None:
    headers = _one(WB.format(wb="W"), 12.5, "bob@example.com", SCANNED).to_json()["headers_added"]
    assert headers["X-Spam-Flag"] == "NO"
    assert headers["X-Spam-Score"] == "0"
    assert headers["X-Spam-Level"] == ""
    assert "WHITELISTED" in headers["X-Spam-Status"]


def test_listed_for_every_recipient_skips_spamassassin() -> None:
    # Alone, the blacklisted recipient's level is undefined: score=x, X-Spam-Score 64;
    # a whitelisted one is not tagged at all (undef - 10 < tag 1).
    doc = WB.format(wb="B").replace("policy_id = 5", "policy_id = 2")
    headers = _one(doc, 1.2).to_json()["headers_added"]
    assert headers["X-Spam-Status"].startswith("Yes, score=x tagged_above=3 required=999 BLACK")
    assert headers["X-Spam-Score"] == "64"
    assert "X-Spam-Flag" not in _one(WB.format(wb="W"), 12.5).to_json()["headers_added"]


def test_soft_score_is_added() -> None:
    # SpamControl.pm white_black_list: a soft score does not end the search, so it is
    # added once per sender address that matches: the envelope sender spammer@bad.example
    # and the From address x@bad.example both hit '@bad.example' → 1.5 + 3.5 + 3.5.
    decision = _one(WB.format(wb="3.5"), 1.5)
    assert decision.score == 8.5 and decision.outcome == "Junk"
    assert "tests=[AM.WBL=7]" in decision.to_json()["headers_added"]["X-Spam-Status"]


def test_key_list() -> None:
    # §3.6 key list for User+Ext@Sub.Example.COM (sub.example.com statically local).
    server = Server(mydomain="example.com")
    assert lookup_keys("User+Ext@Sub.Example.COM", server) == (
        "User+Ext@Sub.Example.COM", "user+ext@sub.example.com", "user@sub.example.com",
        "user+ext", "user", "@sub.example.com", "@.sub.example.com", "@.example.com", "@.com",
        "@.",
    )  # fmt: skip
    assert lookup_keys("user@other.test", server) == (
        "user@other.test",
        "@other.test",
        "@.other.test",
        "@.test",
        "@.",
    )
    assert lookup_keys("<>", server) == ("", "@", "@.")


FALLTHROUGH = """
[server]
ispconfig_version = "{version}"

[[spamfilter_policy]]
id = 10
policy_name = "Only tag2"
spam_tag2_level = 3.0

[[spamfilter_users]]
id = 1
email = "@example.com"
priority = 5
policy_id = 5
local = "Y"

[[spamfilter_users]]
id = 2
email = "bob@example.com"
priority = 7
policy_id = {mailbox_policy}
"""


def test_field_by_field_fall_through() -> None:
    policies = parse_policy_document(FALLTHROUGH.format(version="3.2.11", mailbox_policy=10))
    lookup = lookup_policy("bob@example.com", policies)
    assert lookup.get("spam_tag2_level") == 3.0  # from the mailbox row
    assert lookup.get("spam_tag_level") == 1.0  # NULL there → domain row (Normal)
    assert lookup.get("local") is True  # mailbox row's local is NULL → domain row's 'Y'
    assert "bob@example.com" in lookup.source("spam_tag2_level")


def test_policy_zero_filter_depends_on_version() -> None:
    # §3.7: "policy_id != 0" since 3.2.6; before, the row matched with all policy fields NULL.
    new = parse_policy_document(FALLTHROUGH.format(version="3.2.6", mailbox_policy=0))
    old = parse_policy_document(FALLTHROUGH.format(version="3.2.5", mailbox_policy=0))
    assert [u.id for u, _p, _k in lookup_policy("bob@example.com", new).rows] == [1]
    assert [u.id for u, _p, _k in lookup_policy("bob@example.com", old).rows] == [2, 1]
    assert lookup_policy("bob@example.com", old).get("spam_tag2_level") == 4.5


def test_no_row_static_defaults() -> None:
    lookup = lookup_policy("bob@example.com", default_policies())
    assert lookup.get("spam_tag_level") == 20.0 and lookup.get("spam_kill_level") == 60.0
    assert lookup.get("local") is False


RSPAMD = """
[server]
backend = "rspamd"

[[spamfilter_users]]
id = 1
email = "@example.com"
priority = 5
policy_id = 5
local = "Y"

[[spamfilter_users]]
id = 2
email = "carol@example.com"
priority = 7
policy_id = 6
local = "Y"
"""


@pytest.mark.parametrize(
    ("score", "action_headers", "subject", "destiny"),
    [(3.99, "No, score=3.99", "s", "pass"),
     (5.0, "No, score=5.00", "s", "pass"),  # greylist level 4 needs greylisting = y
     (6.0, "Yes, score=6.00", "*** SPAM *** s", "pass"),
     (10.0, None, None, "reject")],
)  # fmt: skip
def test_rspamd_normal_actions(
    score: float, action_headers: str | None, subject: str | None, destiny: str
) -> None:
    decision = _one(RSPAMD, score)
    assert decision.destiny == destiny
    assert decision.subject == subject
    headers = decision.to_json()["headers_added"]
    assert headers.get("X-Spam-Status") == action_headers


def test_rspamd_one_settings_match_for_the_whole_message() -> None:
    # carol's address rule (20 + 7) beats the domain rule (10 + 5) for every recipient.
    policies = parse_policy_document(RSPAMD)
    report = decide_delivery(MSG, policies, ("bob@example.com", "carol@example.com"), score=4.5)
    assert {r.policy.name for r in report.recipients if r.policy} == {"Trigger happy"}
    assert {r.policy.priority for r in report.recipients if r.policy} == {27}
    assert all(r.subject == "*** SPAM *** s" for r in report.recipients)


def test_rspamd_bar_and_level() -> None:
    headers = _one(RSPAMD, 7.5).to_json()["headers_added"]
    assert headers["X-Spamd-Bar"] == "+++++++"
    assert headers["X-Spam-Level"] == "*******"
    assert "X-Spam-Level" not in _one(RSPAMD, 0.5).to_json()["headers_added"]
    assert _one(RSPAMD, -1.5).to_json()["headers_added"]["X-Spamd-Bar"] == "-"


ALIASES = """
[[spamfilter_users]]
id = 1
email = "@example.com"
priority = 5
policy_id = 5
local = "Y"

[[mail_user]]
mailuser_id = 1
email = "bob@example.com"

[[mail_user]]
mailuser_id = 2
email = "carol@example.com"
move_junk = "n"

[[mail_forwarding]]
forwarding_id = 1
source = "team@example.com"
destination = "bob@example.com, carol@example.com, friend@elsewhere.test"
type = "alias"

[[mail_forwarding]]
forwarding_id = 2
source = "@example.com"
destination = "bob@example.com"
type = "catchall"
"""


def test_alias_targets_share_the_alias_header_set() -> None:
    decision = _one(ALIASES, 7.0, "team@example.com")
    folders = {d.mailbox: d.folder for d in decision.deliveries}
    assert folders == {
        "bob@example.com": "Junk",
        "carol@example.com": "INBOX",
        "friend@elsewhere.test": None,
    }


def test_catchall_never_hides_a_mailbox() -> None:
    assert [d.mailbox for d in _one(ALIASES, 0.0, "carol@example.com").deliveries] == [
        "carol@example.com"
    ]
    assert [d.mailbox for d in _one(ALIASES, 0.0, "whoever@example.com").deliveries] == [
        "bob@example.com"
    ]


def test_unknown_recipient_is_rejected() -> None:
    doc = ALIASES.split("[[mail_forwarding]]\nforwarding_id = 2")[0]
    decision = _one(doc, 0.0, "nobody@example.com")
    assert decision.destiny == "reject" and decision.deliveries == ()


def test_missing_score_asks_for_score() -> None:
    from spamhdr.errors import UsageError

    with pytest.raises(UsageError, match="--score"):
        decide_delivery(MSG, default_policies(), ("bob@example.com",))


def test_server_overrides() -> None:
    policies = default_policies()
    policies = replace(policies, server=replace(policies.server, mydomain="example.com"))
    assert isinstance(policies, PolicySet)
    decision = decide_delivery(MSG, policies, ("bob@example.com",), score=25.0).recipients[0]
    assert decision.local is True  # .example.com is in Debian's local_domains_acl now
    assert decision.to_json()["headers_added"]["X-Spam-Flag"] == "NO"
