"""``SAMessage.get``'s shortcut for plain headers equals the general path.

``get(spec)`` answers a plain header spec (no modifier switch, no pseudo-header, no
metadata name) directly from the decoded fields; the general path is
``join_values(get_list(spec))`` (``Check.pm do_head_tests`` over ``PMS _get``), which the
differential test compares with SpamAssassin. For random header blocks — repeated,
folded, encoded, mixed-case and X-Spam- fields, unknown modifiers — both agree for plain
and non-plain specs alike.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.message import join_values, parse_sa_message

NAMES = [b"Subject", b"SUBJECT", b"From", b"To", b"Cc", b"X-Mailer", b"X-Spam-Flag", b"Date"]
NAMES += [b"X-SenderDomain", b"Received", b"List-Id"]
SPECS = ["Subject", "subject", "From", "From:addr", "To", "ToCc", "X-Mailer", "X-Spam-Flag"]
SPECS += ["X-SenderDomain", "X-AuthorDomain", "Received", "Date:raw", "Subject:foo"]
SPECS += ["List-Id", "list-id:first", "MESSAGEID", "ALL", "Missing", "From:"]

_FIELD = st.builds(
    lambda name, value, fold: name + b":" + value + (b"\n\t" + value if fold else b""),
    st.sampled_from(NAMES),
    st.one_of(
        st.binary(max_size=30),
        st.sampled_from([b" plain", b" =?utf-8?B?w6k=?= x", b" A <a@b.example>", b"  "]),
    ),
    st.booleans(),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_FIELD, max_size=8))
def test_get_equals_the_joined_list(fields: list[bytes]) -> None:
    message = parse_sa_message(b"\n".join(fields) + b"\n\nbody\n")
    for spec in SPECS:
        assert message.get(spec) == join_values(message.get_list(spec)), spec
