"""Property: for a fixed policy and recipient, a higher score never gives a milder outcome.

Outcome order INBOX < Junk < not delivered (issue 6 acceptance), for every default policy,
recipient kind, move_junk setting, ISPConfig release family and both filters, with or
without upstream spam headers (which are the same for both scores). Custom filters are left
out: a user's own ``fileinto`` may legitimately route by other criteria.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.deliver import decide_delivery, outcome_rank, parse_policy_document

DOC = """
[server]
ispconfig_version = "{version}"
backend = "{backend}"

[[spamfilter_users]]
id = 1
email = "@example.com"
priority = 5
policy_id = {policy}
local = "Y"

[[mail_user]]
mailuser_id = 1
email = "bob@example.com"
move_junk = "{move_junk}"
greylisting = "{grey}"

[[mail_forwarding]]
forwarding_id = 1
source = "info@example.com"
destination = "bob@example.com"

[[mail_forwarding]]
forwarding_id = 2
source = "@alias.test"
destination = "@example.com"
type = "aliasdomain"
"""

UPSTREAM = (
    "",
    "X-Spam-Flag: YES\n",
    "X-Spam: Yes\n",
    "X-Spam-Status: No, score=0 tests=[BAYES_00=-1.9]\n",
)
SCORE = st.floats(min_value=-20, max_value=1200, allow_nan=False, allow_infinity=False)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    low=SCORE,
    high=SCORE,
    policy=st.sampled_from((0, 1, 2, 3, 4, 5, 6, 7)),
    rcpt=st.sampled_from(("bob@example.com", "info@example.com", "bob@alias.test")),
    move_junk=st.sampled_from(("y", "a", "n")),
    version=st.sampled_from(("3.1.14", "3.2.1", "3.2.4", "3.2.5", "3.2.11")),
    backend=st.sampled_from(("amavis", "rspamd")),
    grey=st.sampled_from(("y", "n")),
    upstream=st.sampled_from(UPSTREAM),
)
def test_higher_score_never_milder(
    low: float, high: float, policy: int, rcpt: str, move_junk: str, version: str,
    backend: str, grey: str, upstream: str,
) -> None:  # fmt: skip
    low, high = min(low, high), max(low, high)
    policies = parse_policy_document(
        DOC.format(version=version, backend=backend, policy=policy, move_junk=move_junk,
                   grey=grey)
    )  # fmt: skip
    message = f"From: a@example.org\nSubject: hi\n{upstream}\nbody\n".encode()
    outcomes = []
    for score in (low, high):
        (decision,) = decide_delivery(message, policies, (rcpt,), score=score).recipients
        outcomes.append(decision.outcome)
    assert outcome_rank(outcomes[0]) <= outcome_rank(outcomes[1]), (low, high, outcomes)
