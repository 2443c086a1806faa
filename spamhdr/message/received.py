"""One ``Received:`` value → a relay record, as ``Message/Metadata/Received.pm`` parses it.

Input: the decoded value of one ``Received`` header (or a synthetic ``from
X-Originating-IP: <ip>`` line). Output: a :class:`Relay`, :data:`SKIPPED` (a handover that
is deliberately ignored: local delivery, fetchmail, BSMTP ...), or ``None`` (unparseable).
Invariants: pure, never raises; field values contain no whitespace or ``#[]()<>|`` (those
become ``!``, sa-rules.md §5.8).

This is SpamAssassin's ``parse_received_line`` re-expressed: the same ordered list of
MTA-specific formats, tried in the same order, each pattern preceded by the example header
it was written for (see the Perl file for the long history of each format). The patterns
are Perl regexes; ``IP`` below is ``Constants.pm IP_ADDRESS`` (case-insensitive, as the
Perl ``qr//xi`` it interpolates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import regex

from spamhdr.message._guarded import guarded as _g
from spamhdr.message.hosts import IP_ADDRESS

__all__ = ["SKIPPED", "ParseOutcome", "ReceivedParser", "Relay", "is_private_ip"]

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
_IP_PRIVATE = regex.compile(
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
    regex.I,
)


def is_private_ip(ip: bytes) -> bool:
    """``Constants.pm IP_PRIVATE``: RFC 1918, loopback, link-local, CGN, mapped, fe80::/10."""
    return _IP_PRIVATE.search(ip) is not None


@dataclass(frozen=True, slots=True)
class Relay:
    """One parsed handover (the fields of ``X-Spam-Relays-*``).

    ``envfrom`` is ``None`` when the header named no envelope sender.
    """

    ip: bytes
    rdns: bytes
    helo: bytes
    by: bytes
    ident: bytes
    envfrom: bytes | None
    id: bytes
    auth: bytes
    ip_private: bool
    pop_fetcher: bool = False

    def as_string(self, internal: bool, msa: bool) -> bytes:
        """``make_relay_as_string`` with the final ``intl``/``msa`` flags."""
        envfrom = self.envfrom if self.envfrom not in (None, b"", b"0") else b""
        assert envfrom is not None
        return b"".join(
            (
                b"[ ip=",
                self.ip,
                b" rdns=",
                self.rdns,
                b" helo=",
                self.helo,
                b" by=",
                self.by,
                b" ident=",
                self.ident,
                b" envfrom=",
                envfrom,
                b" intl=",
                b"1" if internal else b"0",
                b" id=",
                self.id,
                b" auth=",
                self.auth,
                b" msa=",
                b"1" if msa else b"0",
                b" ]",
            )
        )


class _Skipped:
    __slots__ = ("pop_fetcher", "qmail_scanner_envfrom")

    def __init__(self, pop_fetcher: bool = False, qmail_scanner_envfrom: bytes | None = None):
        self.pop_fetcher = pop_fetcher
        self.qmail_scanner_envfrom = qmail_scanner_envfrom


SKIPPED: Final = _Skipped()
ParseOutcome = Relay | _Skipped | None


def _c(pattern: bytes, flags: int = 0) -> regex.Pattern[bytes]:
    return regex.compile(pattern, flags)


_STARTS_FROM = _c(rb"^\(?from ", regex.I)
_WITH_LOCAL_FOR = _g((b"with local for",), rb"\bwith local for\b")
_FROM_BY_SEMI = _c(rb"^from (\S+) by [^\s;]+ ?;", regex.I)
_BRACKET_DOTTED = _c(rb"^\[[\d.]+\]$")
_DATE = _c(
    rb"[\s;]+(?:(?:Mon|T(?:ue|hu)|Wed|Fri|S(?:at|un)), )?\d+ (?:J(?:an|u[nl])|Feb|Ma[ry]|A(?:pr|ug)"
    rb"|Sep|Oct|Nov|Dec) \d+ \d+:\d+(?::\d+)? \S+$"
)
_ID = _c(rb" id <?([^\s<>;]{3,})")
_HELO_CHARS = rb"[-A-Za-z0-9\.\^+_&:=?!@%*\$\\\/]"
_HELO_EQ = _g(
    (b"helo=",), rb"\bhelo=(" + _HELO_CHARS + rb"+)(?:[^-A-Za-z0-9\.\^+_&:=?!@%*\$\\\/]|$)"
)
_HELO_CMD = _g(
    (b"EHLO", b"HELO"),
    rb"\b(?:HELO|EHLO) (" + _HELO_CHARS + rb"+)(?:[^-A-Za-z0-9\.\^+_&:=?!@%*\$\\\/]|$)",
)
_BY = _c(rb" by (\S+)(?:[^-A-Za-z0-9\;\.]|$)")

# -- authentication markers (first match wins) ------------------------------------------------
_HAS_BY = _c(rb" by ")
_AUTH_WITH = _c(rb" with ((?:ES|L|UTF8S|UTF8L)MTPS?A|ASMTP|HTTP[SU]?)(?: |;|$)", regex.I)
_AUTH_GMAIL = _g(
    (b" by mx.google.com with ESMTPS id ",),
    rb" by mx\.google\.com with ESMTPS id [a-z0-9]{1,4}sm[0-9]{2,9}[a-z]{3}\.[0-9]{1,3}\.[0-9]{4}"
    rb"\.(?:[0-6][0-9]\.){4}[0-6][0-9]",
)
_AUTH_GMAIL_TLS = _c(rb"\(version=([^ ]+) cipher=([^\)]+)\)")
_AUTH_COURIER = _g(
    (b" (AUTH: ",),
    rb"^from .*?(?:\]\)|\)\]) \(AUTH: (LOGIN|PLAIN|DIGEST-MD5|CRAM-MD5) \S+(?:, .*?)?\) by ",
)
_AUTH_SENDMAIL = _c(rb"^from .*?(?:\](?: \([^)]*\))?\)|\)\]) .*?\(.*?authenticated.*?\).*? by")
_AUTH_GMX = _g(
    (b"mail.gmx.",),
    rb"from \S* \((?:HELO|EHLO) (\S*)\) \[(" + IP + rb")\] by (mail\.gmx\.(?:net|com)) \([^\)]+\) "
    rb"with ((?:ESMTP|SMTP))",
)
_AUTH_CP = _c(rb"\) by .+ \(\d{1,2}\.\d\.\d{3}(?:\.\d{1,3})?\) \(authenticated as .+\) id ")
_AUTH_POSTFIX = _g(
    (b") (Authenticated sender: ",), rb"\) \(Authenticated sender: \S+\) by \S+ \(([^\)]+)\) with "
)
_AUTH_CGP = _g((b"CommuniGate Pro ",), rb"CommuniGate Pro (HTTP|SMTP|XIMSS|IMAP)")
_AUTH_VIA_HTTP = _c(rb" \(via (HTTP.?)\)(?: |;|$)", regex.I)

# -- the "from ..." formats --------------------------------------------------------------------
_ENVFROM = _c(rb"(?:return-path:? |envelope-(?:sender|from)[ =])(\S+)\b", regex.I)
_SQUIRREL = _g((b" authenticated user ",), rb" \((?:SquirrelMail|NaSMail) authenticated user ")
_SQUIRREL_IP = _c(rb"(" + IP + rb")\b(?![.-]).{10,80}by (\S+) with HTTP")
_AOL = _g((b"aol.com",), rb"aol\.com")
_AOL_WEBMAIL = _c(rb"with HTTP \(WebMailUI\)")
_AOL_IP = _c(rb"(" + IP + rb") by (\S+) \(" + IP + rb"\) with HTTP \(WebMailUI\)")
_SMTPSVC = _g((b" SMTPSVC",), rb" SMTPSVC")
_SMTPSVC_1 = _c(rb"^(\S*) \(\[(" + IP + rb")\][^\)]{0,40}\) by (\S+) with Microsoft SMTPSVC")
_SMTPSVC_PICKUP = _c(rb"^mail pickup service by (\S+) with Microsoft SMTPSVC$")
_MS_SERVER = _g(
    (b"Microsoft SMTP Server", b"mapi id"),
    rb" with (?:Microsoft SMTP Server|mapi id) (?:\([^\)]+\) )?\d+\.\d+\.\d+\.\d+(?:$| )",
)
_MS_SERVER_1 = _c(rb"^(\S+) \(\[?(" + IP + rb")(?:%[A-Z0-9._~-]*)?\]?\) by (\S+) ")
_XMAIL = _g((b"[XMail ",), rb"\[XMail ")
_XMAIL_1 = _c(rb"^(\S+) \((\[?" + IP + rb"\]?)(?::\d+)\) by (\S+)(?: \(\S+\))? with \[XMail")
_XMAIL_ID = _c(rb" id <(\S+)>")
_XMAIL_FROM = _c(rb" from <(\S+)>")
_ECELERITY = _g((b"(ecelerity",), rb"\(ecelerity\b")
_ECELERITY_1 = _c(rb"^\(\[(" + IP + rb"):\d+\] helo=(\S+)\) by (\S+) ")
_ECELERITY_2 = _c(rb"^\S+ \(\[(" + IP + rb"):\d+\]\) by (\S+) ")
_EXIM = _g((b"Exim",), rb"Exim")
_EXIM_LOCAL = _c(rb"\bwith local(?:-\S+)? ")
_EXIM_1 = _c(rb"^\[(" + IP + rb")\] \((.*?)\) by (\S+) ")
_EXIM_2 = _c(rb"^(\S+) \(\[(" + IP + rb")\](.*?)\) by (\S+) ")
_EXIM_3 = _c(rb"^(\S+) \[(" + IP + rb")\](:\d+)? by (\S+) ")
_EXIM_RDNS = _c(rb"^(\S+) ")
_EXIM_HELO = _c(rb" \((\S+)\) ")
_EXIM_IP = _c(rb" \[(" + IP + rb")(?:\.\d+)?\] ")
_EXIM_BY = _c(rb"by (\S+) ")
_SUB_HELO = _c(rb"helo=(\S+)")
_SUB_IDENT = _c(rb"ident=(\S*)")
_POSTFIX = _g((b" (Postfix) with",), rb" \(Postfix\) with")
_POSTFIX_1 = _c(rb"^(\S+) \((\S+) \[(" + IP + rb")\]\) by (\S+) ")
_POSTFIX_2 = _c(rb"^(\S+) \((\S+)\[(" + IP + rb")\]\) by (\S+) ")
_SCALIX = _g((b"(Scalix SMTP Relay",), rb"\(Scalix SMTP Relay")
_SCALIX_1 = _c(rb"^(\S+) \( ?(" + IP + rb")\) by (\S+)")
_DOMINO = _g((b" (Lotus Domino ",), rb" \(Lotus Domino ")
_DOMINO_1 = _c(rb"^(\S+) \(\[(" + IP + rb")\]\) by (\S+) \(Lotus")
_WITH_HTTP = _g((b"with HTTP",), rb"\bwith HTTP\b")
_HTTP_NUMERIC = _c(rb"^(" + IP + rb") \(\[" + IP + rb"\]\) by (\S+)")
_QMAIL_LDAP = _g((b" (qmail-",), rb" by \S+ \(qmail-\S+\) with ")
_SENDMAIL_1 = _c(rb"^(\S+) \((\S+) \[(" + IP + rb")\].*\) by (\S+) \(")
_IDENT_PREFIX = _c(rb"^IDENT:([^\@]*)\@")
_AT_PREFIX = _c(rb"^([^\@]*)\@")
_EXCHANGE_IMS = _c(rb"^(\S+) \((\S+) \[(" + IP + rb")\]\) by (\S+) with \S+ \(")
_HELO_EQ_FMT = _g((b"] helo=",), rb"^(\S+) \(\[(" + IP + rb")\] helo=(\S+)\) by (\S+) with ")
_ATTBI_1 = _g((b" (<unknown",), rb"^(\S+) \(<unknown\S*>\[(" + IP + rb")\]\) by (\S+) ")
_ATTBI_2 = _c(rb"^(\S+) \((\S+\.\S+)\[(" + IP + rb")\]\) by (\S+) ")
_IDENT_AT_BRACKET = _c(rb"^(\S+) \((\S*)\@\[(" + IP + rb")\].*\) by (\S+) \(")
_HOTMAIL = _g((b".hotmail.msn.com",), rb"by (\S+\.hotmail\.msn\.com) ")
_LEADING_IP = _c(rb"^(" + IP + rb") ")
_QPSMTPD = _g(
    (b" (qpsmtpd/",),
    rb"^(\S+) \((?:HELO|EHLO) (\S*)\) \(("
    + IP
    + rb")\) by (\S+) \(qpsmtpd/\S+\) with (?:ESMTP|SMTP)",
)
_LMTP = _g((b" with LMTP",), rb"^(\S+) \(LHLO (\S*)\) \((" + IP + rb")\) by (\S+) with LMTP")
_GMX = _c(
    rb"^(\S+) \((?:HELO|EHLO) (\S*)\) \[(" + IP + rb")\] by (\S+) \([^\)]+\) with (?:ESMTP|SMTP)"
)
_AOL_SMTPD = _g(
    (b" via smtpd (for ",),
    rb"^(\S+) \(\[(" + IP + rb")\]\) by (\S+) via smtpd \(for \S+\) with SMTP\(",
)
_QMAIL = _c(
    rb"^\S+( \((?:HELO|EHLO) \S*\))? \((\S+\@)?\[?" + IP + rb"\]?\)( \(envelope-sender <\S+>\))? "
    rb"by \S+( \(.+\))* with (.* )?(SMTP|QMQP)(?! id )"
)
_QMAIL_1 = _c(
    rb"^(\S+) \((?:HELO|EHLO) ([^ \(\)]*)\) \((\S*)\@\[?(" + IP + rb")\]?\)"
    rb"( \(envelope-sender <\S+>\))? by (\S+)"
)
_QMAIL_2 = _c(
    rb"^(\S+) \((?:HELO|EHLO) ([^ \(\)]*)\) \(\[?("
    + IP
    + rb")\]?\)( \(envelope-sender <\S+>\))? by (\S+)"
)
_QMAIL_3 = _c(rb"^(\S+) \((\S*)\@\[?(" + IP + rb")\]?\)( \(envelope-sender <\S+>\))? by (\S+)")
_QMAIL_4 = _c(rb"^(\S+) \(\[?(" + IP + rb")\]?\)( \(envelope-sender <\S+>\))? by (\S+)")
_VIA_HTTP = _g((b" via HTTP",), rb" via HTTP$")
_YAHOO_HTTP = _c(rb"^\[(" + IP + rb")\] by (\S+) via HTTP$")
_REUSCH = _c(rb"^(\S+) \( \[(" + IP + rb")\]\).*? by (\S+) ")
_UNEARTHED = _c(rb"^\((\S+) \[(" + IP + rb")\]\) by (\S+) ")
_MESSAGEWALL = _c(rb"^\[(" + IP + rb")\] by (\S+) ")
_PAREN_IP = _c(rb"^\(\[?(" + IP + rb")\]?\) by (\S+) ")
_MDAEMON = _c(rb"^(\S+) \[(" + IP + rb")\] by (\S+) \[" + IP + rb"\] with ")
_MDAEMON_2 = _g((b")] by ",), rb"^(\S+) \[\((" + IP + rb")\)\] by (\S+) \(" + IP + rb"\) ")
_SENDMAIL_2 = _c(rb"^(\S+) \(\[(" + IP + rb")\]\) by (\S+) \(")
_SENDMAIL_3 = _c(rb"^(\S+) \((\S+) \[(" + IP + rb")\]\).*? by (\S+)\b")
_INTERNAP = _c(rb"^(\S+) \(\[(" + IP + rb")(?:[.:]\d+)?\]\).*? by (\S+) ")
_SENDMAIL_4 = _c(
    rb"^(\S+) \((\S+) \[(" + IP + rb")\]\)(?: \(authenticated bits=\d+\))? by (\S+) \("
)
_POP_FETCH = _c(rb"with (?:POP3|IMAP)")
_QMAILISH_1 = _c(rb"^(\S+) \((?:HELO|EHLO) ([^\)]*)\) \((\S*@)?\[?(" + IP + rb")\]?\).* by (\S+) ")
_QMAILISH_2 = _c(rb"^(\S+) \((\S*@)?\[?(" + IP + rb")\]?\).* by (\S+) ")
_WITH_HTTP_FOR = _c(rb" with http for ")
_OUTBLAZE = _c(rb"^\[(" + IP + rb")\] by (\S+) with http for ")
_VIA_SMAP = _c(rb" via smap ")
_SMAP_1 = _c(rb"^(\S+)\((" + IP + rb")\) by (\S+) via smap ")
_SMAP_2 = _c(rb"^(\S+)\((" + IP + rb"), (?:HELO|EHLO) (\S*)\) by (\S+) via smap ")
_POST = _c(rb" \(Post")
_POST_1 = _c(rb"^\[(" + IP + rb")\] by (\S+) \(Post")
_ARGOSOFT = _c(rb" \(ArGoSoft")
_ARGOSOFT_1 = _c(rb"^\[(" + IP + rb")\] by (\S+) \(ArGoSoft")
_INTERSCAN = _c(rb"^(" + IP + rb") by (\S+) \((?:SMTPL|InterScan)\b")
_WITH_BSMTP = _c(rb" with BSMTP")
_BSMTP = _c(rb"^\S+ by \S+ with BSMTP")
_SPIKE = _c(rb"^(\S+) \((\S+) \[(" + IP + rb")\]\) by (\S+) with ")
_YAHOO_PLAIN = _c(
    rb"^(\S+) \((?:HELO|EHLO) (\S*)\) \((?:(\S+)\@)?(" + IP + rb").*?\) by (\S+) with "
)
_CGP_ACCOUNT = _c(rb"^\[(" + IP + rb")\] \((?:account \S+ )?(?:HELO|EHLO) (\S*)\) by (\S+) \(")
_CGP = _c(rb" \(CommuniGate Pro")
_CGP_VERIFIED = _c(rb"^(\S+) \(\[(" + IP + rb")\] verified\) by (\S+) \(")
_CIPHERTRUST = _c(rb"^\(\[(" + IP + rb")\]\) by (\S+) with ")
_IRONPORT = _c(rb"^([^\d]\S+) \((" + IP + rb")\) by (\S+) ")
_CONTENT_TECH = _c(rb"^\S+ \(\S+\) by \S+ \(Content Technologies ")
_BLS = _c(rb"^(\S+) \(\[(" + IP + rb")\] \[(\S+)\]\) by (\S+) with ")
_TUMBLEWEED = _c(rb"^(" + IP + rb") by (\S+) with ")
_POBOX = _c(rb"^(\S+) \((\S+)\[(" + IP + rb")\]\) by (\S+) ")
_FSECURE = _c(rb"^\[(" + IP + rb")\]\S+ \((?:HELO|EHLO) (\S*)\) by (\S+) ")
_ALTAVISTA = _c(rb"^(" + IP + rb") \((?:HELO|EHLO) (\S*)\) by (\S+) ")
_SMTPD32 = _c(rb"^(\S+) \[(" + IP + rb")\] by (\S+) ")
_CSMAP = _c(rb"^(\S+)\((" + IP + rb")\) by (\S+) ")
_MAILGATE = _c(rb"^\[(" + IP + rb")\] by (\S+) \(MailGate ")
_UNVERIFIED = _c(rb"^(\S+) \(unverified \[(" + IP + rb")\]\) by (\S+) ")
_PROXYING = _c(rb"^(" + IP + rb") \([A-Za-z][^\)]+\) by (\S+) with ")
_BRACKET_SUB = _c(rb"^\[(" + IP + rb")\] \(([^\)]+)\) by (\S+) ")
_EMAIL_INFO = _c(rb"^(\S+) \((?:\S+\@)?(" + IP + rb")\) by (\S+) with ")
_OBTUSE = _c(rb"^(\S+)\((" + IP + rb")\)(?:, claiming to be \"(\S+)\")? via \S+ by (\S+),")
_YAHOO_LOGIN = _c(rb"^(\S+) \((\S+)@(" + IP + rb") with login\) by (\S+\.yahoo\.com) with SMTP")
_SYNTHETIC = _c(rb"^X-Originating-IP: (" + IP + rb")$")

# -- handovers to ignore (return 0) ------------------------------------------------------------
_IGNORE: Final = tuple(
    _c(p)
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
_QMAIL_SCANNER = _c(rb"^\S+ by \S+ \(.{0,100}\) with qmail-scanner")
_IGNORE_2: Final = tuple(
    _c(p)
    for p in (
        rb"^\S+ by \S+ with local",
        rb"^\S+ \(\[unix socket\]\) by \S+ \(Cyrus v[0-9]*?\.[0-9]*?\.[0-9]*?\) with LMTPA",
        rb"^\S+ by \S+ (?:with|via|for|\()",
        rb"^\S+ (?:(?:with|via|for) \S+|\(unverified\)) by\b",
        rb"^\S+ \(unknown\) by \S+ \(SG\) with \b",
        rb"^\S+ \(\S+ \[local\]\) by \S+ \(OpenSMTPD\) with \b",
        rb"\(LSMTP for",
        rb"^\(\[" + LOCALHOST + rb"\]\) with MailEnable ",
        rb"^facebook\.com \([^\)]+\) by facebook\.com with Thrift id \S+$",
        rb"^\S+ named \S+ by gmailapi\.google\.com with HTTPREST$",
        rb"^\S+ id \S+$",
        rb"^\[<.*? \(Jetsend",
    )
)
_GUESS_HELO = _c(rb"^(\S+)[^-A-Za-z0-9\.]")
_SIMTA = _c(
    rb"^(\S+) \((\S+) \[(" + IP + rb")\]\) BY (\S+) (?:\([^\)]+\) WITH SMTP )?ID <?(\S+?)>?"
    rb"(?: FOR <[^>]+>)?$"
)
_NAVGW = _c(rb"^(\S*) \[(" + IP + rb")\]\) by (\S+) \(NAVGW .*?\) with ")
_SENDMAIL_T = _c(rb"^\S+\@localhost\) by \S+ ")
_JQUEUEMAIL = _c(rb"^[^\s\@]+\@[^)]+\) by \S+\(jqueuemail\) id [^\s;]+")
_FALLBACK_IP = _c(rb"\[(" + IP + rb")\]")
_UNKNOWN_RDNS = _c(rb"^unknown$", regex.I)
_IPV6_PREFIX = _c(rb"^ipv6:", regex.I)
_SCOPE = _c(rb"%[A-Z0-9._~-]*\Z", regex.I | regex.S)
_MAPPED_V4 = _c(rb"^0*:0*:(?:0*:)*ffff:(\d+\.\d+\.\d+\.\d+)$", regex.I)
_STRIP_CHARS = _c(rb"[\s\x00#\[\]\(\)<>|]")
#: Every byte _STRIP_CHARS matches becomes "!" (a translation table computed from it).
_STRIP_TABLE: Final = bytes(
    0x21 if _STRIP_CHARS.match(bytes((byte,))) else byte for byte in range(256)
)
_ENVFROM_LEAD = _c(rb"^\s*<*")
_ENVFROM_TRAIL = _c(rb">*\s*$")


class _Fields:
    __slots__ = ("auth", "by", "envfrom", "helo", "id", "ident", "ip", "rdns")

    def __init__(self) -> None:
        self.ip = self.helo = self.rdns = self.by = self.id = self.ident = self.auth = b""
        self.envfrom: bytes | None = None


class ReceivedParser:
    """``parse_received_line`` with a regex time limit for the few backtracking patterns."""

    __slots__ = ("timed_out", "timeout")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.timed_out = False

    def parse(self, line: bytes) -> ParseOutcome:
        """Parse one Received value (folds already joined).

        Returns:
            A :class:`Relay`; :data:`SKIPPED` or another ``_Skipped`` (``return 0`` in Perl);
            ``None`` when the line could not be parsed.
        """
        # s/\s+/ /g, then one leading and one trailing space removed: bytes.split()
        # splits at runs of exactly regex's \s bytes and drops empty ends.
        s = b" ".join(line.split())
        # 1 while s/\s?;$//: no newline is left, and every space is single now.
        while s.endswith(b";"):
            s = s[:-1]
            if s.endswith(b" "):
                s = s[:-1]
        if not _STARTS_FROM.match(s) or _WITH_LOCAL_FOR.search(s):
            return SKIPPED
        m = _FROM_BY_SEMI.match(s)
        if m and not _BRACKET_DOTTED.match(m.group(1)):
            return SKIPPED
        s = _DATE.sub(b"", s, count=1)
        s = s.replace(b")by ", b") by ", 1)
        f = _Fields()
        if m := _ID.search(s):
            f.id = m.group(1)
        if (m := _HELO_EQ.search(s)) or (m := _HELO_CMD.search(s)):
            f.helo = m.group(1)
        if m := _BY.search(s):
            f.by = m.group(1)
        f.auth = _find_auth(s)
        outcome: bool | _Skipped | None
        if s.startswith(b"from "):
            outcome = self._from_formats(s[5:], f)
        elif s.startswith(b"FROM "):
            outcome = _simta(s[5:], f)
        elif s.startswith(b"(from "):
            outcome = _paren_from(s[6:], f)
            s = s[6:]
        else:
            outcome = None
        if isinstance(outcome, _Skipped):
            return outcome
        if outcome is None or outcome is False:
            rest = s[5:] if s.startswith((b"from ", b"FROM ")) else s
            if not f.ip and (m := _FALLBACK_IP.search(rest)):
                f.ip = m.group(1)
            if not (f.ip and f.by):
                return None
        return _finish(f)

    def _search(self, pattern: regex.Pattern[bytes], s: bytes) -> regex.Match[bytes] | None:
        try:
            return pattern.search(s, timeout=self.timeout)
        except TimeoutError:
            self.timed_out = True
            return None

    def _from_formats(self, s: bytes, f: _Fields) -> bool | _Skipped | None:
        """The ``if (s/^from //)`` branch.

        Returns True ("goto enough"), a ``_Skipped`` ("return 0") or None (fall through).
        """
        if m := _ENVFROM.search(s):
            f.envfrom = m.group(1)
        if _SQUIRREL.search(s) and (m := _SQUIRREL_IP.search(s)):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if _AOL.search(s) and _AOL_WEBMAIL.search(s) and (m := _AOL_IP.search(s)):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if _SMTPSVC.search(s):
            if m := _SMTPSVC_1.match(s):
                f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
                return True
            if _SMTPSVC_PICKUP.match(s):
                return SKIPPED
        elif _MS_SERVER.search(s):
            if m := _MS_SERVER_1.match(s):
                f.helo, f.ip, f.by, f.id = m.group(1), m.group(2), m.group(3), b""
                return True
        elif _XMAIL.search(s):
            if m := _XMAIL_1.match(s):
                f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
                if mm := _XMAIL_ID.search(s):
                    f.id = mm.group(1)
                if mm := _XMAIL_FROM.search(s):
                    f.envfrom = mm.group(1)
                return True
        elif _ECELERITY.search(s):
            if m := _ECELERITY_1.match(s):
                f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3)
                return True
            if m := _ECELERITY_2.match(s):
                f.ip, f.by = m.group(1), m.group(2)
                return True
        elif _EXIM.search(s):
            if _EXIM_LOCAL.search(s):
                return SKIPPED
            if m := _EXIM_1.match(s):
                f.ip, f.by = m.group(1), m.group(3)
                _exim_sub(m.group(2), f)
                return True
            if m := _EXIM_2.match(s):
                f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(4)
                f.helo = f.rdns  # bug 5112
                _exim_sub(m.group(3), f)
                return True
            if m := _EXIM_3.match(s):
                f.rdns = f.helo = m.group(1)
                f.ip, f.by = m.group(2), m.group(4)
                return True
            if m := _EXIM_RDNS.match(s):
                f.rdns = m.group(1)
            if m := _EXIM_HELO.search(s):
                f.helo = m.group(1)
            if m := _EXIM_IP.search(s):
                f.ip = m.group(1)
            if m := _EXIM_BY.search(s):
                f.by = m.group(1)
                if f.ip:
                    return True
        elif _POSTFIX.search(s):
            for pat in (_POSTFIX_1, _POSTFIX_2):
                if m := pat.match(s):
                    f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
                    if f.rdns == b"unknown":
                        f.rdns = b""
                    return True
        elif _SCALIX.search(s):
            if m := _SCALIX_1.match(s):
                f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
                return True
        elif _DOMINO.search(s) and (m := _DOMINO_1.match(s)):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if _WITH_HTTP.search(s) and (m := _HTTP_NUMERIC.match(s)):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if not _QMAIL_LDAP.search(s) and (m := _SENDMAIL_1.match(s)):
            f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
            if mm := _IDENT_PREFIX.match(f.rdns):
                f.ident = mm.group(1)
                f.rdns = f.rdns[mm.end() :]
            if mm := _AT_PREFIX.match(f.rdns):
                f.ident = mm.group(1)
                f.rdns = f.rdns[mm.end() :]
            return True
        if m := _EXCHANGE_IMS.match(s):
            f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
            return True
        if m := _HELO_EQ_FMT.match(s):
            f.rdns, f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
            return True
        if m := _ATTBI_1.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _ATTBI_2.match(s):
            f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
            return True
        if m := _IDENT_AT_BRACKET.match(s):
            f.helo, f.ident, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
            return True
        if m := _HOTMAIL.search(s):
            f.by = m.group(1)
            if mm := _LEADING_IP.match(s):
                f.ip = mm.group(1)
            return True
        if m := _QPSMTPD.match(s):
            f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
            return True
        if m := _LMTP.match(s):
            f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
            return True
        if m := _GMX.match(s):
            f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
            return True
        if m := _AOL_SMTPD.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if self._search(_QMAIL, s) is not None:
            if m := _QMAIL_1.match(s):
                f.rdns, f.helo, f.ident, f.ip, f.by = (
                    m.group(1),
                    m.group(2),
                    m.group(3),
                    m.group(4),
                    m.group(6),
                )
            elif m := _QMAIL_2.match(s):
                f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(5)
            elif m := _QMAIL_3.match(s):
                f.helo = f.rdns = m.group(1)
                f.ident, f.ip, f.by = m.group(2), m.group(3), m.group(5)
            elif m := _QMAIL_4.match(s):
                f.helo = f.rdns = m.group(1)
                f.ip, f.by = m.group(2), m.group(4)
            if f.rdns == b"unknown":
                f.rdns = b""
            return True
        if _VIA_HTTP.search(s) and (m := _YAHOO_HTTP.match(s)):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if m := _REUSCH.match(s):
            f.ip, f.by = m.group(2), m.group(3)
            return True
        if m := _UNEARTHED.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _MESSAGEWALL.match(s):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if m := _PAREN_IP.match(s):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if m := _MDAEMON.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _MDAEMON_2.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _SENDMAIL_2.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _SENDMAIL_3.match(s):
            if m.group(2) != b"softdnserr":
                f.rdns = m.group(2)
            f.helo, f.ip, f.by = m.group(1), m.group(3), m.group(4)
            return True
        if m := _INTERNAP.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _SENDMAIL_4.match(s):
            f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
            return True
        if _POP_FETCH.search(s):
            return _Skipped(pop_fetcher=True)
        if m := _QMAILISH_1.match(s):
            f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(4), m.group(5)
            f.ident = m.group(3) or b""
            if f.ident:
                f.ident = f.ident.removesuffix(b"@")
            return True
        if m := _QMAILISH_2.match(s):
            f.rdns = f.helo = m.group(1)
            f.ident = m.group(2) or b""
            f.ip, f.by = m.group(3), m.group(4)
            if f.ident:
                f.ident = f.ident.removesuffix(b"@")
            return True
        if _WITH_HTTP_FOR.search(s) and (m := _OUTBLAZE.match(s)):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if _VIA_SMAP.search(s) and (m := _SMAP_1.match(s)):
            f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _SMAP_2.match(s):
            f.rdns, f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
            return True
        if _POST.search(s) and (m := _POST_1.match(s)):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if _ARGOSOFT.search(s) and (m := _ARGOSOFT_1.match(s)):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if m := _INTERSCAN.match(s):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if _WITH_BSMTP.search(s) and _BSMTP.match(s):
            return SKIPPED
        if m := _SPIKE.match(s):
            f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
            return True
        if m := _YAHOO_PLAIN.match(s):
            f.rdns, f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(4), m.group(5)
            if m.group(3) is not None:
                f.ident = m.group(3)
            return True
        if m := _CGP_ACCOUNT.match(s):
            f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if _CGP.search(s) and (m := _CGP_VERIFIED.match(s)):
            f.rdns = f.helo = m.group(1)
            f.ip, f.by = m.group(2), m.group(3)
            return True
        if m := _CIPHERTRUST.match(s):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if m := _IRONPORT.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if _CONTENT_TECH.match(s):
            return SKIPPED
        if m := _BLS.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(4)
            return True
        if m := _TUMBLEWEED.match(s):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if m := _POBOX.match(s):
            f.helo, f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3), m.group(4)
            return True
        if m := _FSECURE.match(s):
            f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _ALTAVISTA.match(s):
            f.ip, f.helo, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _SMTPD32.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _CSMAP.match(s):
            f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _MAILGATE.match(s):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if m := _UNVERIFIED.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _PROXYING.match(s):
            f.ip, f.by = m.group(1), m.group(2)
            return True
        if m := _BRACKET_SUB.match(s):
            f.ip, f.by = m.group(1), m.group(3)
            _exim_sub(m.group(2), f)
            return True
        if m := _EMAIL_INFO.match(s):
            f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(3)
            return True
        if m := _OBTUSE.match(s):
            f.rdns, f.ip, f.by = m.group(1), m.group(2), m.group(4)
            f.helo = m.group(3) or b""
            return True
        if m := _YAHOO_LOGIN.match(s):
            f.helo, f.ip, f.by = m.group(1), m.group(3), m.group(4)
            return True
        if m := _SYNTHETIC.match(s):
            f.ip, f.by = m.group(1), b""
            return True
        for pat in _IGNORE:
            if pat.search(s):
                return SKIPPED
        if _QMAIL_SCANNER.match(s):
            env = f.envfrom
            if env is not None:
                env = _ENVFROM_LEAD.sub(b"", env)
                env = _ENVFROM_TRAIL.sub(b"", env)
                env = env.translate(_STRIP_TABLE)
            return _Skipped(qmail_scanner_envfrom=env)
        for pat in _IGNORE_2:
            if pat.search(s):
                return SKIPPED
        if not f.helo and (m := _GUESS_HELO.match(s)):
            f.helo = m.group(1)
        return None


def _exim_sub(sub: bytes, f: _Fields) -> None:
    # $sub =~ s/helo=(\S+)// and $helo = $1; $sub =~ s/ident=(\S*)// and $ident = $1;
    if m := _SUB_HELO.search(sub):
        f.helo = m.group(1)
        sub = sub[: m.start()] + sub[m.end() :]
    if m := _SUB_IDENT.search(sub):
        f.ident = m.group(1)


def _find_auth(s: bytes) -> bytes:
    has_by = _HAS_BY.search(s) is not None
    if has_by and (m := _AUTH_WITH.search(s)):
        return m.group(1)
    if _AUTH_GMAIL.search(s) and (m := _AUTH_GMAIL_TLS.search(s)):
        return b"GMail - transport=" + m.group(1) + b" cipher=" + m.group(2)
    if m := _AUTH_COURIER.match(s):
        return m.group(1)
    if b"authenticated" in s and _AUTH_SENDMAIL.match(s):
        return b"Sendmail"
    if m := _AUTH_GMX.search(s):
        return b"GMX (" + m.group(4) + b" / " + m.group(3) + b")"
    if b" (authenticated as " in s and _AUTH_CP.search(s):
        return b"CriticalPath"
    if m := _AUTH_POSTFIX.search(s):
        return m.group(1) if m.group(1) == b"Postfix" else b"Postfix (" + m.group(1) + b")"
    if _AUTH_CGP.search(s) and b" (account " in s:
        return b"Communigate"
    if b" with Microsoft Exchange Server HTTP-DAV" in s and regex.search(
        rb" with Microsoft Exchange Server HTTP-DAV\b", s
    ):
        return b"HTTP-DAV"
    if has_by and (m := _AUTH_VIA_HTTP.search(s)):
        return m.group(1)
    return b""


def _simta(s: bytes, f: _Fields) -> bool | None:
    if m := _SIMTA.match(s):
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


def _paren_from(s: bytes, f: _Fields) -> bool | _Skipped | None:
    if m := _NAVGW.match(s):
        f.helo, f.ip, f.by = m.group(1), m.group(2), m.group(3)
        return True
    if _SENDMAIL_T.match(s) or _JQUEUEMAIL.match(s):
        return SKIPPED
    return None


def _finish(f: _Fields) -> Relay:
    """The ``enough:`` label: clean the fields and build the relay."""
    # Each substitution runs only when the literal it needs is there (speed only).
    rdns = f.rdns.rstrip(b".")  # s/\.+$//
    if rdns.startswith(b"[") or (len(rdns) <= 8 and _UNKNOWN_RDNS.match(rdns)):
        rdns = b""
    ip = f.ip
    if ip[:5].lower() == b"ipv6:":
        ip = _IPV6_PREFIX.sub(b"", ip, count=1)
    ip = ip.removeprefix(b"[")
    ip = ip.removesuffix(b"]")
    if b"%" in ip:
        ip = _SCOPE.sub(b"", ip, count=1)
    if b"ffff:" in ip.lower():
        ip = _MAPPED_V4.sub(rb"\1", ip, count=1)
    by = f.by.removesuffix(b";")
    envfrom = f.envfrom
    if envfrom is not None:
        envfrom = _ENVFROM_LEAD.sub(b"", envfrom, count=1)
        envfrom = _ENVFROM_TRAIL.sub(b"", envfrom, count=1)
        envfrom = envfrom.translate(_STRIP_TABLE)
    ip = ip.translate(_STRIP_TABLE)
    return Relay(
        ip=ip,
        rdns=rdns.translate(_STRIP_TABLE),
        helo=f.helo.translate(_STRIP_TABLE),
        by=by.translate(_STRIP_TABLE),
        ident=f.ident.translate(_STRIP_TABLE),
        envfrom=envfrom,
        id=f.id,
        auth=f.auth,
        ip_private=is_private_ip(ip),
    )
