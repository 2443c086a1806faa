"""Property: arbitrary input gives a result or our own error, never a foreign exception.

Policy documents → PolicySet or PolicyError; custom Sieve filters → an outcome or
NotEvaluated (STYLE.md: "parse it, or raise our own error, never anything else").
"""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from spamhdr.deliver import evaluate_chain, parse_policy_document, render_scripts
from spamhdr.deliver.model import MailUser
from spamhdr.deliver.sieve_eval import NotEvaluated
from spamhdr.errors import PolicyError

SIEVE_WORDS = st.sampled_from([
    "if", "elsif", "else", "header", "address", "exists", ":contains", ":is", ":matches",
    "anyof", "allof", "not", "true", "false", "fileinto", "keep", "stop", "discard",
    "redirect", ":copy", ":create", '"Subject"', '"X-Spam-Flag"', '"YES"', '"*"', "[", "]",
    "(", ")", "{", "}", ";", ",", "text:\nx\n.\n", "# c\n", "/* c */", '"a\\"b"', "42K",
])  # fmt: skip


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(SIEVE_WORDS, max_size=25).map(" ".join) | st.text(max_size=200))
def test_custom_filter_never_crashes(custom: str) -> None:
    scripts = render_scripts(
        "3.2.5+", MailUser(1, "b@example.com", move_junk="a", custom_mailfilter=custom)
    )
    fields = [("Subject", "test"), ("X-Spam-Flag", "YES")]
    try:
        outcome = evaluate_chain([(s.name, s.text) for s in scripts.scripts], fields)
    except NotEvaluated:
        return
    assert all(isinstance(f, str) for f in outcome.folders)


TOML_BITS = st.sampled_from([
    "[server]\n", "[[spamfilter_policy]]\n", "[[spamfilter_users]]\n", "[[mail_user]]\n",
    "[[mail_forwarding]]\n", "[[spamfilter_wblist]]\n", "id = 1\n", "id = 1.5\n",
    'email = "@x.test"\n', "priority = -3\n", 'policy_id = "5"\n', "spam_tag_level = 4.5\n",
    'local = "Y"\n', 'wb = "-2"\n', 'move_junk = "a"\n', 'backend = "rspamd"\n',
    'ispconfig_version = "3.2"\n', "rspamd_actions = { reject = 20 }\n", "x = [1, 2]\n",
    'mailuser_id = 3\n', 'source = "@a.test"\n', 'destination = "@b.test"\n', "= broken\n",
])  # fmt: skip


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(TOML_BITS, max_size=12).map("".join) | st.text(max_size=200))
def test_policy_document_never_crashes(text: str) -> None:
    with contextlib.suppress(PolicyError):
        parse_policy_document(text, "fuzz.toml")
