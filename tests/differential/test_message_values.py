"""Differential test: spamhdr.message values against SpamAssassin 4.0.1's ``$pms->get()``.

The Perl harness ``sa_header_values.pl`` (beside this file) builds one Mail::SpamAssassin
object with the oracle's configuration (../shared/oracle/README.md) and prints, for every
message and spec, the list ``get()`` returns in list context. We compare element lists
exactly (bytes), so the joined rule value (``Check.pm do_head_tests``) agrees too.

Two inputs: (a) a deterministic sample of the shared corpus covering every origin folder,
with every spec the stock header rules use plus every modifier and pseudo-header; (b)
hypothesis-generated edge cases (folding, encoded words in many charsets, repeats, missing
and oversized headers, odd Received chains, CRLF, mbox lines, junk bytes), batched into one
Perl call per test.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spamhdr.message import TrustConfig, parse_sa_message

HARNESS = Path(__file__).with_name("sa_header_values.pl")

MODIFIER_SPECS = (
    "From:addr",
    "From:name",
    "From:raw",
    "From:name:raw",
    "From:addr:raw",
    "From:host",
    "From:domain",
    "From:addr:host",
    "From:addr:domain",
    "From:first",
    "From:last",
    "From:first:addr",
    "From:last:name",
    "To:addr",
    "To:name",
    "Cc:addr",
    "ToCc",
    "ToCc:raw",
    "ToCc:addr",
    "ToCc:name",
    "Reply-To:addr",
    "Sender:addr",
    "Return-Path:addr",
    "Received:first",
    "Received:last",
    "Received:ip",
    "Received:revip",
    "Received:last:ip",
    "Received:first:revip",
    "Received:host",
    "Received:last:host",
    "Received:domain",
    "Received:raw",
    "Message-Id:host",
    "Message-ID:domain",
    "X-Originating-IP:ip",
    "X-Originating-IP:revip",
    "Subject:raw",
    "Subject:first",
    "Subject:last",
    "Subject:addr",
    "Subject:host",
    "ALL",
    "ALL:raw",
    "ALL:addr",
    "ALL-TRUSTED",
    "ALL-UNTRUSTED",
    "ALL-INTERNAL",
    "ALL-EXTERNAL",
    "ALL-TRUSTED:raw",
    "ALL-UNTRUSTED:raw",
    "ALL-INTERNAL:raw",
    "ALL-EXTERNAL:raw",
    "all",
    "MESSAGEID",
    "MESSAGEID:raw",
    "MessageID",
    "EnvelopeFrom",
    "envelopefrom",
    "EnvelopeFrom:addr",
    "EnvelopeFrom:host",
    "X-Spam-Relays-Trusted",
    "X-Spam-Relays-Untrusted",
    "X-Spam-Relays-Internal",
    "X-Spam-Relays-External",
    "x-spam-relays-external",
    "X-SenderDomain",
    "X-AuthorDomain",
    "X-Spam-Status",
    "X-Spam-Flag",
    "X-Spamazoid-MD",
    "Content-Type",
    "Date",
    "Date:raw",
    "Message-ID",
    "References",
    "In-Reply-To",
    "List-Id",
    "MIME-Version",
    "Subject",
    "X-Mailer",
    "User-Agent",
    "Resent-From:addr",
)


def stock_specs(shared: Path) -> list[str]:
    """Every ``header_name`` + modifiers used by a stock header rule."""
    rules = json.loads((shared / "oracle" / "sa-4.0.1-rules.json").read_text())["rules"]
    specs = {
        r["header_name"] + "".join(":" + m for m in (r.get("header_modifiers") or []))
        for r in rules.values()
        if r.get("type") == "header" and r.get("header_name")
    }
    return sorted(specs | set(MODIFIER_SPECS))


@lru_cache(maxsize=1)
def stock_trust_config(rules_dir: str = "/usr/share/spamassassin") -> TrustConfig:
    """The registry tables of the stock rules (20_aux_tlds.cf; all its ``if`` blocks are
    true in 4.0.1, and ``clear_util_rb`` comes first)."""
    tlds: set[str] = set()
    two: set[str] = set()
    three: set[str] = set()
    target = {"util_rb_tld": tlds, "util_rb_2tld": two, "util_rb_3tld": three}
    for line in (Path(rules_dir) / "20_aux_tlds.cf").read_text("latin-1").splitlines():
        words = line.split("#", 1)[0].split()
        if words and words[0] in target:
            target[words[0]].update(w.lower() for w in words[1:])
    return TrustConfig(
        valid_tlds=frozenset(tlds),
        two_level_domains=frozenset(two),
        three_level_domains=frozenset(three),
    )


def run_sa(
    messages: Sequence[bytes], specs: Sequence[str], post_config: str = ""
) -> list[dict[str, list[bytes] | None]]:
    """One Perl process: ``get()`` of every spec for every message."""
    request = {
        "post_config": post_config,
        "specs": list(specs),
        "messages": [m.decode("latin-1") for m in messages],
    }
    proc = subprocess.run(
        ["perl", str(HARNESS)],
        input=json.dumps(request).encode(),
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-3000:]
    out = []
    for item in json.loads(proc.stdout):
        values = {
            spec: None if v is None else [e.encode("latin-1") for e in v]
            for spec, v in item["values"].items()
        }
        out.append(values)
    return out


def compare(
    messages: Sequence[bytes], specs: Sequence[str], trust: TrustConfig, post_config: str = ""
) -> tuple[int, list[str]]:
    """Return (number of comparisons, mismatch descriptions)."""
    expected = run_sa(messages, specs, post_config)
    mismatches: list[str] = []
    count = 0
    for n, (data, want) in enumerate(zip(messages, expected, strict=True)):
        msg = parse_sa_message(data, trust)
        for spec in specs:
            count += 1
            got = list(msg.get_list(spec))
            sa = want[spec] or []
            if got != sa:
                mismatches.append(f"message {n} spec {spec!r}: " + _first_difference(got, sa))
    return count, mismatches


def _first_difference(got: list[bytes], sa: list[bytes]) -> str:
    for i, (a, b) in enumerate(zip(got, sa, strict=False)):
        if a != b:
            return f"element {i}: spamhdr {a!r} != SpamAssassin {b!r}"
    return f"spamhdr {got!r} != SpamAssassin {sa!r}"


def corpus_sample(shared: Path, per_folder: int = 24) -> list[Path]:
    """Deterministic sample: every k-th file (sorted) of every origin folder."""
    corpus = shared / "corpus"
    folders = sorted(
        {
            p.parent
            for p in corpus.rglob("*")
            if p.is_file() and p.suffix != ".md" and not p.name.startswith("FILES-")
        }
    )
    chosen: list[Path] = []
    for folder in folders:
        files = sorted(p for p in folder.iterdir() if p.is_file())
        step = max(1, len(files) // per_folder)
        chosen.extend(files[::step][:per_folder])
    return chosen


def test_corpus_sample_agrees(spamassassin_bin: str, shared_dir: Path) -> None:
    files = corpus_sample(shared_dir)
    messages = [p.read_bytes() for p in files]
    specs = stock_specs(shared_dir)
    count, mismatches = compare(messages, specs, stock_trust_config())
    rate = 100.0 * (count - len(mismatches)) / count
    print(
        f"\ncorpus sample: {len(files)} messages x {len(specs)} specs = {count} values, "
        f"agreement {rate:.3f}%"
    )
    for line in mismatches[:50]:
        print(files[int(line.split()[1])].relative_to(shared_dir / "corpus"), line[:600])
    assert not mismatches, f"{len(mismatches)} mismatches"


# -- hypothesis edge cases -------------------------------------------------------------------

_CHARSETS = (
    "utf-8",
    "iso-8859-1",
    "ISO-8859-2",
    "windows-1251",
    "koi8-r",
    "iso-2022-jp",
    "shift_jis",
    "euc-jp",
    "gb2312",
    "big5",
    "euc-kr",
    "us-ascii",
    "x-unknown",
    "utf-8*en",
    "iso-8859-15",
    "UTF8",
    "cp1252",
    "utf-16",
)
_TEXTS = (
    "Café au lait",
    "Grüße",
    "привет",
    "日本語のテキスト",
    "中文",
    "한국어",
    "plain",
    "a_b=c?d",
    "",
)


@st.composite
def encoded_word(draw: st.DrawFn) -> bytes:
    charset = draw(st.sampled_from(_CHARSETS))
    text = draw(st.sampled_from(_TEXTS))
    codec = charset.split("*")[0].replace("x-unknown", "utf-8").replace("UTF8", "utf-8")
    try:
        payload = text.encode(codec)
    except (UnicodeEncodeError, LookupError):
        payload = text.encode("utf-8")
    if draw(st.booleans()):
        import base64

        enc = base64.b64encode(payload)
        if draw(st.booleans()):
            enc = enc.rstrip(b"=")
        body = b"=?" + charset.encode() + b"?B?" + enc + b"?="
    else:
        q = b"".join(
            bytes([c])
            if 33 <= c < 127 and c not in b"=?_ "
            else (b"_" if c == 32 else b"=%02X" % c)
            for c in payload
        )
        body = b"=?" + charset.encode() + b"?Q?" + q + b"?="
    return body


_ATOMS = st.sampled_from(
    [
        b"hello",
        b"world",
        b"Foo Bar",
        b"<foo@example.com>",
        b'"Doe, John" <jd@example.org>',
        b"user@sub.example.co.uk",
        b"(comment)",
        b"x@y",
        b"\xe9t\xe9",
        b"\xc3\xa9t\xc3\xa9",
        b"  ",
        b"\t",
        b";",
        b",",
        b"<>",
        b"http://www.Example.COM/path",
        b"1.2.3.4",
        b"[10.0.0.1]",
        b"2001:db8::1",
        b"=?",
        b"?=",
        b"a=?utf-8?Q?b?=c",
        b"'quoted'",
        b"\\",
        b'"',
        b"group: a@b.com, c@d.org;",
        b"\x00",
        b"\r",
    ]
)


@st.composite
def header_value(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(st.one_of(_ATOMS, encoded_word()), min_size=0, max_size=6))
    out = b""
    for p in parts:
        sep = draw(st.sampled_from([b" ", b"", b"\n ", b"\n\t", b"  "]))
        out += sep + p
    return out


_NAMES = st.sampled_from(
    [
        b"Subject",
        b"From",
        b"To",
        b"Cc",
        b"Reply-To",
        b"Sender",
        b"Return-Path",
        b"Message-ID",
        b"X-Message-Id",
        b"Resent-Message-Id",
        b"Date",
        b"X-Mailer",
        b"List-Id",
        b"References",
        b"X-Spam-Status",
        b"X-Spam-Flag",
        b"X-Envelope-From",
        b"Envelope-Sender",
        b"X-Sender",
        b"Content-Type",
        b"subject",
        b"X-Originating-IP",
        b"Subject ",
        b"X-Bad Header",
        b"ToCc",
        b"MESSAGEID",
        b"X-Spam-Relays-External",
    ]
)

_RECEIVED = st.sampled_from(
    [
        b"from mail.example.org (mail.example.org [203.0.113.5]) by mx.example.com"
        b" (Postfix) with ESMTP id ABC123 for <x@example.com>; Mon, 1 Jan 2024 00:00:00 +0000",
        b"from [192.168.1.10] (helo=laptop) by smtp.example.net with esmtpsa (Exim 4.96)"
        b" (envelope-from <me@example.net>) id 1abc-00; Tue, 2 Jan 2024 10:00:00 +0100",
        b"from localhost (localhost [127.0.0.1]) by mail.example.org (Postfix) with ESMTP"
        b" id 1; Mon, 1 Jan 2024",
        b"from unknown (HELO foo) (198.51.100.7) by mx.example.com with SMTP; 1 Jan 2024"
        b" 00:00:00 -0000",
        b"by mail.example.org (Postfix, from userid 1000) id 2; Mon, 1 Jan 2024",
        b"from mx.example.com ([10.1.2.3]) by mail.internal with ESMTPSA id 3",
        b"from pop.example.com [198.51.100.1] by localhost with POP3 (fetchmail-6.4) for"
        b" <me@localhost> (single-drop)",
        b"from EXC01.corp.example (10.45.252.152) by EXC02.corp.example (10.45.252.153)"
        b" with Microsoft SMTP Server (version=TLS1_2) id 15.1.1261.35",
        b"from weird header without structure",
        b"from host.example ([2001:db8::25]) by mx.example.com with ESMTPS id 4"
        b" (envelope-from <a@b.example>)",
        b"from qmail 123 invoked by uid 0",
    ]
)


@st.composite
def message(draw: st.DrawFn) -> bytes:
    lines: list[bytes] = []
    if draw(st.booleans()):
        lines.append(b"From sender@example.com Mon Jan  1 00:00:00 2024")
    for _ in range(draw(st.integers(0, 4))):
        lines.append(
            b"Received: "
            + draw(_RECEIVED).replace(b") by", draw(st.sampled_from([b") by", b")\n\tby"])))
        )
    for _ in range(draw(st.integers(0, 8))):
        lines.append(draw(_NAMES) + b":" + draw(header_value()))
    if draw(st.integers(0, 9)) == 0:
        lines.append(b"X-Long: " + b"a" * draw(st.sampled_from([8190, 8191, 8193, 9000])))
    if draw(st.integers(0, 9)) == 0:
        lines.append(
            draw(st.sampled_from([b"junk line", b" continuation", b"--boundary", b"\xff\xfe"]))
        )
    eol = draw(st.sampled_from([b"\n", b"\r\n"]))
    body = eol.join(lines) + eol + (eol + b"body" + eol if draw(st.booleans()) else b"")
    return body


EDGE_SPECS = (
    "Subject",
    "Subject:raw",
    "From",
    "From:addr",
    "From:name",
    "From:name:raw",
    "From:raw",
    "To:addr",
    "ToCc",
    "ToCc:addr",
    "Reply-To:addr",
    "Return-Path:addr",
    "MESSAGEID",
    "MESSAGEID:raw",
    "Message-ID",
    "Date",
    "List-Id",
    "References",
    "ALL",
    "ALL:raw",
    "ALL-TRUSTED",
    "ALL-UNTRUSTED",
    "ALL-INTERNAL:raw",
    "ALL-EXTERNAL",
    "EnvelopeFrom",
    "X-Spam-Relays-Trusted",
    "X-Spam-Relays-Untrusted",
    "X-Spam-Relays-Internal",
    "X-Spam-Relays-External",
    "X-SenderDomain",
    "X-AuthorDomain",
    "X-Spam-Flag",
    "Received:ip",
    "Received:last:revip",
    "From:addr:domain",
    "From:host",
    "Subject:first",
    "Subject:last",
    "X-Bad Header",
    "X-Long",
    "X-Originating-IP:ip",
    "ToCc:raw",
    "X-Envelope-From:addr",
    "Content-Type",
)


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_messages_agree(spamassassin_bin: str, shared_dir: Path, seed: int) -> None:
    examples: list[bytes] = []

    @settings(
        max_examples=120,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(message())
    def collect(m: bytes) -> None:
        examples.append(m)

    collect()
    examples = examples[seed - 1 :: 2]
    count, mismatches = compare(examples, EDGE_SPECS, stock_trust_config())
    rate = 100.0 * (count - len(mismatches)) / count
    print(f"\ngenerated: {len(examples)} messages, {count} values, agreement {rate:.3f}%")
    for line in mismatches[:30]:
        n = int(line.split()[1])
        print(repr(examples[n][:800]))
        print("   ", line[:800])
    assert not mismatches, f"{len(mismatches)} mismatches"


def test_configured_trusted_networks(spamassassin_bin: str, shared_dir: Path) -> None:
    """trusted/internal/msa networks as configured in .cf text, not inferred."""
    chain = (
        b"Received: from client.example ([198.51.100.20]) by msa.example.net with ESMTP"
        b" id 1; Mon, 1 Jan 2024\n"
        b"Received: from relay.example ([203.0.113.9]) by mx.example.net with ESMTP id 2;"
        b" Mon, 1 Jan 2024\n"
        b"Received: from outside.example ([192.0.2.33]) by relay.example with ESMTP id 3;"
        b" Mon, 1 Jan 2024\n"
    )
    messages = [
        b"Return-Path: <a@b.example>\n" + chain + b"From: a@b.example\nSubject: t\n\nbody\n",
        b"Received: from x ([10.0.0.5]) by mx.example.net with ESMTP id 4; Mon, 1 Jan 2024\n"
        + chain
        + b"Subject: t\n\n",
    ]
    specs = (
        "X-Spam-Relays-Trusted",
        "X-Spam-Relays-Untrusted",
        "X-Spam-Relays-Internal",
        "X-Spam-Relays-External",
        "ALL-TRUSTED",
        "ALL-UNTRUSTED",
        "ALL-INTERNAL",
        "ALL-EXTERNAL",
        "EnvelopeFrom",
    )
    configs = [
        (
            "trusted_networks 198.51.100.20 203.0.113.9\n",
            TrustConfig(trusted_networks=("198.51.100.20", "203.0.113.9")),
        ),
        (
            "trusted_networks 198.51.100/24 203.0.113.0/24\ninternal_networks 198.51.100.20\n",
            TrustConfig(
                trusted_networks=("198.51.100/24", "203.0.113.0/24"),
                internal_networks=("198.51.100.20",),
            ),
        ),
        (
            "internal_networks 198.51.100.20 10/8\n",
            TrustConfig(internal_networks=("198.51.100.20", "10/8")),
        ),
        (
            "trusted_networks 198.51.100.20\nmsa_networks 198.51.100.20\n",
            TrustConfig(trusted_networks=("198.51.100.20",), msa_networks=("198.51.100.20",)),
        ),
        (
            "trusted_networks !198.51.100.20 198.51.100.0/24 203.0.113.9\n",
            TrustConfig(trusted_networks=("!198.51.100.20", "198.51.100.0/24", "203.0.113.9")),
        ),
        ("envelope_sender_header Return-Path\n", TrustConfig(envelope_sender_header="Return-Path")),
    ]
    failures = []
    for cf, trust in configs:
        _, mismatches = compare(messages, specs, trust, post_config=cf)
        failures += [cf.strip() + ": " + m for m in mismatches]
    assert not failures, "\n".join(failures)


# -- the address parsers on their own ----------------------------------------------------------

_ADDRESS_PERL = r"""
use strict; use warnings; use JSON::PP; use Email::Address::XS; use Mail::SpamAssassin::Util;
binmode STDIN; binmode STDOUT;
my $in = JSON::PP->new->decode(do { local $/; <STDIN> });
my @out;
for my $s (@$in) {
  my $str = $s; utf8::downgrade($str);
  my @xs = map { [$_->phrase, $_->user, $_->host, $_->comment] } Email::Address::XS->parse($str);
  my @sa = map { [$_->{phrase}, $_->{address}] }
    Mail::SpamAssassin::Util::parse_header_addresses($str);
  push @out, {xs => \@xs, sa => \@sa};
}
print JSON::PP->new->ascii->encode(\@out);
"""

_ADDRESS_ATOMS = st.sampled_from(
    [
        b"a@b.example",
        b"x.y@sub.example.co.uk",
        b"<a@b.example>",
        b"<>",
        b"< a@b.example >",
        b'"Doe, John"',
        b'"q\\"uote"',
        b"(comment)",
        b"(nested (comment))",
        b"Name",
        b"Foo Bar",
        b",",
        b";",
        b":",
        b"group:",
        b"<@route.example:a@b.example>",
        b"<@r1,@r2:a@b.example>",
        b"<a@[192.0.2.1]>",
        b"a@[192.0.2.1] [x]",
        b"a..b@c.example",
        b".a@b.example",
        b"a.@b.example",
        b"=?utf-8?Q?Caf=C3=A9?=",
        b"'single'",
        b"\\",
        b'"',
        b"<",
        b">",
        b"@",
        b" ",
        b"\t",
        b"\xc3\xa9",
        b"\xe9",
        b"user",
        b"@host.example",
        b"a@b@c.example",
        b"<adv:ce>",
    ]
)


@st.composite
def address_value(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(_ADDRESS_ATOMS, min_size=1, max_size=7))
    return b"".join(p + draw(st.sampled_from([b"", b" ", b", "])) for p in parts)


def _opt(v: str | None) -> bytes | None:
    return None if v is None else v.encode("latin-1")


def test_address_parsers_agree(spamassassin_bin: str, shared_dir: Path) -> None:
    """``Util.pm parse_header_addresses`` and ``Email::Address::XS->parse`` on generated values."""
    from spamhdr.message.addresses import parse_header_addresses
    from spamhdr.message.addresses_xs import _xs_addresses

    values: list[bytes] = [
        b"<@test.com, @test.ru:test@attack.com>",
        b"<zvfjenphuq@[1086695621] [ufa]>",
        b"<adv:ce>Win a Green Card",
        b'"Doe, John" <jd@example.org>, x@y.example',
        b"a@b.example (A), c@d.example (C (nested))",
        b"undisclosed-recipients:;",
    ]

    @settings(
        max_examples=400,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(address_value())
    def collect(v: bytes) -> None:
        values.append(v)

    collect()
    proc = subprocess.run(
        ["perl", "-e", _ADDRESS_PERL],
        input=json.dumps([v.decode("latin-1") for v in values]).encode(),
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    failures = []
    for value, want in zip(values, json.loads(proc.stdout), strict=True):
        xs_want = [tuple(_opt(x) for x in item) for item in want["xs"]]
        xs_got = [
            (a.name, a.mailbox or None, a.domain or None, a.comment)
            for a in _xs_addresses(value.replace(b"", b""))
        ]
        if xs_got != xs_want:
            failures.append(f"XS {value!r}: spamhdr {xs_got!r} != Perl {xs_want!r}")
        sa_want = [(_opt(p), _opt(a)) for p, a in want["sa"]]
        sa_got = [(a.phrase, a.address) for a in parse_header_addresses(value)]
        if sa_got != sa_want:
            failures.append(f"SA {value!r}: spamhdr {sa_got!r} != Perl {sa_want!r}")
    print(f"\naddress values: {len(values)}, mismatches: {len(failures)}")
    assert not failures, "\n".join(failures[:40])
