"""Unit tables for spamhdr.message: expected values are the [verified] examples of
../shared/spec/sa-rules.md §0 and §5 (each checked there against SpamAssassin 4.0.1)."""

from __future__ import annotations

import pytest

from spamhdr.message import TrustConfig, parse_sa_message
from spamhdr.message.decode import decode_base64, decode_header_value, decode_qp
from spamhdr.message.hosts import RegistryData, find_host, reverse_ip_address, trim_domain
from spamhdr.message.parse import parse_headers

CAFE = (
    b"Subject: =?ISO-8859-1?Q?Caf=E9?= =?ISO-8859-1?Q?_au_lait?=\n"
    b"  folded   line\n"
    b"From: Foo Blah <example@foo.com>\n\nbody\n"
)


@pytest.mark.parametrize(
    ("message", "spec", "expected"),
    [
        # §5.2 example: decoded value, fold -> one space, inner spaces kept, trailing \n
        (CAFE, "Subject", b"Caf\xc3\xa9 au lait folded   line\n"),
        # §5.3 :raw keeps leading space, folds and the final newline
        (
            CAFE,
            "Subject:raw",
            b" =?ISO-8859-1?Q?Caf=E9?= =?ISO-8859-1?Q?_au_lait?=\n  folded   line\n",
        ),
        # §0 item 1: repeated headers are concatenated, each with its \n
        (b"X-A: one\nX-A: two\n\n", "X-A", b"one\ntwo\n"),
        # §0 item 3: missing header is undefined
        (b"Subject: x\n\n", "X-Missing", None),
        # §5.2: an empty header is present and is "\n"
        (b"X-Empty:\n\n", "X-Empty", b"\n"),
        # §0 item 4: X-Spam-* removed before rules (but not X-Spamazoid-MD), kept in ALL:raw
        (b"X-Spam-Flag: YES\nX-Spamazoid-MD: 1\n\n", "X-Spam-Flag", None),
        (b"X-Spam-Flag: YES\nX-Spamazoid-MD: 1\n\n", "X-Spamazoid-MD", b"1\n"),
        (
            b"X-Spam-Flag: YES\nX-Spamazoid-MD: 1\n\n",
            "ALL:raw",
            b"X-Spam-Flag: YES\nX-Spamazoid-MD: 1\n",
        ),
        (b"X-Spam-Flag: YES\nX-Spamazoid-MD: 1\n\n", "ALL", b"X-Spamazoid-MD: 1\n"),
        # §5.1: obsolete "Subject : x" and names with illegal characters
        (b"Subject : x\n\n", "Subject", b"x\n"),
        (b"X-Bad Header: v\n\n", "X-Bad Header", b"v\n"),
        # §5.2: raw 8-bit Latin-1 becomes UTF-8 (Windows-1252 guess)
        (b"Subject: Caf\xe9\n\n", "Subject", b"Caf\xc3\xa9\n"),
        # §5.2: encoded words glued to text are decoded; unknown charset keeps the bytes
        (b"Subject: pre=?utf-8?Q?mid?=post\n\n", "Subject", b"premidpost\n"),
        (b"Subject: =?x-unknown?Q?abc?=\n\n", "Subject", b"abc\n"),
        # §5.2: Message-ID and friends are not RFC 2047 decoded
        (b"Message-ID: =?utf-8?Q?a?=\n\n", "Message-ID", b"=?utf-8?Q?a?=\n"),
        # §0 item 15: ALL and MESSAGEID are case-sensitive, ToCc is not
        (b"To: a@b.example\nCc: c@d.example\n\n", "tocc", b"a@b.example\nc@d.example\n"),
        (b"Message-Id: <x@y>\n\n", "MESSAGEID", b"<x@y>\n"),
        (b"Message-Id: <x@y>\n\n", "MessageID", None),
        # §5.5 table of :addr / :name examples
        (b"From: example@foo.com (Foo Blah)\n\n", "From:addr", b"example@foo.com"),
        (b"From: example@foo.com (Foo Blah)\n\n", "From:name", b"Foo Blah"),
        (
            b"From: example@foo.com, example@bar.com\n\n",
            "From:addr",
            b"example@foo.com\nexample@bar.com",
        ),
        (
            b"From: display: example@foo.com (Foo Blah), example@bar.com ;\n\n",
            "From:addr",
            b"example@foo.com\nexample@bar.com",
        ),
        (b"From: \"'Foo Blah'\" <example@foo.com>\n\n", "From:name", b"Foo Blah"),
        (b'From: "joe@evil.com" <victim@foo.com>\n\n', "From:addr", b"victim@foo.com"),
        (b'From: "joe@evil.com" <victim@foo.com>\n\n', "From:name", b"joe@evil.com"),
        (b"From: no address here\n\n", "From:addr", None),
        (b"From: no address here\n\n", "From:name", b"no address here"),
        (
            b'From: =?UTF-8?Q?"Foobar"_<noreply@foobar.com>?=\n\n',
            "From:addr",
            b"noreply@foobar.com",
        ),
        (b'From: "Bob \\"Q\\" Smith" <bob@foo.com>\n\n', "From:name", b'Bob "Q" Smith'),
        (b"From: Foo =?ISO-8859-1?Q?B=E4r?= <fb@foo.com>\n\n", "From:name", b"Foo B\xc3\xa4r"),
        (
            b"From: Foo =?ISO-8859-1?Q?B=E4r?= <fb@foo.com>\n\n",
            "From:name:raw",
            b"Foo =?ISO-8859-1?Q?B=E4r?= ",
        ),
        (b"From: <>\n\n", "From:addr", None),
        # §0 item 17: the relay pseudo-headers always exist
        (b"Subject: x\n\n", "X-Spam-Relays-Trusted", b""),
        # :first / :last pick one instance before address parsing
        (b"Received: from a\nReceived: from b\n\n", "Received:last", b"from b\n"),
    ],
)
def test_values(message: bytes, spec: str, expected: bytes | None) -> None:
    assert parse_sa_message(message).get(spec) == expected


