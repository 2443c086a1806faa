"""The ``Received`` formats: a normalised line → the fields its MTA's format gives.

Input: one ``Received`` line after ``received.py`` normalised it (single spaces, trailing
semicolons and the date removed) and a :class:`Fields` record. Output: the record filled
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
    AUTH_CGP,
    AUTH_COURIER,
    AUTH_CP,
    AUTH_GMAIL,
    AUTH_GMAIL_TLS,
    AUTH_GMX,
    AUTH_POSTFIX,
    AUTH_SENDMAIL,
    AUTH_VIA_HTTP,
    AUTH_WITH,
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
    HAS_BY,
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
)
from spamhdr.message.received_model import SKIPPED, Fields, Skipped

__all__ = ["BoundedSearch", "find_auth", "match_from", "match_paren_from", "match_simta"]

#: ``pattern.search(s)`` under the regex time limit (a time-out counts as no match).
BoundedSearch = Callable[[regex.Pattern[bytes], bytes], "regex.Match[bytes] | None"]


def match_from(s: bytes, f: Fields, bounded: BoundedSearch) -> bool | Skipped | None:
    """The ``if (s/^from //)`` branch: the MTA formats, in ``Received.pm``'s order.

    Args:
        s: the normalised line after ``from ``.
        f: the fields found so far (id, helo, by, auth); filled in here.
        bounded: ``search`` with the regex time limit, for the backtracking-prone pattern.

    Returns:
        True ("goto enough"), a :class:`Skipped` ("return 0") or None (fall through).
    """
    low = s.lower()
    if (b"return-path" in low or b"envelope-" in low) and (m := ENVFROM.search(s)):
        f.envfrom = m.group(1)
    if SQUIRREL.search(s) and (m := SQUIRREL_IP.search(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if AOL.search(s) and AOL_WEBMAIL.search(s) and (m := AOL_IP.search(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if SMTPSVC.search(s):
        if m := SMTPSVC_1.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if SMTPSVC_PICKUP.match(s):
            return SKIPPED
    elif MS_SERVER.search(s):
        if m := MS_SERVER_1.match(s):
            f.helo, f.ip, f.by, f.id = m.group(1), m.group(2), m.group(3), b""
            return True
    elif XMAIL.search(s):
        if m := XMAIL_1.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            if mm := XMAIL_ID.search(s):
                f.id = mm.group(1)
            if mm := XMAIL_FROM.search(s):
                f.envfrom = mm.group(1)
            return True
    elif ECELERITY.search(s):
        if m := ECELERITY_1.match(s):
            f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := ECELERITY_2.match(s):
            f.ip, f.by = m.group(1), m.group(2)
            return True
    elif EXIM.search(s):
        if EXIM_LOCAL.search(s):
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
    elif POSTFIX.search(s):
        for pat in (POSTFIX_1, POSTFIX_2):
            if m := pat.match(s):
                f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
                if f.rdns == b"unknown":
                    f.rdns = b""
                return True
    elif SCALIX.search(s):
        if m := SCALIX_1.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
    elif DOMINO.search(s) and (m := DOMINO_1.match(s)):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if WITH_HTTP.search(s) and (m := HTTP_NUMERIC.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if not QMAIL_LDAP.search(s) and (m := SENDMAIL_1.match(s)):
        f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        if mm := IDENT_PREFIX.match(f.rdns):
            f.ident = mm.group(1)
            f.rdns = f.rdns[mm.end() :]
        if mm := AT_PREFIX.match(f.rdns):
            f.ident = mm.group(1)
            f.rdns = f.rdns[mm.end() :]
        return True
    if m := EXCHANGE_IMS.match(s):
        f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if m := HELO_EQ_FMT.match(s):
        f.rdns, f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if m := ATTBI_1.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := ATTBI_2.match(s):
        f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if m := IDENT_AT_BRACKET.match(s):
        f.helo, f.ident, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if m := HOTMAIL.search(s):
        f.by = m.group(1)
        if mm := LEADING_IP.match(s):
            f.ip = mm.group(1)
        return True
    if m := QPSMTPD.match(s):
        f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if m := LMTP.match(s):
        f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if m := GMX.match(s):
        f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if m := AOL_SMTPD.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if bounded(QMAIL, s) is not None:
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
    if VIA_HTTP.search(s) and (m := YAHOO_HTTP.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if m := REUSCH.match(s):
        f.ip, f.by = m.group(2), m.group(3)
        return True
    if m := UNEARTHED.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := MESSAGEWALL.match(s):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if m := PAREN_IP.match(s):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if m := MDAEMON.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := MDAEMON_2.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := SENDMAIL_2.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := SENDMAIL_3.match(s):
        if m.group(2) != b"softdnserr":
            f.rdns = m.group(2)
        f.helo, f.ip, f.by = m.group(1), m.group(3), m.group(4)
        return True
    if m := INTERNAP.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := SENDMAIL_4.match(s):
        f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if POP_FETCH.search(s):
        return Skipped(pop_fetcher=True)
    if m := QMAILISH_1.match(s):
        f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(4), m.group(5)
        f.ident = m.group(3) or b""
        if f.ident:
            f.ident = f.ident.removesuffix(b"@")
        return True
    if m := QMAILISH_2.match(s):
        f.rdns = f.helo = m.group(1)
        f.ident = m.group(2) or b""
        f.ip, f.by = m.group(3), m.group(4)
        if f.ident:
            f.ident = f.ident.removesuffix(b"@")
        return True
    if WITH_HTTP_FOR.search(s) and (m := OUTBLAZE.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if VIA_SMAP.search(s) and (m := SMAP_1.match(s)):
        f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := SMAP_2.match(s):
        f.rdns, f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if POST.search(s) and (m := POST_1.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if ARGOSOFT.search(s) and (m := ARGOSOFT_1.match(s)):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if m := INTERSCAN.match(s):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if WITH_BSMTP.search(s) and BSMTP.match(s):
        return SKIPPED
    if m := SPIKE.match(s):
        f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if m := YAHOO_PLAIN.match(s):
        f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(4), m.group(5)
        if m.group(3) is not None:
            f.ident = m.group(3)
        return True
    if m := CGP_ACCOUNT.match(s):
        f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if CGP.search(s) and (m := CGP_VERIFIED.match(s)):
        f.rdns = f.helo = m.group(1)
        f.ip, f.by = m.group(2), m.group(3)
        return True
    if m := CIPHERTRUST.match(s):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if m := IRONPORT.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if CONTENT_TECH.match(s):
        return SKIPPED
    if m := BLS.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(4)
        return True
    if m := TUMBLEWEED.match(s):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if m := POBOX.match(s):
        f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
        return True
    if m := FSECURE.match(s):
        f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := ALTAVISTA.match(s):
        f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := SMTPD32.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := CSMAP.match(s):
        f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := MAILGATE.match(s):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if m := UNVERIFIED.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := PROXYING.match(s):
        f.ip, f.by = m.group(1), m.group(2)
        return True
    if m := BRACKET_SUB.match(s):
        f.ip, f.by = m.group(1), m.group(3)
        _exim_sub(m.group(2), f)
        return True
    if m := EMAIL_INFO.match(s):
        f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if m := OBTUSE.match(s):
        f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(4)
        f.helo = m.group(3) or b""
        return True
    if m := YAHOO_LOGIN.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(3), m.group(4)
        return True
    if m := SYNTHETIC.match(s):
        f.ip, f.by = m.group(1), b""
        return True
    for pat in IGNORE:
        if pat.search(s):
            return SKIPPED
    if QMAIL_SCANNER.match(s):
        env = f.envfrom
        if env is not None:
            env = ENVFROM_LEAD.sub(b"", env)
            env = ENVFROM_TRAIL.sub(b"", env)
            env = env.translate(STRIP_TABLE)
        return Skipped(qmail_scanner_envfrom=env)
    for pat in IGNORE_2:
        if pat.search(s):
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


def find_auth(s: bytes) -> bytes:
    has_by = HAS_BY.search(s) is not None
    if has_by and (m := AUTH_WITH.search(s)):
        return m.group(1)
    if AUTH_GMAIL.search(s) and (m := AUTH_GMAIL_TLS.search(s)):
        return b"GMail - transport=" + m.group(1) + b" cipher=" + m.group(2)
    if m := AUTH_COURIER.match(s):
        return m.group(1)
    if b"authenticated" in s and AUTH_SENDMAIL.match(s):
        return b"Sendmail"
    if m := AUTH_GMX.search(s):
        return b"GMX (" + m.group(4) + b" / " + m.group(3) + b")"
    if b" (authenticated as " in s and AUTH_CP.search(s):
        return b"CriticalPath"
    if m := AUTH_POSTFIX.search(s):
        return m.group(1) if m.group(1) == b"Postfix" else b"Postfix (" + m.group(1) + b")"
    if AUTH_CGP.search(s) and b" (account " in s:
        return b"Communigate"
    if b" with Microsoft Exchange Server HTTP-DAV" in s and regex.search(
        rb" with Microsoft Exchange Server HTTP-DAV\b", s
    ):
        return b"HTTP-DAV"
    if has_by and (m := AUTH_VIA_HTTP.search(s)):
        return m.group(1)
    return b""


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
