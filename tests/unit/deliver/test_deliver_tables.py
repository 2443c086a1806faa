"""Unit tables for the decision tables of the spec: §5.1 (per-policy Junk), §6 (Normal).

Expected values are the spec's rows (ISPConfig install defaults, amavis 2.13 rules); each
case states the policy, the score and what the mailbox owner sees.
"""

from __future__ import annotations

import pytest

from spamhdr.deliver import decide_delivery, parse_policy_document

MESSAGE = (
    b"Return-Path: <alice@example.org>\n"
    b"From: Alice <alice@example.org>\n"
    b"To: bob@example.com\n"
    b"Subject: Hello\n"
    b"\n"
    b"body\n"
)


def _domain_policy(policy_id: int, version: str = "3.2.11") -> str:
    # ISPConfig's usual rows: @domain (priority 5) with the policy, the mailbox inheriting.
    return f"""
[server]
ispconfig_version = "{version}"

[[spamfilter_users]]
id = 1
email = "@example.com"
priority = 5
policy_id = {policy_id}
local = "Y"

[[spamfilter_users]]
id = 2
email = "bob@example.com"
priority = 7
policy_id = 0
local = "Y"

[[mail_user]]
mailuser_id = 1
email = "bob@example.com"
move_junk = "y"
"""


def _decide(policy_id: int, score: float):  # type: ignore[no-untyped-def]
    policies = parse_policy_document(_domain_policy(policy_id), "t.toml")
    (decision,) = decide_delivery(MESSAGE, policies, ("bob@example.com",), score=score).recipients
    return decision


def _headers(decision) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {name: value for name, value in decision.to_json()["headers_added"].items()}


# §5.1 "What this means for Junk with amavis": (policy, score, X-Spam headers?, flag, outcome,
# subject). Outcomes: INBOX, Junk, "not delivered".
POLICY_TABLE = [
    # Non-paying: spam (and virus) checks bypassed: never headers, never Junk, never dropped.
    (1, 0.0, False, None, "INBOX", "Hello"),
    (1, 8.0, False, None, "INBOX", "Hello"),
    (1, 1000.0, False, None, "INBOX", "Hello"),
    # Uncensored: headers from 3, tag2/kill 999, spam lover.
    (2, 2.999, False, None, "INBOX", "Hello"),
    (2, 3.0, True, "NO", "INBOX", "Hello"),
    (2, 998.0, True, "NO", "INBOX", "Hello"),
    # Wants all spam: same levels, spam lover.
    (3, 3.0, True, "NO", "INBOX", "Hello"),
    (3, 500.0, True, "NO", "INBOX", "Hello"),
    # Wants viruses: tag2 = kill = 6.9, so YES never reaches a mailbox.
    (4, 6.899, True, "NO", "INBOX", "Hello"),
    (4, 6.9, False, None, "not delivered", None),
    # Normal: headers from 1, Junk for 4.5 <= s < 50, discarded from 50.
    (5, 0.999, False, None, "INBOX", "Hello"),
    (5, 1.0, True, "NO", "INBOX", "Hello"),
    (5, 4.5, True, "YES", "Junk", "***SPAM***Hello"),
    (5, 49.999, True, "YES", "Junk", "***SPAM***Hello"),
    (5, 50.0, False, None, "not delivered", None),
    # Trigger happy: tag2 = kill = 5.
    (6, 2.999, False, None, "INBOX", "Hello"),
    (6, 4.999, True, "NO", "INBOX", "Hello"),
    (6, 5.0, False, None, "not delivered", None),
    # Permissive: Junk for 10 <= s < 20, static subject tag "***SPAM*** ".
    (7, 3.0, True, "NO", "INBOX", "Hello"),
    (7, 10.0, True, "YES", "Junk", "***SPAM*** Hello"),
    (7, 19.999, True, "YES", "Junk", "***SPAM*** Hello"),
    (7, 20.0, False, None, "not delivered", None),
    # "- not enabled -" (policy 0): no SQL match since 3.2.6, static 20/60/60, not local.
    (0, 19.999, False, None, "INBOX", "Hello"),
    (0, 59.999, False, None, "INBOX", "Hello"),
    (0, 60.0, False, None, "not delivered", None),
]


@pytest.mark.parametrize(
    ("policy", "score", "has_headers", "flag", "outcome", "subject"), POLICY_TABLE
)
def test_policy_junk_table(
    policy: int, score: float, has_headers: bool, flag: str | None, outcome: str,
    subject: str | None,
) -> None:  # fmt: skip
    decision = _decide(policy, score)
    headers = _headers(decision)
    assert decision.outcome == outcome
    assert ("X-Spam-Status" in headers) == has_headers
    assert headers.get("X-Spam-Flag") == flag
    assert decision.subject == subject


def test_not_enabled_domain_is_not_local() -> None:
    decision = _decide(0, 30.0)
    assert decision.local is False
    assert decision.policy is None
    assert _headers(decision) == {"X-Virus-Scanned": "Debian amavis at localdomain"}


def test_non_paying_bypasses_virus_scanning_header_too() -> None:
    # §3.1 item 3: no X-Virus-Scanned when virus checks are bypassed.
    assert _headers(_decide(1, 8.0)) == {}


# §6 decision table for a typical mailbox (Normal, move_junk = y), amavis path.
NORMAL_TABLE = [
    (0.5, {"X-Virus-Scanned"}, None, "Hello", "INBOX", "pass"),
    (1.0, {"X-Virus-Scanned", "X-Spam-Flag", "X-Spam-Score", "X-Spam-Level", "X-Spam-Status"},
     "No", "Hello", "INBOX", "pass"),
    (4.49, {"X-Virus-Scanned", "X-Spam-Flag", "X-Spam-Score", "X-Spam-Level", "X-Spam-Status"},
     "No", "Hello", "INBOX", "pass"),
    (4.5, {"X-Virus-Scanned", "X-Spam-Flag", "X-Spam-Score", "X-Spam-Level", "X-Spam-Status"},
     "Yes", "***SPAM***Hello", "Junk", "pass"),
    (49.99, {"X-Virus-Scanned", "X-Spam-Flag", "X-Spam-Score", "X-Spam-Level", "X-Spam-Status"},
     "Yes", "***SPAM***Hello", "Junk", "pass"),
    (50.0, set(), None, None, "not delivered", "discard"),
    (1000.0, set(), None, None, "not delivered", "discard"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("score", "names", "status", "subject", "outcome", "destiny"), NORMAL_TABLE
)
def test_normal_policy_table(
    score: float, names: set[str], status: str | None, subject: str | None, outcome: str,
    destiny: str,
) -> None:  # fmt: skip
    decision = _decide(5, score)
    headers = _headers(decision)
    assert set(headers) == names
    if status is not None:
        assert headers["X-Spam-Status"].startswith(f"{status}, score=")
        assert headers["X-Spam-Flag"] == ("YES" if status == "Yes" else "NO")
    assert decision.subject == subject
    assert decision.outcome == outcome
    assert decision.destiny == destiny
    # Normal: spam_quarantine_to '' → never quarantined; D_DISCARD → never a DSN.
    assert decision.quarantined is False
    assert decision.dsn is None


def test_normal_pop3_cannot_see_junk() -> None:
    # §5.5: POP3 serves INBOX only.
    (delivery,) = _decide(5, 7.0).deliveries
    assert delivery.folder == "Junk" and delivery.pop3_visible is False
    (delivery,) = _decide(5, 2.0).deliveries
    assert delivery.folder == "INBOX" and delivery.pop3_visible is True
