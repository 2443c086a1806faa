"""The grammar of ``Received`` lines: each pattern ``Received.pm`` tries, compiled once.

Input: nothing (built at import). Output: compiled ``regex`` bytes patterns, some behind a
literal guard (:mod:`spamhdr.message._guarded`), named for the MTA format they were written
for, in the order ``Message/Metadata/Received.pm parse_received_line`` tries them (the
order that matters lives in :mod:`spamhdr.message.received_formats`). Invariants: every
pattern is applied to a line whose white space is single spaces (``received.py``
normalises it first); ``IP`` is ``Constants.pm IP_ADDRESS`` (case-insensitive, as the Perl
``qr//xi`` it interpolates).

The patterns are Perl regexes re-expressed; see the Perl file for the long history (and the
example header) of each format.
"""

from __future__ import annotations

import re
from typing import Final

import regex

from spamhdr.message._guarded import guarded as _g
from spamhdr.message.hosts import IP_ADDRESS

__all__ = [
    "ALTAVISTA",
    "AOL",
    "AOL_IP",
    "AOL_SMTPD",
    "AOL_WEBMAIL",
    "ARGOSOFT",
    "ARGOSOFT_1",
    "ATTBI_1",
    "ATTBI_2",
    "AT_PREFIX",
    "AUTH_CGP",
    "AUTH_COURIER",
    "AUTH_CP",
    "AUTH_DAV",
    "AUTH_GMAIL",
    "AUTH_GMAIL_TLS",
    "AUTH_GMX",
    "AUTH_MARKERS",
    "AUTH_POSTFIX",
    "AUTH_SENDMAIL",
    "AUTH_VIA_HTTP",
    "AUTH_WITH",
    "BLS",
    "BRACKET_DOTTED",
    "BRACKET_SUB",
    "BSMTP",
    "BY",
    "CGP",
    "CGP_ACCOUNT",
    "CGP_VERIFIED",
    "CIPHERTRUST",
    "CONTENT_TECH",
    "CSMAP",
    "DATE",
    "DATE_SHORT",
    "DATE_SHORT_BYTES",
    "DOMINO",
    "DOMINO_1",
    "ECELERITY",
    "ECELERITY_1",
    "ECELERITY_2",
    "EMAIL_INFO",
    "ENVFROM",
    "ENVFROM_LEAD",
    "ENVFROM_TRAIL",
    "EXCHANGE_IMS",
    "EXIM",
    "EXIM_1",
    "EXIM_2",
    "EXIM_3",
    "EXIM_BY",
    "EXIM_HELO",
    "EXIM_IP",
    "EXIM_LOCAL",
    "EXIM_RDNS",
    "FALLBACK_IP",
    "FROM_BY_SEMI",
    "FSECURE",
    "GMX",
    "GUESS_HELO",
    "HELO_CMD",
    "HELO_EQ",
    "HELO_EQ_FMT",
    "HOTMAIL",
    "HTTP_NUMERIC",
    "ID",
    "IDENT_AT_BRACKET",
    "IDENT_PREFIX",
    "IGNORE",
    "IGNORE_2",
    "INTERNAP",
    "INTERSCAN",
    "IP",
    "IPV6_PREFIX",
    "IP_PRIVATE",
    "IRONPORT",
    "JQUEUEMAIL",
    "LEADING_IP",
    "LMTP",
    "LOCALHOST",
    "LSMTP_FOR",
    "MAILGATE",
    "MAPPED_V4",
    "MDAEMON",
    "MDAEMON_2",
    "MESSAGEWALL",
    "MS_SERVER",
    "MS_SERVER_1",
    "NAVGW",
    "OBTUSE",
    "OUTBLAZE",
    "PAREN_IP",
    "POBOX",
    "POP_FETCH",
    "POST",
    "POSTFIX",
    "POSTFIX_1",
    "POSTFIX_2",
    "POST_1",
    "PROXYING",
    "QMAIL",
    "QMAILISH_1",
    "QMAILISH_2",
    "QMAIL_1",
    "QMAIL_2",
    "QMAIL_3",
    "QMAIL_4",
    "QMAIL_LDAP",
    "QMAIL_SCANNER",
    "QPSMTPD",
    "REUSCH",
    "SCALIX",
    "SCALIX_1",
    "SCOPE",
    "SENDMAIL_1",
    "SENDMAIL_2",
    "SENDMAIL_3",
    "SENDMAIL_4",
    "SENDMAIL_T",
    "SHAPE_FLAGS",
    "SIMTA",
    "SMAP_1",
    "SMAP_2",
    "SMTPD32",
    "SMTPSVC",
    "SMTPSVC_1",
    "SMTPSVC_PICKUP",
    "SPIKE",
    "SQUIRREL",
    "SQUIRREL_IP",
    "STRIP_CHARS",
    "STRIP_TABLE",
    "SUB_HELO",
    "SUB_IDENT",
    "SYNTHETIC",
    "TUMBLEWEED",
    "UNEARTHED",
    "UNKNOWN_RDNS",
    "UNVERIFIED",
    "VIA_HTTP",
    "VIA_SMAP",
    "WITH_BSMTP",
    "WITH_HTTP",
    "WITH_HTTP_FOR",
    "WITH_LOCAL_FOR",
    "XMAIL",
    "XMAIL_1",
    "XMAIL_FROM",
    "XMAIL_ID",
    "YAHOO_HTTP",
    "YAHOO_LOGIN",
    "YAHOO_PLAIN",
    "AnyMatch",
    "is_private_ip",
]

