"""Live differential test: the real SpamAssassin and spamhdr on generated edge-case mail.

Hypothesis builds batches of messages with folded, encoded, repeated, missing and
oversized headers and odd Received chains; the real SpamAssassin 4.0.1 checks each batch
through its Perl API in the oracle's configuration (harness/sa_check.pl: header+meta rules
only, score set 0, no network, no Bayes) with the stock rules plus
fixtures/engine_edge_rules.cf; spamhdr checks the same files with the same configuration.
Every header hit, meta hit, sub-rule hit and the score must be equal.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spamhdr.engine import RuleSet, check_message, compile_ruleset
from spamhdr.rules import RulePaths, load_config

HERE = Path(__file__).parent
HARNESS = HERE / "harness" / "sa_check.pl"
EDGE_RULES = HERE / "fixtures" / "engine_edge_rules.cf"
RULES_DIR = Path("/usr/share/spamassassin")
SITE_DIR = Path("/etc/spamassassin")

# --- message generation ----------------------------------------------------------------

ascii_words = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=":"),
    min_size=1,
    max_size=10,
)
unicode_words = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=6,
)
public_ip = st.tuples(*(st.integers(1, 223),) + (st.integers(0, 255),) * 3).map(
    lambda t: ".".join(map(str, t))
)
private_ip = st.sampled_from(["10.0.0.5", "192.168.1.20", "172.16.3.4", "127.0.0.1"])
host = st.from_regex(r"\A[a-z]{1,8}(\.[a-z]{2,6}){1,2}\Z", fullmatch=True)


@st.composite
def encoded_word(draw: st.DrawFn) -> str:
    text = draw(unicode_words)
    charset = draw(st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "UTF-8"]))
    try:
        data = text.encode(charset.lower())
    except UnicodeEncodeError:
        charset, data = "utf-8", text.encode("utf-8")
    if draw(st.booleans()):
        import base64

        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    quoted = "".join(
        chr(b) if 0x30 <= b < 0x7F and chr(b) not in "=?_" else f"={b:02X}" for b in data
    )
    return f"=?{charset}?Q?{quoted}?="


@st.composite
def header_value(draw: st.DrawFn) -> bytes:
    parts: list[bytes] = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["ascii", "ascii", "encoded", "raw8bit"]))
        if kind == "ascii":
            parts.append(draw(ascii_words).encode())
        elif kind == "encoded":
            parts.append(draw(encoded_word()).encode())
        else:
            parts.append(
                draw(unicode_words).encode(draw(st.sampled_from(["utf-8", "latin-1"])), "replace")
            )
    folds = st.sampled_from([b" ", b" ", b"\n\t", b"\n ", b"\n        "])
    out = parts[0]
    for part in parts[1:]:
        out += draw(folds) + part
    return out


@st.composite
def address(draw: st.DrawFn) -> bytes:
    local = draw(st.from_regex(r"\A[a-z0-9._+-]{1,12}\Z", fullmatch=True))
    domain = draw(st.sampled_from(["example.org", "example.com", "mail.example.net"]))
    form = draw(st.sampled_from(["bare", "angle", "name", "encoded-name", "quoted"]))
    addr = f"{local}@{domain}"
    if form == "bare":
        return addr.encode()
    if form == "angle":
        return f"<{addr}>".encode()
    if form == "name":
        return f"{draw(ascii_words)} <{addr}>".encode()
    if form == "encoded-name":
        return f"{draw(encoded_word())} <{addr}>".encode()
    return f'"{draw(ascii_words)}" <{addr}>'.encode()


@st.composite
def received(draw: st.DrawFn) -> bytes:
    ip = draw(st.one_of(public_ip, private_ip))
    helo = draw(host)
    by = draw(host)
    with_ = draw(st.sampled_from(["ESMTP", "ESMTPS", "ESMTPSA", "SMTP", "LMTP", "esmtpa"]))
    form = draw(st.integers(0, 3))
    if form == 0:
        text = f"from {helo} ({helo} [{ip}]) by {by} with {with_} id abc123"
    elif form == 1:
        text = f"from [{ip}] (helo={helo}) by {by} with {with_}"
    elif form == 2:
        text = f"from {helo} (HELO {helo}) ({ip}) by {by} with {with_} id x1"
    else:
        text = f"by {by} (Postfix, from userid 1000) id 4711"
    date = "Mon, 1 Jan 2024 10:00:00 +0000"
    return f"{text};\n\t{date}".encode()


@st.composite
def message(draw: st.DrawFn) -> bytes:
    headers: list[tuple[bytes, bytes]] = []
    for _ in range(draw(st.integers(0, 4))):
        headers.append((b"Received", draw(received())))
    optional = {
        b"From": address(),
        b"To": st.lists(address(), min_size=1, max_size=3).map(lambda a: b",\n ".join(a)),
        b"Cc": address(),
        b"Subject": header_value(),
        b"Message-ID": st.from_regex(r"\A<[a-z0-9.]{1,20}@[a-z.]{1,15}>\Z", fullmatch=True).map(
            str.encode
        ),
        b"Date": st.just(b"Mon, 1 Jan 2024 10:00:00 +0000"),
        b"X-Foo": header_value(),
        b"X-Spam-Flag": st.just(b"YES"),
        b"X-Mailer": header_value(),
        b"Reply-To": address(),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            headers.append(
                (draw(st.sampled_from([name, name.lower(), name.upper()])), draw(strategy))
            )
    if draw(st.booleans()):  # a repeated header
        headers.append((b"Subject", draw(header_value())))
    if draw(st.integers(0, 9)) == 0:  # an oversized header
        headers.append((b"X-Long", b"x" * draw(st.integers(900, 9000))))
    order = draw(st.permutations(range(len(headers))))
    lines = [name + b": " + value for name, value in (headers[i] for i in order)]
    body = b"\nHello.\n"
    data = b"\n".join(lines) + b"\n" + body
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n")
    if draw(st.integers(0, 4)) == 0:
        data = b"From sender@example.org Mon Jan  1 10:00:00 2024\n" + data
    return data


# --- the two programs ----------------------------------------------------------------


@pytest.fixture(scope="module")
def ruleset(spamassassin_bin: str, shared_dir: Path) -> RuleSet:
    if not RULES_DIR.is_dir():
        pytest.fail(f"{RULES_DIR} missing although spamassassin is installed")
    # The oracle's post_config_text (no Bayes, no network), which harness/sa_check.pl uses too.
    inventory = json.loads((shared_dir / "oracle" / "sa-4.0.1-rules.json").read_text())
    config = load_config(
        RulePaths((RULES_DIR,), SITE_DIR, None),
        post_config_text=inventory["post_config_text"] + EDGE_RULES.read_text(),
    )
    return compile_ruleset(config)


def _spamassassin(files: list[Path]) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["perl", str(HARNESS), "--cf", str(EDGE_RULES), *map(str, files)],
        capture_output=True,
        check=True,
        timeout=600,
    )
    return [json.loads(line) for line in done.stdout.decode("latin-1").splitlines()]


def _summary(header: list[str], meta: list[str], sub: list[str], score: float) -> dict[str, Any]:
    return {
        "header": sorted(set(header)),
        "meta": sorted(set(meta)),
        "sub": sorted(set(sub)),
        "score": round(score, 3),
    }


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(batch=st.lists(message(), min_size=25, max_size=25))
def test_generated_messages_agree_with_spamassassin(
    batch: list[bytes], ruleset: RuleSet, tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = tmp_path_factory.mktemp("live")
    files = []
    for index, data in enumerate(batch):
        path = directory / f"m{index:03d}.eml"
        path.write_bytes(data)
        files.append(path)
    mismatches = []
    for path, theirs in zip(files, _spamassassin(files), strict=True):
        result = check_message(ruleset, path.read_bytes())
        ours = _summary(
            [h.name for h in result.hits if h.type == "header"],
            [h.name for h in result.hits if h.type == "meta"],
            list(result.subtests),
            result.score,
        )
        expected = _summary(
            theirs["header_rule_hits"], theirs["meta_hits"], theirs["subtest_hits"], theirs["score"]
        )
        if ours != expected:
            diff = {
                k: (
                    sorted(set(ours[k]) - set(expected[k])),
                    sorted(set(expected[k]) - set(ours[k])),
                )
                for k in ("header", "meta", "sub")
            }
            mismatches.append((path.read_bytes()[:600], diff, ours["score"], expected["score"]))
    assert not mismatches, mismatches[0]
