"""Received lines built to make the parser's backtracking patterns slow stop at the limit.

A few ``Received.pm`` patterns backtrack a lot (the Sendmail, Courier and CriticalPath
authentication markers, the qmail and AT&T formats, the date): on a long line made of their
own fragments they take time polynomial in its length (a 32 kB line of
``( authenticated`` took over a minute without a limit). The parser searches them under
the regex time limit; a time-out counts as no match and is reported on the trust path.
"""

from __future__ import annotations

import time

import pytest

from spamhdr.message.received import ReceivedParser, Relay
from spamhdr.message.trust import TrustConfig, compute_trust_path

SLOW_LINES = {
    "sendmail auth": b"from a]) " + b"( authenticated " * 2000 + b" by x",
    "courier auth": b"from " + b"]) (AUTH: LOGIN x, " * 2000,
    "attbi": b"from a (" + b"b.c[192.0.2.1]" * 3000 + b"]) by x ",
    "fall-through": b"from " + b"x@[" * 40000,
    "date": b"from a (b [192.0.2.1]) by c" + b" ;" * 3000 + b" 1 Foo 2000 10:00 x",
}


@pytest.mark.parametrize("name", sorted(SLOW_LINES))
def test_a_slow_line_stops_at_the_time_limit(name: str) -> None:
    parser = ReceivedParser(0.05)
    start = time.process_time()
    parser.parse(SLOW_LINES[name])
    assert time.process_time() - start < 5.0
    assert parser.timed_out


def test_a_time_out_is_reported_on_the_trust_path() -> None:
    path = compute_trust_path([SLOW_LINES["sendmail auth"]], [], TrustConfig(), 0.05)
    assert path.timed_out


def test_ordinary_lines_do_not_time_out() -> None:
    # Sendmail's marker for an authenticated submission (Received.pm: "Sendmail").
    line = (
        b"from a.example (a.example [192.0.2.1]) (authenticated bits=0) "
        b"by b.example (8.14.4/8.14.4) with ESMTP id x1"
    )
    parser = ReceivedParser(1.0)
    relay = parser.parse(line)
    assert not parser.timed_out
    assert isinstance(relay, Relay)
    assert relay.auth == b"Sendmail"