IP: Final = rb"(?i:" + IP_ADDRESS + rb")"
_Q = rb"(?:0{1,4}:)"
# Constants.pm LOCALHOST (flags /xi)
LOCALHOST: Final = (
    rb"(?i:(?:localhost(?:\.localdomain)?"
    rb"|\b(?<!:)127\.0\.0\.1\b"
    rb"|(?:IPv6:|(?<![a-f0-9:]))(?:"
    rb"(?:" + _Q + rb"{5}ffff:|::" + _Q + rb"{0,4}ffff:|" + _Q + rb"{1,4}:ffff:"
    rb"|0{1,4}::" + _Q + rb"{1,3}ffff:|" + _Q + rb"{2}:0{1,2}:ffff:|" + _Q + rb"{3}:0:ffff:"
    rb"|" + _Q + rb"{4}:ffff:)127\.0\.0\.1"
    rb"|" + _Q + rb"{7}0{0,3}1|:(?::0{1,4}){0,6}:0{0,3}1|0{1,4}:(?::0{1,4}){0,5}:0{0,3}1"
    rb"|" + _Q + rb"{2}(?::0{1,4}){0,4}:0{0,3}1|" + _Q + rb"{3}(?::0{1,4}){0,3}:0{0,3}1"
    rb"|" + _Q + rb"{4}(?::0{1,4}){0,2}:0{0,3}1|" + _Q + rb"{5}(?::0{1,4}){0,1}:0{0,3}1"
    rb"|" + _Q + rb"{6}:0{0,3}1)(?![a-f0-9:])))"
)
_PRIV4 = (
    rb"(?:10|127|169\.254|172\.(?:1[6-9]|2[0-9]|3[01])|192\.168"
    rb"|100\.(?:6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7]))"
)
# Constants.pm IP_PRIVATE (flags /xi)
IP_PRIVATE = re.compile(
    rb"^(?:" + _PRIV4 + rb"\..*"
    rb"|(?:(?:IPv6:|(?<![a-f0-9:]))(?:"
    rb"(?:" + _Q + rb"{5}ffff:|::" + _Q + rb"{0,4}ffff:|" + _Q + rb"{1,4}:ffff:"
    rb"|0{1,4}::" + _Q + rb"{1,3}ffff:|" + _Q + rb"{2}:0{1,2}:ffff:|" + _Q + rb"{3}:0:ffff:"
    rb"|" + _Q + rb"{4}:ffff:)" + _PRIV4 + rb"\..*"
    rb"|fe[89ab][0-9a-f]:.*"
    rb"|" + _Q + rb"{7}0{0,3}1|:(?::0{1,4}){0,6}:0{0,3}1|0{1,4}:(?::0{1,4}){0,5}:0{0,3}1"
    rb"|" + _Q + rb"{2}(?::0{1,4}){0,4}:0{0,3}1|" + _Q + rb"{3}(?::0{1,4}){0,3}:0{0,3}1"
    rb"|" + _Q + rb"{4}(?::0{1,4}){0,2}:0{0,3}1|" + _Q + rb"{5}(?::0{1,4}){0,1}:0{0,3}1"
    rb"|" + _Q + rb"{6}:0{0,3}1)(?![a-f0-9:])))",
    re.I,
)


