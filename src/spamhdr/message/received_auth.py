"""The authentication marker of a ``Received`` line (``Received.pm``'s ``$auth``).

Input: a normalised ``Received`` line (single spaces, date removed), its latin-1 text and
the latin-1 text of its lower-cased copy (the literal tests run on the text: the same
answer as on the bytes at a third of the cost, see ``_guarded.py``). Output: the marker
text SpamAssassin records as ``auth=`` (``ESMTPA``, ``Sendmail``, ``Postfix (...)``,
``GMail - transport=...``), or ``b""``. Invariants: the markers are tried in
``Received.pm``'s order and the first match wins; the case-folded marker test in front of
eight of them only skips patterns that cannot match (``test_received_shapes.py``).
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


def find_auth(s: bytes, text: str, low: str, bounded: BoundedSearch) -> bytes:
    """The authentication marker of a line (``Received.pm``'s ``$auth``; first match wins).

    Args:
        s: the normalised line.
        text: ``s.decode("latin-1")``, for the literal tests (see ``_guarded.py``).
        low: ``s.lower().decode("latin-1")`` (ASCII-only lower-casing, as the bytes).
        bounded: ``search`` under the regex time limit, for the three patterns whose lazy
            repeats take time cubic in the line length (a 32 kB line took 70 s unbounded).
    """
    m: AnyMatch | None
    has_by = " by " in text
    if has_by and (m := AUTH_WITH.search(s)):
        return m.group(1)
    # Each of the next eight needs one of AUTH_MARKERS (case-folded): most lines have none.
    # (The markers are written out: test_received_shapes.py checks they are AUTH_MARKERS.)
    if (
        "mx.google.com" in low
        or "(auth: " in low
        or "authenticated" in low
        or "mail.gmx." in low
        or "communigate pro " in low
        or "http-dav" in low
    ):
        if AUTH_GMAIL.search(s, text) and (m := AUTH_GMAIL_TLS.search(s)):
            return b"GMail - transport=" + m.group(1) + b" cipher=" + m.group(2)
        # "^from": search and match agree.
        if " (AUTH: " in text and (m := bounded(AUTH_COURIER.pattern, s)):
            return m.group(1)
        if "authenticated" in text and bounded(AUTH_SENDMAIL, s):
            return b"Sendmail"
        if m := AUTH_GMX.search(s, text):
            return b"GMX (" + m.group(4) + b" / " + m.group(3) + b")"
        if " (authenticated as " in text and bounded(AUTH_CP, s):
            return b"CriticalPath"
        if m := AUTH_POSTFIX.search(s, text):
            return m.group(1) if m.group(1) == b"Postfix" else b"Postfix (" + m.group(1) + b")"
        if AUTH_CGP.search(s, text) and " (account " in text:
            return b"Communigate"
        if " with Microsoft Exchange Server HTTP-DAV" in text and AUTH_DAV.search(s):
            return b"HTTP-DAV"
    if has_by and " (via " in low and (m := AUTH_VIA_HTTP.search(s)):
        return m.group(1)
    return b""
