"""spamhdr's predicted folder == the folder Pigeonhole's ``sieve-test`` reports.

For a hypothesis-generated matrix (scores around every level, each default policy and
"- not enabled -", mailbox/domain/alias/catch-all/alias-domain recipients, move_junk
y/a/n, each ISPConfig rule family, amavis and rspamd, upstream spam headers or none,
custom filters that fileinto/keep/stop/discard), spamhdr decides the delivery; then the
scripts spamhdr renders run in the real ``sieve-test`` on the message with spamhdr's
predicted headers, and the stored folders must be the ones spamhdr predicted.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spamhdr.deliver import DEFAULT_POLICIES, decide_delivery, parse_policy_document

pytestmark = pytest.mark.sieve

VERSIONS = ("3.1.14", "3.2.1", "3.2.4", "3.2.11")
KINDS = ("mailbox", "domain", "alias", "catchall", "aliasdomain")
UPSTREAM = (
    "",
    "X-Spam: Yes\n",
    "X-Spam-Flag: YES\n",
    "X-Spam-Status: No, score=-1.9 tagged_above=-999 required=6.31\n tests=[BAYES_00=-1.9]\n",
    "X-Spam-Status: Yes, score=9.00\nX-Spamd-Bar: +++++++++\n",
)
SUBJECTS = ("test message", "***SPAM*** test message")
CUSTOM = (
    None,
    'if header :contains "subject" "test" { fileinto "Work"; }',
    "keep;",
    'if header :contains "subject" "test" { keep; stop; }',
    'fileinto "Work";\nstop;',
    'if header :contains "from" "alice" { discard; stop; }',
    'if header :is "X-Spam-Flag" "YES" { fileinto "Spam"; } else { fileinto "Work"; }',
)
_LEVELS = sorted(
    {
        level
        for p in DEFAULT_POLICIES
        for level in (
            p.spam_tag_level, p.spam_tag2_level, p.spam_kill_level,
            p.rspamd_spam_greylisting_level, p.rspamd_spam_tag_level, p.rspamd_spam_kill_level,
        )
        if level is not None
    }
    | {20.0, 60.0, 6.0, 15.0, 4.0}
)  # fmt: skip
SCORES = st.one_of(
    st.sampled_from(_LEVELS).flatmap(
        lambda level: st.sampled_from((level - 0.001, level, level + 0.001))
    ),
    st.floats(min_value=-10, max_value=1100, allow_nan=False).map(lambda x: round(x, 3)),
)


def _document(
    policy: int | None, kind: str, move_junk: str, custom: str | None, version: str, backend: str
) -> str:
    lines = [
        "[server]",
        f'ispconfig_version = "{version}"',
        f'backend = "{backend}"',
        "",
        "[[spamfilter_users]]",
        "id = 1",
        'email = "@example.com"',
        "priority = 5",
        f"policy_id = {0 if policy is None else (5 if kind == 'mailbox' else policy)}",
        'local = "Y"',
        "",
        "[[spamfilter_users]]",
        "id = 2",
        'email = "bob@example.com"',
        "priority = 7",
        f"policy_id = {policy if kind == 'mailbox' and policy is not None else 0}",
        'local = "Y"',
        "",
        "[[mail_user]]",
        "mailuser_id = 1",
        'email = "bob@example.com"',
        f'move_junk = "{move_junk}"',
    ]
    if custom is not None:
        escaped = custom.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        lines.append(f'custom_mailfilter = "{escaped}"')
    forwards = {
        "alias": ("info@example.com", "bob@example.com", "alias"),
        "catchall": ("@example.com", "bob@example.com", "catchall"),
        "aliasdomain": ("@alias.test", "@example.com", "aliasdomain"),
    }
    if kind in forwards:
        source, destination, ftype = forwards[kind]
        lines += [
            "",
            "[[mail_forwarding]]",
            "forwarding_id = 1",
            f'source = "{source}"',
            f'destination = "{destination}"',
            f'type = "{ftype}"',
        ]
    return "\n".join(lines) + "\n"


_RCPT = {
    "mailbox": "bob@example.com",
    "domain": "bob@example.com",
    "alias": "info@example.com",
    "catchall": "nobody-here@example.com",
    "aliasdomain": "bob@alias.test",
}


def _message(upstream: str, subject: str) -> bytes:
    text = (
        "Return-Path: <alice@example.org>\n"
        "From: Alice <alice@example.org>\n"
        "To: bob@example.com\n"
        f"Subject: {subject}\n"
        "Message-ID: <m1@example.org>\n"
        "Date: Mon, 24 Nov 2025 10:00:00 +0000\n"
        f"{upstream}"
        "\nbody\n"
    )
    return text.encode()


class Oracle:
    """Runs sieve-test and really stores the message (``-e``) into a Maildir.

    As root it uses the three-line config of shared/sieve/README.md (sieve-test then runs
    as ``nobody``, so everything it touches is world-writable). The folders are read from
    sieve-test's ``stored mail into mailbox 'X'`` log lines: what Pigeonhole really did.
    """

    FOLDERS = ("Junk", "Work", "Spam")

    def __init__(self, binary: str, work: Path) -> None:
        self.binary = binary
        self.work = work
        self.counter = itertools.count()
        maildir = work / "Maildir"
        for sub in ("", *(f".{f}" for f in self.FOLDERS)):
            for leaf in ("cur", "new", "tmp"):
                (maildir / sub / leaf).mkdir(parents=True, exist_ok=True)
        for path in [work, *work.rglob("*")]:
            os.chmod(path, 0o777)
        self.maildir = maildir
        self.conf: Path | None = None
        if os.geteuid() == 0:
            self.conf = work / "sieve-test-root.conf"
            self.conf.write_text(
                f"mail_uid = nobody\nmail_gid = nogroup\nmail_location = maildir:{maildir}\n"
            )

    def folders(self, scripts: list[tuple[str, str]], message: bytes) -> tuple[str, ...] | None:
        """Folders sieve-test stored into, in order; None when a script does not compile."""
        run = self.work / f"run{next(self.counter)}"
        run.mkdir()
        os.chmod(run, 0o777)
        paths = []
        for index, (_name, text) in enumerate(scripts):
            path = run / f"s{index}.sieve"
            path.write_text(text)
            os.chmod(path, 0o666)
            paths.append(path)
        msg = run / "msg.eml"
        msg.write_bytes(message)
        os.chmod(msg, 0o666)
        argv = [self.binary, "-e", "-l", f"maildir:{self.maildir}"]
        if self.conf is not None:
            argv += ["-c", str(self.conf)]
        for path in paths[:-1]:
            argv += ["-s", str(path)]
        argv += [str(paths[-1]), str(msg)]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if proc.returncode != 0:
            assert "failed to compile" in proc.stderr, proc.stderr
            return None
        assert "failed to store" not in proc.stderr, proc.stderr
        return parse_stored(proc.stderr)


def parse_stored(stderr: str) -> tuple[str, ...]:
    """The mailboxes of sieve-test's ``sieve: ... stored mail into mailbox 'X'`` lines."""
    folders: list[str] = []
    for line in stderr.splitlines():
        if "sieve:" not in line or "stored mail into mailbox '" not in line:
            continue
        folder = line.split("stored mail into mailbox '", 1)[1].rsplit("'", 1)[0]
        if folder not in folders:
            folders.append(folder)
    return tuple(folders)