def is_private_ip(ip: bytes) -> bool:
    """``Constants.pm IP_PRIVATE``: RFC 1918, loopback, link-local, CGN, mapped, fe80::/10."""
    return IP_PRIVATE.search(ip) is not None


#: A match of either engine (the guards and QMAIL are regex patterns, the rest re).
AnyMatch = re.Match[bytes] | regex.Match[bytes]


def _c(pattern: bytes, flags: int = 0) -> re.Pattern[bytes]:
    # The standard library engine: these are our own fixed patterns (not rule text), which
    # both engines read alike (bytes, ASCII classes and case folding, no regex-only syntax;
    # test_received_engines.py compares them), and re's calls cost a third to a half of
    # regex's on lines this short. The patterns that backtrack badly on long lines (QMAIL,
    # DATE, ATTBI_2, AUTH_SENDMAIL, AUTH_CP, AUTH_COURIER) stay on regex and are searched
    # under the time limit (test_received_limits.py); the rest are linear or nearly so.
    return re.compile(pattern, flags)


WITH_LOCAL_FOR = _g((b"with local for",), rb"\bwith local for\b")
FROM_BY_SEMI = _c(rb"^from (\S+) by [^\s;]+ ?;", re.I)
BRACKET_DOTTED = _c(rb"^\[[\d.]+\]$")
# DATE and ATTBI_2: quadratic or worse on long runs of their own fragments ("; ; ; ...",
# "(a.b[1.2.3.4][1.2.3.4]..."): searched under the regex time limit. DATE_SHORT is DATE on
# re, for the end of a line that is short enough that quadratic is still quick
# (DATE_SHORT_BYTES).
_DATE = (
    rb"[\s;]+(?:(?:Mon|T(?:ue|hu)|Wed|Fri|S(?:at|un)), )?\d+ (?:J(?:an|u[nl])|Feb|Ma[ry]|A(?:pr|ug)"
    rb"|Sep|Oct|Nov|Dec) \d+ \d+:\d+(?::\d+)? \S+$"
)
DATE = regex.compile(_DATE)
DATE_SHORT = _c(_DATE)
DATE_SHORT_BYTES: Final = 256
ID = _c(rb" id <?([^\s<>;]{3,})")
HELO_CHARS = rb"[-A-Za-z0-9\.\^+_&:=?!@%*\$\\\/]"
HELO_EQ = _g((b"helo=",), rb"\bhelo=(" + HELO_CHARS + rb"+)(?:[^-A-Za-z0-9\.\^+_&:=?!@%*\$\\\/]|$)")
HELO_CMD = _g(
    (b"EHLO", b"HELO"),
    rb"\b(?:HELO|EHLO) (" + HELO_CHARS + rb"+)(?:[^-A-Za-z0-9\.\^+_&:=?!@%*\$\\\/]|$)",
)
BY = _c(rb" by (\S+)(?:[^-A-Za-z0-9\;\.]|$)")

