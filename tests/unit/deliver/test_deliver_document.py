"""Policy document errors name their place (STYLE point 10), and the CLI's behaviour."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from spamhdr.deliver import parse_policy_document
from spamhdr.errors import PolicyError

ERRORS = [
    ("[[spamfilter_policy]]\nid = 8\n\n[[spamfilter_policy]]\nid = 9\nspam_tag_level = \"4.5\"\n",
     "p.toml:6: spamfilter_policy[1].spam_tag_level: expected a number, got '4.5' (a string)"),
    ("[[spamfilter_users]]\nid = 1\nemail = \"@x.test\"\npolcy_id = 5\n",
     "p.toml:4: spamfilter_users[0].polcy_id: unknown column"),
    ("[[mail_users]]\nmailuser_id = 1\n", "p.toml:1: mail_users: unknown table"),
    ("[[mail_user]]\nmailuser_id = 1\nemail = \"a@x.test\"\nmove_junk = \"maybe\"\n",
     "p.toml:4: mail_user[0].move_junk: expected one of 'y', 'a', 'n', got 'maybe'"),
    ("[[mail_user]]\nmailuser_id = 1\n",
     "p.toml:1: mail_user[0].email: required column is missing"),
    ("[[spamfilter_users]]\nid = 1\nemail = \"@x.test\"\n[[spamfilter_users]]\nid = 1\n"
     "email = \"@y.test\"\n", "p.toml:5: spamfilter_users[1].id: duplicate id 1 (also in row 0)"),
    ("[[spamfilter_users]]\nid = 1\nemail = \"@x.test\"\n[[spamfilter_users]]\nid = 2\n"
     "email = \"@X.test\"\n", "p.toml:6: spamfilter_users[1].email: duplicate email '@X.test'"),
    ("[server]\nbackend = \"spamd\"\n",
     "p.toml:2: server.backend: expected one of 'amavis', 'rspamd', got 'spamd'"),
    ("[server]\nispconfig_version = \"4.0\"\n", "p.toml:2: server.ispconfig_version: unsupported"),
    ("[server]\nfinal_spam_destiny = \"D_KEEP\"\n",
     "p.toml:2: server.final_spam_destiny: expected"),
    ("[server]\ncolour = 1\n", "p.toml:2: server.colour: unknown setting"),
    ("[[spamfilter_wblist]]\nwblist_id = 1\nwb = \"X\"\n",
     "p.toml:3: spamfilter_wblist[0].wb: expected 'W', 'B' or a soft score"),
    ("spamfilter_users = 3\n", "p.toml:1: spamfilter_users: expected one [[spamfilter_users]]"),
    ("[[spamfilter_users]\n", "p.toml: not valid TOML"),
    ('{"spamfilter_policy": [{"id": 3, "spam_kill_level": true}]}',
     "p.toml: spamfilter_policy[0].spam_kill_level: expected a number, got true (a boolean)"),
    ('{"mail_user": [{"mailuser_id": 1, "email": "a@x.test", "move_junk": null}]}',
     "p.toml: mail_user[0].move_junk: column is NOT NULL"),
    ('{"spamfilter_policy": [', "p.toml:1:24: Expecting value"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_document_errors(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy_document(text, "p.toml")
    assert str(info.value).startswith(message)


def test_null_versus_empty_string_and_replacement() -> None:
    policies = parse_policy_document(
        '[[spamfilter_policy]]\nid = 5\npolicy_name = "My normal"\nspam_subject_tag2 = ""\n'
    )
    normal = policies.policy(5)
    assert normal is not None and normal.policy_name == "My normal"
    assert normal.spam_subject_tag2 == "" and normal.spam_tag_level is None  # left out = NULL
    assert len(policies.spamfilter_policy) == 7  # row 5 replaced, the other six kept


def test_example_document_loads(repo_dir: Path) -> None:
    for path in sorted((repo_dir / "examples" / "policies").glob("*.toml")):
        policies = parse_policy_document(path.read_text(), path.name)
        assert policies.spamfilter_users


def _cli(argv: list[str]) -> tuple[int, str, str]:
    """Run ``deliver``/``whatif`` through their own parsers and main()'s error mapping.

    (Independent of the other sub-commands' modules, which main() imports all at once.)
    """
    from spamhdr._commands import deliver, whatif
    from spamhdr.cli import _Parser
    from spamhdr.errors import SpamhdrError

    parser = _Parser(prog="spamhdr")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    deliver.register(sub)
    whatif.register(sub)
    out, err = io.StringIO(), io.StringIO()
    try:
        args = parser.parse_args(argv)
        code = int(args.handler(args, out, err))
    except SpamhdrError as exc:
        print(f"spamhdr: error: {exc}", file=err)
        code = exc.exit_code
    return code, out.getvalue(), err.getvalue()


def test_cli_deliver_json(tmp_path: Path) -> None:
    msg = tmp_path / "m.eml"
    msg.write_bytes(b"From: a@example.org\nSubject: hi\n\nbody\n")
    doc = tmp_path / "p.toml"
    doc.write_text(
        '[[spamfilter_users]]\nid = 1\nemail = "@example.com"\npriority = 5\n'
        'policy_id = 5\nlocal = "Y"\n'
    )
    code, out, err = _cli(
        [
            "deliver",
            "--json",
            "--policies",
            str(doc),
            "--rcpt",
            "bob@example.com",
            "--score",
            "7",
            str(msg),
        ]
    )
    assert code == 0, err
    (rec,) = json.loads(out)["recipients"]
    assert rec["policy"] == {
        "id": 5,
        "name": "Normal",
        "matched_key": "@example.com",
        "priority": 5,
    }
    assert rec["category"] == "spammy" and rec["tagged"] is True and rec["destiny"] == "pass"
    assert rec["deliveries"] == [
        {"mailbox": "bob@example.com", "folder": "Junk", "folders": ["Junk"], "pop3_visible": False}
    ]


def test_cli_errors(tmp_path: Path) -> None:
    msg = tmp_path / "m.eml"
    msg.write_bytes(b"From: a@example.org\nSubject: hi\n\nbody\n")
    code, _out, err = _cli(["deliver", "--rcpt", "b@example.com", str(msg)])
    assert code == 2 and "--score" in err and "Traceback" not in err
    bad = tmp_path / "bad.toml"
    bad.write_text('[[spamfilter_policy]]\nid = 2\nspam_tag_level = "x"\n')
    code, _out, err = _cli(
        ["deliver", "--policies", str(bad), "--rcpt", "b@example.com", "--score", "1", str(msg)]
    )
    assert code == 1 and f"{bad}:3: spamfilter_policy[0].spam_tag_level" in err
    code, _out, err = _cli(
        ["deliver", "--rcpt", "b@example.com", "--score", "1", str(tmp_path / "missing.eml")]
    )
    assert code == 1 and "missing.eml" in err


def test_cli_deliver_sieve_prints_the_scripts() -> None:
    code, out, _err = _cli(["deliver", "sieve", "--ispconfig-version", "3.2.4", "--move-junk", "a"])
    assert code == 0
    before, after = out.split("### .ispconfig.sieve")
    assert "Junk" not in before
    assert 'header :contains ["X-Spam", "X-Spam-Status"] "Yes"' in after