def test_untrusted_relays_example() -> None:
    """sa-rules.md §5.8 [verified] example: public first hop, authenticated second hop,
    originating-IP header appended as the last relay."""
    msg = parse_sa_message(
        b"Received: from mail.example.org (mail.example.org [203.0.113.5]) by mx.example.com"
        b" (Postfix) with ESMTP id ABC123; Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Received: from [192.168.1.10] ([198.51.100.7]) by mail.example.org with ESMTPSA"
        b" id DEF456; Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"X-Originating-IP: [198.51.100.99]\n\n"
    )
    assert msg.get("X-Spam-Relays-Trusted") == b""
    relays = msg.get("X-Spam-Relays-Untrusted")
    assert relays is not None
    assert relays.startswith(
        b"[ ip=203.0.113.5 rdns=mail.example.org helo=mail.example.org by=mx.example.com"
        b" ident= envfrom= intl=0 id=ABC123 auth= msa=0 ]"
    )
    assert relays.endswith(
        b"[ ip=198.51.100.99 rdns= helo= by= ident= envfrom= intl=0 id= auth= msa=0 ]"
    )


def test_all_untrusted_starts_at_a_received_header() -> None:
    """§0 item 16: fields above the first Received are only in ALL-TRUSTED/-INTERNAL."""
    msg = parse_sa_message(
        b"Return-Path: <a@b.example>\n"
        b"Received: from x (x [203.0.113.5]) by mx.example.com (Postfix) with ESMTP id 1\n"
        b"Subject: s\n\n"
    )
    assert msg.get_list("ALL-UNTRUSTED")[0].startswith(b"Received:")
    assert msg.get_list("ALL-TRUSTED")[0].startswith(b"Return-Path:")


def test_parse_quirks() -> None:
    """§5.1: mbox line, CRLF squashing, leading continuation, caps."""
    parsed = parse_headers(b"From a@b Mon\r\n  lead\r\nX: 1\r\n\r\nbody\r\n")
    assert parsed.mbox_separator == b"From a@b Mon\r\n"
    assert parsed.crlf
    # a continuation before any field starts a field of its own; without a colon it is dropped
    assert [f.name for f in parsed.fields] == [b"X"]
    assert any("without a colon" in d for d in parsed.defects)
    assert parsed.fields[-1].raw == b" 1\n"  # CRLF made LF in stored values
    long = parse_headers(b"X-Long: " + b"a" * 9000 + b"\n\n")
    assert len(long.fields[0].raw) == 8192
    assert long.truncated and long.defects


@pytest.mark.parametrize(
    ("raw", "name", "expected"),
    [
        (b" =?utf-8?B?w6k=?= =?utf-8?B?w6k=?=\n", b"subject", b"\xc3\xa9\xc3\xa9"),
        # a character split across two encoded words survives (Bug 7249)
        (b" =?utf-8?Q?=C3?= =?utf-8?Q?=A9?=\n", b"subject", b"\xc3\xa9"),
        # RFC 2231 language suffix ignored
        (b" =?US-ASCII*EN?Q?Keith_Moore?=\n", b"subject", b"Keith Moore"),
        (b" =?utf-8?Q?x?=\n", b"received", b"=?utf-8?Q?x?="),
    ],
)
def test_decode_header_value(raw: bytes, name: bytes, expected: bytes) -> None:
    assert decode_header_value(raw, name) == expected


def test_sloppy_transfer_encodings() -> None:
    assert decode_base64(b"QUJDRA") == b"ABCD"  # no padding (Util.pm uudecode path)
    assert decode_base64(b"QUJD") == b"ABC"
    assert decode_qp(b"a=3db=3D") == b"a=b="


def test_hosts_and_ips() -> None:
    registry = RegistryData({"com", "uk", "org"}, {"co.uk"}, set())
    assert find_host(b"user@Mail.Example.CO.UK", False, registry) == b"Mail.Example.CO.UK"
    assert find_host(b"http://www.Example.COM/path", False, registry) is None  # §5.5 item 3
    assert trim_domain(b"sub.example.co.uk", registry) == b"example.co.uk"
    assert reverse_ip_address(b"192.0.2.55") == b"55.2.0.192"
    assert reverse_ip_address(b"2001:db8::1") is not None


def test_configured_trust_and_envelope_from() -> None:
    msg = parse_sa_message(
        b"Received: from a.example ([198.51.100.20]) by mx.example.net with ESMTP"
        b" id 1 (envelope-from <s@a.example>)\n\n",
        TrustConfig(trusted_networks=("198.51.100.0/24",)),
    )
    assert msg.get("X-Spam-Relays-Untrusted") == b""
    assert b"ip=198.51.100.20" in (msg.get("X-Spam-Relays-Trusted") or b"")
    assert msg.get("EnvelopeFrom") == b"s@a.example"