# -- authentication markers (first match wins) ------------------------------------------------
AUTH_WITH = _c(rb" with ((?:ES|L|UTF8S|UTF8L)MTPS?A|ASMTP|HTTP[SU]?)(?: |;|$)", re.I)
AUTH_GMAIL = _g(
    (b" by mx.google.com with ESMTPS id ",),
    rb" by mx\.google\.com with ESMTPS id [a-z0-9]{1,4}sm[0-9]{2,9}[a-z]{3}\.[0-9]{1,3}\.[0-9]{4}"
    rb"\.(?:[0-6][0-9]\.){4}[0-6][0-9]",
)
AUTH_GMAIL_TLS = _c(rb"\(version=([^ ]+) cipher=([^\)]+)\)")
AUTH_COURIER = _g(
    (b" (AUTH: ",),
    rb"^from .*?(?:\]\)|\)\]) \(AUTH: (LOGIN|PLAIN|DIGEST-MD5|CRAM-MD5) \S+(?:, .*?)?\) by ",
)
# AUTH_SENDMAIL, AUTH_CP (and AUTH_COURIER): lazy repeats in a row, searched under the regex
# time limit.
AUTH_SENDMAIL = regex.compile(
    rb"^from .*?(?:\](?: \([^)]*\))?\)|\)\]) .*?\(.*?authenticated.*?\).*? by"
)
AUTH_GMX = _g(
    (b"mail.gmx.",),
    rb"from \S* \((?:HELO|EHLO) (\S*)\) \[(" + IP + rb")\] by (mail\.gmx\.(?:net|com)) \([^\)]+\) "
    rb"with ((?:ESMTP|SMTP))",
)
AUTH_CP = regex.compile(
    rb"\) by .+ \(\d{1,2}\.\d\.\d{3}(?:\.\d{1,3})?\) \(authenticated as .+\) id "
)
AUTH_POSTFIX = _g(
    (b") (Authenticated sender: ",), rb"\) \(Authenticated sender: \S+\) by \S+ \(([^\)]+)\) with "
)
AUTH_CGP = _g((b"CommuniGate Pro ",), rb"CommuniGate Pro (HTTP|SMTP|XIMSS|IMAP)")
AUTH_VIA_HTTP = _c(rb" \(via (HTTP.?)\)(?: |;|$)", re.I)
AUTH_DAV = _c(rb" with Microsoft Exchange Server HTTP-DAV\b")
#: Lower-cased literals one of which every match of AUTH_GMAIL ... AUTH_DAV (the markers
#: between AUTH_WITH and AUTH_VIA_HTTP) contains, case-folded (test_received_shapes.py).
AUTH_MARKERS: Final = (
    b"mx.google.com",
    b"(auth: ",
    b"authenticated",
    b"mail.gmx.",
    b"communigate pro ",
    b"http-dav",
)

