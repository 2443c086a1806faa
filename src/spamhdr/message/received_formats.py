"""The ``Received`` formats: a normalised line → the fields its MTA's format gives.

Input: one ``Received`` line after ``received.py`` normalised it (single spaces, trailing
semicolons and the date removed), its latin-1 text and that of its lower-cased copy (the
literal tests run on the text: same answer as on the bytes, a third of the cost, see
``_guarded.py``), and a :class:`Fields` record. Output: the record filled
in, and whether the line was parsed (True), skipped (:class:`Skipped`) or not recognised
(None). Invariants: the formats are tried in the order of ``Message/Metadata/Received.pm
parse_received_line`` and the first one that matches decides; a literal test in front of a
pattern only ever skips a pattern that cannot match (see ``_guarded.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import regex

from spamhdr.message.received_grammar import (
    ALTAVISTA,
    AOL,
    AOL_IP,
    AOL_SMTPD,
    AOL_WEBMAIL,
    ARGOSOFT,
    ARGOSOFT_1,
    AT_PREFIX,
    ATTBI_1,
    ATTBI_2,
    BLS,
    BRACKET_SUB,
    BSMTP,
    CGP,
    CGP_ACCOUNT,
    CGP_VERIFIED,
    CIPHERTRUST,
    CONTENT_TECH,
    CSMAP,
    DOMINO,
    DOMINO_1,
    ECELERITY,
    ECELERITY_1,
    ECELERITY_2,
    EMAIL_INFO,
    ENVFROM,
    ENVFROM_LEAD,
    ENVFROM_TRAIL,
    EXCHANGE_IMS,
    EXIM,
    EXIM_1,
    EXIM_2,
    EXIM_3,
    EXIM_BY,
    EXIM_HELO,
    EXIM_IP,
    EXIM_LOCAL,
    EXIM_RDNS,
    FSECURE,
    GMX,
    GUESS_HELO,
    HELO_EQ_FMT,
    HOTMAIL,
    HTTP_NUMERIC,
    IDENT_AT_BRACKET,
    IDENT_PREFIX,
    IGNORE,
    IGNORE_2,
    INTERNAP,
    INTERSCAN,
    IRONPORT,
    JQUEUEMAIL,
    LEADING_IP,
    LMTP,
    LSMTP_FOR,
    MAILGATE,
    MDAEMON,
    MDAEMON_2,
    MESSAGEWALL,
    MS_SERVER,
    MS_SERVER_1,
    NAVGW,
    OBTUSE,
    OUTBLAZE,
    PAREN_IP,
    POBOX,
    POP_FETCH,
    POST,
    POST_1,
    POSTFIX,
    POSTFIX_1,
    POSTFIX_2,
    PROXYING,
    QMAIL,
    QMAIL_1,
    QMAIL_2,
    QMAIL_3,
    QMAIL_4,
    QMAIL_LDAP,
    QMAIL_SCANNER,
    QMAILISH_1,
    QMAILISH_2,
    QPSMTPD,
    REUSCH,
    SCALIX,
    SCALIX_1,
    SENDMAIL_1,
    SENDMAIL_2,
    SENDMAIL_3,
    SENDMAIL_4,
    SENDMAIL_T,
    SIMTA,
    SMAP_1,
    SMAP_2,
    SMTPD32,
    SMTPSVC,
    SMTPSVC_1,
    SMTPSVC_PICKUP,
    SPIKE,
    SQUIRREL,
    SQUIRREL_IP,
    STRIP_TABLE,
    SUB_HELO,
    SUB_IDENT,
    SYNTHETIC,
    TUMBLEWEED,
    UNEARTHED,
    UNVERIFIED,
    VIA_HTTP,
    VIA_SMAP,
    WITH_BSMTP,
    WITH_HTTP,
    WITH_HTTP_FOR,
    XMAIL,
    XMAIL_1,
    XMAIL_FROM,
    XMAIL_ID,
    YAHOO_HTTP,
    YAHOO_LOGIN,
    YAHOO_PLAIN,
    AnyMatch,
)
from spamhdr.message.received_model import SKIPPED, Fields, Skipped

__all__ = [
    "BoundedSearch",
    "line_shape",
    "match_from",
    "match_paren_from",
    "match_simta",
]

#: ``pattern.search(s)`` under the regex time limit (a time-out counts as no match).
BoundedSearch = Callable[[regex.Pattern[bytes], bytes], "regex.Match[bytes] | None"]


def line_shape(text: str) -> tuple[bool, bool, bool, bool, bool, bool, bool, bool, bool]:
    """The flags of :data:`~spamhdr.message.received_grammar.SHAPE_FLAGS`, in its order.

    ``text`` is the latin-1 text of a line that has single spaces and no other white space
    (``received.py`` normalised it), so the ``\\S*`` of a flag's definition ends at the
    first space: each flag is a test of the characters at the start of ``text`` or right
    after its first or second space (str slices and comparisons: mypyc primitives).
    """
    space = text.find(" ")
    if space < 0:
        return (text[:1] == "[", text[:1] == "(", False, False, False, False, False, False, False)
    second = text[space + 1 : space + 3]
    helo = text[space + 1 : space + 7]
    space2 = text.find(" ", space + 1)
    third = text[space2 + 1 : space2 + 4] if space2 >= 0 else ""
    return (
        text[:1] == "[",
        text[:1] == "(",
        second[:1] == "(",
        second == "([",
        second[:1] == "[",
        helo == "(HELO " or helo == "(EHLO ",
        text[space + 1 : space + 4] == "by ",
        third[:1] == "[",
        third == "by ",
    )


def match_from(
    s: bytes, text: str, low: str, f: Fields, bounded: BoundedSearch
) -> bool | Skipped | None:
    """The ``if (s/^from //)`` branch: the MTA formats, in ``Received.pm``'s order.

    Args:
        s: the normalised line after ``from ``.
        text: ``s.decode("latin-1")``: the literal tests run on it (see ``_guarded.py``).
        low: ``s.lower().decode("latin-1")`` (ASCII-only lower-casing, as the bytes).
        f: the fields found so far (id, helo, by, auth); filled in here.
        bounded: ``search`` with the regex time limit, for the backtracking-prone pattern.

    Returns:
        True ("goto enough"), a :class:`Skipped` ("return 0") or None (fall through).
    """
    m: AnyMatch | None
    mm: AnyMatch | None
    if ("return-path" in low or "envelope-" in low) and (m := ENVFROM.search(s)):
        f.envfrom = m.group(1)
    if (
        " authenticated user " in text
        and SQUIRREL.pattern.search(s)
        and (m := SQUIRREL_IP.search(s))
    ):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if (
        "aol.com" in text
        and AOL.pattern.search(s)
        and AOL_WEBMAIL.search(s)
        and (m := AOL_IP.search(s))
    ):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if " SMTPSVC" in text and SMTPSVC.pattern.search(s):
        if m := SMTPSVC_1.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if SMTPSVC_PICKUP.match(s):
            return SKIPPED
    elif ("Microsoft SMTP Server" in text or "mapi id" in text) and MS_SERVER.pattern.search(s):
        if m := MS_SERVER_1.match(s):
            f.helo, f.ip, f.by, f.id = m.group(1), m.group(2), m.group(3), b""
            return True
    elif "[XMail " in text and XMAIL.pattern.search(s):
        if m := XMAIL_1.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            if mm := XMAIL_ID.search(s):
                f.id = mm.group(1)
            if mm := XMAIL_FROM.search(s):
                f.envfrom = mm.group(1)
            return True
    elif "(ecelerity" in text and ECELERITY.pattern.search(s):
        if m := ECELERITY_1.match(s):
            f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := ECELERITY_2.match(s):
            f.ip, f.by = m.group(1), m.group(2)
            return True
    elif EXIM in text:
        if "with local" in text and EXIM_LOCAL.search(s):
            return SKIPPED
        if m := EXIM_1.match(s):
            f.ip, f.by = m.group(1), m.group(3)
            _exim_sub(m.group(2), f)
            return True
        if m := EXIM_2.match(s):
            f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(4)
            f.helo = f.rdns  # bug 5112
            _exim_sub(m.group(3), f)
            return True
        if m := EXIM_3.match(s):
            f.rdns = f.helo = m.group(1)
            f.ip, f.by = m.group(2), m.group(4)
            return True
        if m := EXIM_RDNS.match(s):
            f.rdns = m.group(1)
        if m := EXIM_HELO.search(s):
            f.helo = m.group(1)
        if m := EXIM_IP.search(s):
            f.ip = m.group(1)
        if m := EXIM_BY.search(s):
            f.by = m.group(1)
            if f.ip:
                return True
    elif POSTFIX in text:
        for pat in (POSTFIX_1, POSTFIX_2):
            if m := pat.match(s):
                f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
                if f.rdns == b"unknown":
                    f.rdns = b""
                return True
    elif "(Scalix SMTP Relay" in text and SCALIX.pattern.search(s):
        if m := SCALIX_1.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
    elif " (Lotus Domino " in text and DOMINO.pattern.search(s) and (m := DOMINO_1.match(s)):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if "with HTTP" in text and WITH_HTTP.pattern.search(s) and (m := HTTP_NUMERIC.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    # Each anchored format below is tried only when the line's start has its shape (a
    # pattern opening with "^(\S+) \(" needs "(" after the first space), and some only
    # when the line holds a literal every match holds (test_received_shapes.py checks
    # both against the patterns): speed only.
    (
        bracket_1st,
        paren_1st,
        paren_2nd,
        paren_bracket_2nd,
        bracket_2nd,
        helo_2nd,
        by_2nd,
        bracket_3rd,
        by_3rd,
    ) = line_shape(text)
    if (
        paren_2nd
        and bracket_3rd
        and not (" (qmail-" in text and QMAIL_LDAP.pattern.search(s))
        and (m := SENDMAIL_1.match(s))
    ):
        f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        if 0x40 in f.rdns and (mm := IDENT_PREFIX.pattern.match(f.rdns)):
            f.ident = mm.group(1)
            f.rdns = f.rdns[mm.end() :]
        if 0x40 in f.rdns and (mm := AT_PREFIX.pattern.match(f.rdns)):
            f.ident = mm.group(1)
            f.rdns = f.rdns[mm.end() :]
        return True
    if paren_2nd and bracket_3rd and (m := EXCHANGE_IMS.match(s)):
        f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if paren_bracket_2nd and (m := HELO_EQ_FMT.match(s, text)):
        f.rdns, f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if paren_2nd and (m := ATTBI_1.match(s, text)):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if paren_2nd and by_3rd and (m := bounded(ATTBI_2, s)):  # ^: search = match
        f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if paren_2nd and "@[" in text and (m := IDENT_AT_BRACKET.match(s)):
        f.helo, f.ident, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if ".hotmail.msn.com" in text and (m := HOTMAIL.pattern.search(s)):
        f.by = m.group(1)
        if mm := LEADING_IP.match(s):
            f.ip = mm.group(1)
        return True
    if helo_2nd and (m := QPSMTPD.match(s, text)):
        f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if paren_2nd and (m := LMTP.match(s, text)):
        f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if helo_2nd and (m := GMX.match(s)):
        f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if paren_bracket_2nd and (m := AOL_SMTPD.match(s, text)):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    # QMAIL ends "with (.* )?(SMTP|QMQP)": both "with " and ".* " end in a space, so a
    # match holds " SMTP" or " QMQP" (property-tested in test_received_shapes.py).
    if paren_2nd and (" SMTP" in text or " QMQP" in text) and bounded(QMAIL, s) is not None:
        if m := QMAIL_1.match(s):
            f.rdns, f.helo, f.ident, f.ip, f.by = (
                m.group(1),
                m.group(2),
                m.group(3),
                m.group(4),
                m.group(6),
            )
        elif m := QMAIL_2.match(s):
            f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(5)
        elif m := QMAIL_3.match(s):
            f.helo = f.rdns = m.group(1)
            f.ident, f.ip, f.by = m.group(2), m.group(3), m.group(5)
        elif m := QMAIL_4.match(s):
            f.helo = f.rdns = m.group(1)
            f.ip, f.by = m.group(2), m.group(4)
        if f.rdns == b"unknown":
            f.rdns = b""
        return True
    if " via HTTP" in text and VIA_HTTP.pattern.search(s) and (m := YAHOO_HTTP.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if paren_2nd and " ( [" in text and (m := REUSCH.match(s)):
        f.ip, f.by = m.group(2), m.group(3)
        return True
    if paren_1st and (m := UNEARTHED.match(s)):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if bracket_1st and (m := MESSAGEWALL.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if paren_1st and (m := PAREN_IP.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if bracket_2nd and "] with " in text and (m := MDAEMON.pattern.match(s)):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if bracket_2nd and (m := MDAEMON_2.match(s, text)):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if paren_bracket_2nd and (m := SENDMAIL_2.match(s)):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if paren_2nd and bracket_3rd and (m := SENDMAIL_3.match(s)):
        if m.group(2) != b"softdnserr":
            f.rdns = m.group(2)
        f.helo, f.ip, f.by = m.group(1), m.group(3), m.group(4)
        return True
    if paren_bracket_2nd and (m := INTERNAP.match(s)):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if paren_2nd and bracket_3rd and (m := SENDMAIL_4.match(s)):
        f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if POP_FETCH.search(s):
        return Skipped(pop_fetcher=True)
    if helo_2nd and (m := QMAILISH_1.match(s)):
        f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(4), m.group(5)
        f.ident = m.group(3) or b""
        if f.ident:
            f.ident = f.ident.removesuffix(b"@")
        return True
    if paren_2nd and (m := QMAILISH_2.match(s)):
        f.rdns = f.helo = m.group(1)
        f.ident = m.group(2) or b""
        f.ip, f.by = m.group(3), m.group(4)
        if f.ident:
            f.ident = f.ident.removesuffix(b"@")
        return True
    if WITH_HTTP_FOR in text and (m := OUTBLAZE.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if VIA_SMAP in text and (m := SMAP_1.match(s)):
        f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if VIA_SMAP in text and (m := SMAP_2.match(s)):
        f.rdns, f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if POST in text and (m := POST_1.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if ARGOSOFT in text and (m := ARGOSOFT_1.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if by_2nd and ("InterScan" in text or "SMTPL" in text) and (m := INTERSCAN.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if WITH_BSMTP in text and BSMTP.match(s):
        return SKIPPED
    if paren_2nd and bracket_3rd and (m := SPIKE.match(s)):
        f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if helo_2nd and (m := YAHOO_PLAIN.match(s)):
        f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(4), m.group(5)
        if m.group(3) is not None:
            f.ident = m.group(3)
        return True
    if bracket_1st and (m := CGP_ACCOUNT.match(s)):
        f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if CGP in text and (m := CGP_VERIFIED.match(s)):
        f.rdns = f.helo = m.group(1)
        f.ip, f.by = m.group(2), m.group(3)
        return True
    if paren_1st and (m := CIPHERTRUST.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if m := IRONPORT.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if paren_2nd and CONTENT_TECH.match(s):
        return SKIPPED
    if paren_bracket_2nd and "] [" in text and (m := BLS.match(s)):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(4)
        return True
    if by_2nd and (m := TUMBLEWEED.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if paren_2nd and (m := POBOX.match(s)):
        f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if bracket_1st and (m := FSECURE.match(s)):
        f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if helo_2nd and (m := ALTAVISTA.match(s)):
        f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if bracket_2nd and (m := SMTPD32.match(s)):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := CSMAP.match(s):
        f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if bracket_1st and (m := MAILGATE.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if paren_2nd and (m := UNVERIFIED.match(s)):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if paren_2nd and (m := PROXYING.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if bracket_1st and (m := BRACKET_SUB.match(s)):
        f.ip, f.by = m.group(1), m.group(3)
        _exim_sub(m.group(2), f)
        return True
    if paren_2nd and (m := EMAIL_INFO.match(s)):
        f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := OBTUSE.match(s):
        f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(4)
        f.helo = m.group(3) or b""
        return True
    if paren_2nd and (m := YAHOO_LOGIN.match(s)):
        f.helo, f.ip, f.by = m.group(1), m.group(3), m.group(4)
        return True
    if m := SYNTHETIC.match(s):
        f.ip, f.by = m.group(1), b""
        return True
    if bounded(IGNORE, s):
        return SKIPPED
    if QMAIL_SCANNER.match(s):
        env = f.envfrom
        if env is not None:
            env = ENVFROM_LEAD.sub(b"", env)
            env = ENVFROM_TRAIL.sub(b"", env)
            env = env.translate(STRIP_TABLE)
        return Skipped(qmail_scanner_envfrom=env)
    if LSMTP_FOR in text or bounded(IGNORE_2, s):
        return SKIPPED
    if not f.helo and (m := GUESS_HELO.match(s)):
        f.helo = m.group(1)
    return None


def _exim_sub(sub: bytes, f: Fields) -> None:
    # $sub =~ s/helo=(\S+)// and $helo = $1; $sub =~ s/ident=(\S*)// and $ident = $1;
    if m := SUB_HELO.search(sub):
        f.helo = m.group(1)
        sub = sub[: m.start()] + sub[m.end() :]
    if m := SUB_IDENT.search(sub):
        f.ident = m.group(1)


def match_simta(s: bytes, f: Fields) -> bool | None:
    if m := SIMTA.match(s):
        f.helo, f.rdns, f.ip, f.by, f.id = (
            m.group(1),
            m.group(2),
            m.group(3),
            m.group(4),
            m.group(5),
        )
        if f.rdns == b"unverified":
            f.rdns = b""
        return True
    return None


def match_paren_from(s: bytes, f: Fields) -> bool | Skipped | None:
    if m := NAVGW.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if SENDMAIL_T.match(s) or JQUEUEMAIL.match(s):
        return SKIPPED
    return None