@pytest.fixture(scope="module")
def oracle(sieve_test_bin: str) -> Iterator[Oracle]:
    # Not tmp_path: pytest's base directory is 0700 and sieve-test runs as nobody under root.
    work = Path(tempfile.mkdtemp(prefix="spamhdr-sieve-oracle-"))
    try:
        yield Oracle(sieve_test_bin, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    score=SCORES,
    policy=st.sampled_from((None, 1, 2, 3, 4, 5, 6, 7)),
    kind=st.sampled_from(KINDS),
    move_junk=st.sampled_from(("y", "a", "n")),
    version=st.sampled_from(VERSIONS),
    backend=st.sampled_from(("amavis", "rspamd")),
    upstream=st.sampled_from(UPSTREAM),
    subject=st.sampled_from(SUBJECTS),
    custom=st.sampled_from(CUSTOM),
)
def test_predicted_folder_equals_sieve_test(
    oracle: Oracle, score: float, policy: int | None, kind: str, move_junk: str,
    version: str, backend: str, upstream: str, subject: str, custom: str | None,
) -> None:  # fmt: skip
    document = _document(policy, kind, move_junk, custom, version, backend)
    policies = parse_policy_document(document, "generated.toml")
    message = _message(upstream, subject)
    report = decide_delivery(message, policies, (_RCPT[kind],), score=score)
    (decision,) = report.recipients
    if decision.destiny != "pass":
        assert decision.deliveries == ()
        return
    assert decision.deliveries, "a passed message reaches bob's mailbox"
    for delivery in decision.deliveries:
        assert delivery.mailbox == "bob@example.com"
        assert delivery.scripts is not None
        scripts = [(s.name, s.text) for s in delivery.scripts.scripts]
        actual = oracle.folders(scripts, decision.message)
        assert delivery.evaluated, delivery.reasons
        assert actual is not None, "spamhdr evaluated a script sieve-test cannot compile"
        assert set(delivery.folders) == set(actual), (document, decision.message, delivery)
        assert delivery.pop3_visible == ("INBOX" in actual)


def test_custom_filter_with_require_is_reported_not_guessed(oracle: Oracle) -> None:
    """ISPConfig pastes custom_mailfilter mid-script: a ``require`` there does not compile."""
    custom = 'require ["fileinto"];\nfileinto "Work";'
    document = _document(5, "domain", "y", custom, "3.2.11", "amavis")
    policies = parse_policy_document(document, "generated.toml")
    report = decide_delivery(_message("", "test"), policies, ("bob@example.com",), score=0.0)
    (delivery,) = report.recipients[0].deliveries
    assert not delivery.evaluated and delivery.folder is None
    assert delivery.scripts is not None
    scripts = [(s.name, s.text) for s in delivery.scripts.scripts]
    assert oracle.folders(scripts, report.recipients[0].message) is None