# -- the "from ..." formats --------------------------------------------------------------------
# (The plain-substring conditions below are str: they are tested on the line's latin-1 text,
# see _guarded.py.)
ENVFROM = _c(rb"(?:return-path:? |envelope-(?:sender|from)[ =])(\S+)\b", re.I)
SQUIRREL = _g((b" authenticated user ",), rb" \((?:SquirrelMail|NaSMail) authenticated user ")
SQUIRREL_IP = _c(rb"(" + IP + rb")\b(?![.-]).{10,80}by (\S+) with HTTP")
AOL = _g((b"aol.com",), rb"aol\.com")
AOL_WEBMAIL = _c(rb"with HTTP \(WebMailUI\)")
AOL_IP = _c(rb"(" + IP + rb") by (\S+) \(" + IP + rb"\) with HTTP \(WebMailUI\)")
SMTPSVC = _g((b" SMTPSVC",), rb" SMTPSVC")
SMTPSVC_1 = _c(rb"^(\S*) \(\[(" + IP + rb")\][^\)]{0,40}\) by (\S+) with Microsoft SMTPSVC")
SMTPSVC_PICKUP = _c(rb"^mail pickup service by (\S+) with Microsoft SMTPSVC$")
MS_SERVER = _g(
    (b"Microsoft SMTP Server", b"mapi id"),
    rb" with (?:Microsoft SMTP Server|mapi id) (?:\([^\)]+\) )?\d+\.\d+\.\d+\.\d+(?:$| )",
)
MS_SERVER_1 = _c(rb"^(\S+) \(\[?(" + IP + rb")(?:%[A-Z0-9._~-]*)?\]?\) by (\S+) ")
XMAIL = _g((b"[XMail ",), rb"\[XMail ")
XMAIL_1 = _c(rb"^(\S+) \((\[?" + IP + rb"\]?)(?::\d+)\) by (\S+)(?: \(\S+\))? with \[XMail")
XMAIL_ID = _c(rb" id <(\S+)>")
XMAIL_FROM = _c(rb" from <(\S+)>")
ECELERITY = _g((b"(ecelerity",), rb"\(ecelerity\b")
ECELERITY_1 = _c(rb"^\(\[(" + IP + rb"):\d+\] helo=(\S+)\) by (\S+) ")
ECELERITY_2 = _c(rb"^\S+ \(\[(" + IP + rb"):\d+\]\) by (\S+) ")
EXIM: Final = "Exim"  # /Exim/: a plain substring
EXIM_LOCAL = _c(rb"\bwith local(?:-\S+)? ")
EXIM_1 = _c(rb"^\[(" + IP + rb")\] \((.*?)\) by (\S+) ")
EXIM_2 = _c(rb"^(\S+) \(\[(" + IP + rb")\](.*?)\) by (\S+) ")
EXIM_3 = _c(rb"^(\S+) \[(" + IP + rb")\](:\d+)? by (\S+) ")
EXIM_RDNS = _c(rb"^(\S+) ")
EXIM_HELO = _c(rb" \((\S+)\) ")
EXIM_IP = _c(rb" \[(" + IP + rb")(?:\.\d+)?\] ")
EXIM_BY = _c(rb"by (\S+) ")
SUB_HELO = _c(rb"helo=(\S+)")
SUB_IDENT = _c(rb"ident=(\S*)")
POSTFIX: Final = " (Postfix) with"  # / \(Postfix\) with/: a plain substring
POSTFIX_1 = _c(rb"^(\S+) \((\S+) \[(" + IP + rb")\]\) by (\S+) ")
POSTFIX_2 = _c(rb"^(\S+) \((\S+)\[(" + IP + rb")\]\) by (\S+) ")
SCALIX = _g((b"(Scalix SMTP Relay",), rb"\(Scalix SMTP Relay")
SCALIX_1 = _c(rb"^(\S+) \( ?(" + IP + rb")\) by (\S+)")
DOMINO = _g((b" (Lotus Domino ",), rb" \(Lotus Domino ")
DOMINO_1 = _c(rb"^(\S+) \(\[(" + IP + rb")\]\) by (\S+) \(Lotus")
WITH_HTTP = _g((b"with HTTP",), rb"\bwith HTTP\b")
HTTP_NUMERIC = _c(rb"^(" + IP + rb") \(\[" + IP + rb"\]\) by (\S+)")
QMAIL_LDAP = _g((b" (qmail-",), rb" by \S+ \(qmail-\S+\) with ")
SENDMAIL_1 = _c(rb"^(\S+) \((\S+) \[(" + IP + rb")\].*\) by (\S+) \(")
IDENT_PREFIX = _g((b"@",), rb"^IDENT:([^\@]*)\@")
AT_PREFIX = _g((b"@",), rb"^([^\@]*)\@")
EXCHANGE_IMS = _c(rb"^(\S+) \((\S+) \[(" + IP + rb")\]\) by (\S+) with \S+ \(")
HELO_EQ_FMT = _g((b"] helo=",), rb"^(\S+) \(\[(" + IP + rb")\] helo=(\S+)\) by (\S+) with ")
ATTBI_1 = _g((b" (<unknown",), rb"^(\S+) \(<unknown\S*>\[(" + IP + rb")\]\) by (\S+) ")
ATTBI_2 = regex.compile(rb"^(\S+) \((\S+\.\S+)\[(" + IP + rb")\]\) by (\S+) ")
IDENT_AT_BRACKET = _c(rb"^(\S+) \((\S*)\@\[(" + IP + rb")\].*\) by (\S+) \(")
HOTMAIL = _g((b".hotmail.msn.com",), rb"by (\S+\.hotmail\.msn\.com) ")
LEADING_IP = _c(rb"^(" + IP + rb") ")
QPSMTPD = _g(
    (b" (qpsmtpd/",),
    rb"^(\S+) \((?:HELO|EHLO) (\S*)\) \(("
    + IP
    + rb")\) by (\S+) \(qpsmtpd/\S+\) with (?:ESMTP|SMTP)",
)
LMTP = _g((b" with LMTP",), rb"^(\S+) \(LHLO (\S*)\) \((" + IP + rb")\) by (\S+) with LMTP")
GMX = _c(
    rb"^(\S+) \((?:HELO|EHLO) (\S*)\) \[(" + IP + rb")\] by (\S+) \([^\)]+\) with (?:ESMTP|SMTP)"
)
AOL_SMTPD = _g(
    (b" via smtpd (for ",),
    rb"^(\S+) \(\[(" + IP + rb")\]\) by (\S+) via smtpd \(for \S+\) with SMTP\(",
)
# Nested repeats ("( \(.+\))*", "(.* )?"): searched under the regex time limit.
QMAIL = regex.compile(
    rb"^\S+( \((?:HELO|EHLO) \S*\))? \((\S+\@)?\[?" + IP + rb"\]?\)( \(envelope-sender <\S+>\))? "
    rb"by \S+( \(.+\))* with (.* )?(SMTP|QMQP)(?! id )"
)
QMAIL_1 = _c(
    rb"^(\S+) \((?:HELO|EHLO) ([^ \(\)]*)\) \((\S*)\@\[?(" + IP + rb")\]?\)"
    rb"( \(envelope-sender <\S+>\))? by (\S+)"
)
QMAIL_2 = _c(
    rb"^(\S+) \((?:HELO|EHLO) ([^ \(\)]*)\) \(\[?("
    + IP
    + rb")\]?\)( \(envelope-sender <\S+>\))? by (\S+)"
)
QMAIL_3 = _c(rb"^(\S+) \((\S*)\@\[?(" + IP + rb")\]?\)( \(envelope-sender <\S+>\))? by (\S+)")
QMAIL_4 = _c(rb"^(\S+) \(\[?(" + IP + rb")\]?\)( \(envelope-sender <\S+>\))? by (\S+)")
VIA_HTTP = _g((b" via HTTP",), rb" via HTTP$")
YAHOO_HTTP = _c(rb"^\[(" + IP + rb")\] by (\S+) via HTTP$")
REUSCH = _c(rb"^(\S+) \( \[(" + IP + rb")\]\).*? by (\S+) ")
UNEARTHED = _c(rb"^\((\S+) \[(" + IP + rb")\]\) by (\S+) ")
MESSAGEWALL = _c(rb"^\[(" + IP + rb")\] by (\S+) ")
PAREN_IP = _c(rb"^\(\[?(" + IP + rb")\]?\) by (\S+) ")
MDAEMON = _g((b"] with ",), rb"^(\S+) \[(" + IP + rb")\] by (\S+) \[" + IP + rb"\] with ")
MDAEMON_2 = _g((b")] by ",), rb"^(\S+) \[\((" + IP + rb")\)\] by (\S+) \(" + IP + rb"\) ")
SENDMAIL_2 = _c(rb"^(\S+) \(\[(" + IP + rb")\]\) by (\S+) \(")
SENDMAIL_3 = _c(rb"^(\S+) \((\S+) \[(" + IP + rb")\]\).*? by (\S+)\b")
INTERNAP = _c(rb"^(\S+) \(\[(" + IP + rb")(?:[.:]\d+)?\]\).*? by (\S+) ")
SENDMAIL_4 = _c(rb"^(\S+) \((\S+) \[(" + IP + rb")\]\)(?: \(authenticated bits=\d+\))? by (\S+) \(")
POP_FETCH = _c(rb"with (?:POP3|IMAP)")
QMAILISH_1 = _c(rb"^(\S+) \((?:HELO|EHLO) ([^\)]*)\) \((\S*@)?\[?(" + IP + rb")\]?\).* by (\S+) ")
QMAILISH_2 = _c(rb"^(\S+) \((\S*@)?\[?(" + IP + rb")\]?\).* by (\S+) ")
WITH_HTTP_FOR: Final = " with http for "  # / with http for /: a plain substring
OUTBLAZE = _c(rb"^\[(" + IP + rb")\] by (\S+) with http for ")
VIA_SMAP: Final = " via smap "  # / via smap /: a plain substring
SMAP_1 = _c(rb"^(\S+)\((" + IP + rb")\) by (\S+) via smap ")
SMAP_2 = _c(rb"^(\S+)\((" + IP + rb"), (?:HELO|EHLO) (\S*)\) by (\S+) via smap ")
POST: Final = " (Post"  # / \(Post/: a plain substring
POST_1 = _c(rb"^\[(" + IP + rb")\] by (\S+) \(Post")
ARGOSOFT: Final = " (ArGoSoft"  # / \(ArGoSoft/: a plain substring
ARGOSOFT_1 = _c(rb"^\[(" + IP + rb")\] by (\S+) \(ArGoSoft")
INTERSCAN = _c(rb"^(" + IP + rb") by (\S+) \((?:SMTPL|InterScan)\b")
WITH_BSMTP: Final = " with BSMTP"  # / with BSMTP/: a plain substring
BSMTP = _c(rb"^\S+ by \S+ with BSMTP")
SPIKE = _c(rb"^(\S+) \((\S+) \[(" + IP + rb")\]\) by (\S+) with ")
YAHOO_PLAIN = _c(
    rb"^(\S+) \((?:HELO|EHLO) (\S*)\) \((?:(\S+)\@)?(" + IP + rb").*?\) by (\S+) with "
)
CGP_ACCOUNT = _c(rb"^\[(" + IP + rb")\] \((?:account \S+ )?(?:HELO|EHLO) (\S*)\) by (\S+) \(")
CGP: Final = " (CommuniGate Pro"  # / \(CommuniGate Pro/: a plain substring
CGP_VERIFIED = _c(rb"^(\S+) \(\[(" + IP + rb")\] verified\) by (\S+) \(")
CIPHERTRUST = _c(rb"^\(\[(" + IP + rb")\]\) by (\S+) with ")
IRONPORT = _c(rb"^([^\d]\S+) \((" + IP + rb")\) by (\S+) ")
CONTENT_TECH = _c(rb"^\S+ \(\S+\) by \S+ \(Content Technologies ")
BLS = _c(rb"^(\S+) \(\[(" + IP + rb")\] \[(\S+)\]\) by (\S+) with ")
TUMBLEWEED = _c(rb"^(" + IP + rb") by (\S+) with ")
POBOX = _c(rb"^(\S+) \((\S+)\[(" + IP + rb")\]\) by (\S+) ")
FSECURE = _c(rb"^\[(" + IP + rb")\]\S+ \((?:HELO|EHLO) (\S*)\) by (\S+) ")
ALTAVISTA = _c(rb"^(" + IP + rb") \((?:HELO|EHLO) (\S*)\) by (\S+) ")
SMTPD32 = _c(rb"^(\S+) \[(" + IP + rb")\] by (\S+) ")
CSMAP = _c(rb"^(\S+)\((" + IP + rb")\) by (\S+) ")
MAILGATE = _c(rb"^\[(" + IP + rb")\] by (\S+) \(MailGate ")
UNVERIFIED = _c(rb"^(\S+) \(unverified \[(" + IP + rb")\]\) by (\S+) ")
PROXYING = _c(rb"^(" + IP + rb") \([A-Za-z][^\)]+\) by (\S+) with ")
BRACKET_SUB = _c(rb"^\[(" + IP + rb")\] \(([^\)]+)\) by (\S+) ")
EMAIL_INFO = _c(rb"^(\S+) \((?:\S+\@)?(" + IP + rb")\) by (\S+) with ")
OBTUSE = _c(rb"^(\S+)\((" + IP + rb")\)(?:, claiming to be \"(\S+)\")? via \S+ by (\S+),")
YAHOO_LOGIN = _c(rb"^(\S+) \((\S+)@(" + IP + rb") with login\) by (\S+\.yahoo\.com) with SMTP")
SYNTHETIC = _c(rb"^X-Originating-IP: (" + IP + rb")$")

