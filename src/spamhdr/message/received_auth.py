"""The authentication marker of a ``Received`` line (``Received.pm``'s ``$auth``).

Input: a normalised ``Received`` line (single spaces, date removed) and its lower-cased
copy. Output: the marker text SpamAssassin records as ``auth=`` (``ESMTPA``, ``Sendmail``,
``Postfix (...)``, ``GMail - transport=...``), or ``b""``. Invariants: the markers are
tried in ``Received.pm``'s order and the first match wins; the case-folded marker test in
front of eight of them only skips patterns that cannot match (``test_received_shapes.py``).
"""

from __future__ import annotations

from spamhdr.message.received_formats import BoundedSearch
from spamhdr.message.received_grammar import (
    AUTH_CGP,
    AUTH_COURIER,
    AUTH_CP,
    AUTH_DAV,
    AUTH_GMAIL,
    AUTH_GMAIL_TLS,
    AUTH_GMX,
    AUTH_POSTFIX,
    AUTH_SENDMAIL,
    AUTH_VIA_HTTP,
    AUTH_WITH,
    AnyMatch,
)

__all__ = ["find_auth"]


def find_auth(s: bytes, low: bytes, bounded: BoundedSearch) -> bytes:
    """The authentication marker of a line (``Received.pm``'s ``$auth``; first match wins).

    Args:
        s: the normalised line.
        low: ``s.lower()``.
        bounded: ``search`` under the regex time limit, for the three patterns whose lazy
            repeats take time cubic in the line length (a 32 kB line took 70 s unbounded).
    """
    m: AnyMatch | None
    has_by = b" by " in s
    if has_by and (m := AUTH_WITH.search(s)):
        return m.group(1)
    # Each of the next eight needs one of AUTH_MARKERS (case-folded): most lines have none.
    # (The markers are written out: test_received_shapes.py checks they are AUTH_MARKERS.)
    if (
        b"mx.google.com" in low
        or b"(auth: " in low
        or b"authenticated" in low
        or b"mail.gmx." in low
        or b"communigate pro " in low
        or b"http-dav" in low
    ):
        if AUTH_GMAIL.search(s) and (m := AUTH_GMAIL_TLS.search(s)):
            return b"GMail - transport=" + m.group(1) + b" cipher=" + m.group(2)
        # "^from": search and match agree.
        if b" (AUTH: " in s and (m := bounded(AUTH_COURIER.pattern, s)):
            return m.group(1)
        if b"authenticated" in s and bounded(AUTH_SENDMAIL, s):
            return b"Sendmail"
        if m := AUTH_GMX.search(s):
            return b"GMX (" + m.group(4) + b" / " + m.group(3) + b")"
        if b" (authenticated as " in s and bounded(AUTH_CP, s):
            return b"CriticalPath"
        if m := AUTH_POSTFIX.search(s):
            return m.group(1) if m.group(1) == b"Postfix" else b"Postfix (" + m.group(1) + b")"
        if AUTH_CGP.search(s) and b" (account " in s:
            return b"Communigate"
        if b" with Microsoft Exchange Server HTTP-DAV" in s and AUTH_DAV.search(s):
            return b"HTTP-DAV"
    if has_by and b" (via " in low and (m := AUTH_VIA_HTTP.search(s)):
        return m.group(1)
    return b""