# -- the shape of a line's start ------------------------------------------------------------
#: Flag name → the pattern that defines it, on a line after "from " whose white space is
#: single spaces. A format pattern that opens with one of these (or with something only
#: they can match) is tried only when the flag is set (received_formats.line_shape).
SHAPE_FLAGS: Final = (
    ("bracket_1st", rb"^\["),
    ("paren_1st", rb"^\("),
    ("paren_2nd", rb"^\S* \("),
    ("paren_bracket_2nd", rb"^\S* \(\["),
    ("bracket_2nd", rb"^\S* \["),
    ("helo_2nd", rb"^\S* \((?:HELO|EHLO) "),
    ("by_2nd", rb"^\S* by "),
    ("bracket_3rd", rb"^\S* \S* \["),
    ("by_3rd", rb"^\S* \S* by "),
)

# -- handovers to ignore (return 0) ------------------------------------------------------------
# IGNORE, IGNORE_2: tried only on lines no format took. Any match means "return 0", so each
# list is one alternation (one search), under the regex time limit (some branches, like
# "^\S+\@\S+ by", are quadratic on one long token).
IGNORE: Final = regex.compile(
    b"|".join(
        b"(?:" + p + b")"
        for p in (
            rb"^\S+ \([^\s\@]+\@" + LOCALHOST + rb"\) by \S+ \(",
            rb"^\S+ \S+ by \S+ with local-e?smtp ",
            rb"^127\.0\.0\.1 \(AVG SMTP \S+ \[\S+\]\)",
            rb"^\S+\@\S+ by \S+ by uid \S+ ",
            rb"^\S+\@\S+ by \S+ ",
            rb"^Unknown/Local \(",
            rb"^" + LOCALHOST + rb" \((?:\S+\@)?" + LOCALHOST + rb"[\)\[]",
            rb"^\S+ \((?:\S+\@)?" + LOCALHOST + rb"\) ",
            rb"^\S+ \(\S+\@\S+ \[" + LOCALHOST + rb"\]\) ",
            rb"^\(AUTH: \S+\) by \S+ with ",
            rb"^localhost \(localhost \[\[UNIX: localhost\]\]\) by ",
            rb"^\S+\.amazon\.com by \S+\.amazon\.com with ESMTP \(peer crosscheck: ",
            rb"^[^\.]+ by \S+ with Novell_GroupWise",
            rb"^no\.name\.available by \S+ via smtpd \(for ",
        )
    )
)
QMAIL_SCANNER = _c(rb"^\S+ by \S+ \(.{0,100}\) with qmail-scanner")
#: IGNORE_2's one unanchored branch, / \(LSMTP for/: a plain substring, tested on the line's
#: text beside the alternation (inside it, it made regex try the whole alternation at every
#: position of the line: ~20 us a line, against ~1 us for the anchored branches alone).
LSMTP_FOR: Final = "(LSMTP for"
IGNORE_2: Final = regex.compile(
    b"|".join(
        b"(?:" + p + b")"
        for p in (
            rb"^\S+ by \S+ with local",
            rb"^\S+ \(\[unix socket\]\) by \S+ \(Cyrus v[0-9]*?\.[0-9]*?\.[0-9]*?\) with LMTPA",
            rb"^\S+ by \S+ (?:with|via|for|\()",
            rb"^\S+ (?:(?:with|via|for) \S+|\(unverified\)) by\b",
            rb"^\S+ \(unknown\) by \S+ \(SG\) with \b",
            rb"^\S+ \(\S+ \[local\]\) by \S+ \(OpenSMTPD\) with \b",
            rb"^\(\[" + LOCALHOST + rb"\]\) with MailEnable ",
            rb"^facebook\.com \([^\)]+\) by facebook\.com with Thrift id \S+$",
            rb"^\S+ named \S+ by gmailapi\.google\.com with HTTPREST$",
            rb"^\S+ id \S+$",
            rb"^\[<.*? \(Jetsend",
        )
    )
)
GUESS_HELO = _c(rb"^(\S+)[^-A-Za-z0-9\.]")
SIMTA = _c(
    rb"^(\S+) \((\S+) \[(" + IP + rb")\]\) BY (\S+) (?:\([^\)]+\) WITH SMTP )?ID <?(\S+?)>?"
    rb"(?: FOR <[^>]+>)?$"
)
NAVGW = _c(rb"^(\S*) \[(" + IP + rb")\]\) by (\S+) \(NAVGW .*?\) with ")
SENDMAIL_T = _c(rb"^\S+\@localhost\) by \S+ ")
JQUEUEMAIL = _c(rb"^[^\s\@]+\@[^)]+\) by \S+\(jqueuemail\) id [^\s;]+")
FALLBACK_IP = _c(rb"\[(" + IP + rb")\]")
UNKNOWN_RDNS = _c(rb"^unknown$", re.I)
IPV6_PREFIX = _c(rb"^ipv6:", re.I)
SCOPE = _c(rb"%[A-Z0-9._~-]*\Z", re.I | re.S)
MAPPED_V4 = _c(rb"^0*:0*:(?:0*:)*ffff:(\d+\.\d+\.\d+\.\d+)$", re.I)
STRIP_CHARS = _c(rb"[\s\x00#\[\]\(\)<>|]")
#: Every byte STRIP_CHARS matches becomes "!" (a translation table computed from it).
STRIP_TABLE: Final = bytes(
    0x21 if STRIP_CHARS.match(bytes((byte,))) else byte for byte in range(256)
)
ENVFROM_LEAD = _c(rb"^\s*<*")
ENVFROM_TRAIL = _c(rb">*\s*$")
