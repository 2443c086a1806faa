"""Grammar as data: the regex fragments of every scanner header format (STYLE.md point 4).

Input: nothing. Output: compiled ``regex`` patterns, each preceded by a real header it was
written against (from ``shared/header-samples/`` unless stated otherwise) and the spec
section that defines the format. Invariants: patterns are compiled once at import; every
match the parsers run passes ``timeout=`` from :class:`~spamhdr.options.Options`;
leniencies name the sample or corpus file that forced them.
"""

from __future__ import annotations

import regex

__all__ = [
    "AMAVIS_NUMBER",
    "AMAVIS_TEST_ITEM",
    "BODY_REPORT_POINTS",
    "BODY_REPORT_ROW",
    "CHECKER_VERSION",
    "EXIM_REPORT_HEAD",
    "NUMBER",
    "REPORT_AREAS",
    "REPORT_DETAIL_SEPARATOR",
    "REPORT_RULE_LINE",
    "REPORT_SEGMENT_START",
    "RSPAMD_RESULT_HEAD",
    "RSPAMD_SCORE_2DP",
    "RSPAMD_SCORE_HEADER",
    "RSPAMD_SYMBOL",
    "SA_DISPLAY_SCORE",
    "SA_RULE_NAME",
    "STATUS_HEAD",
    "STATUS_KEY",
    "TESTSSCORES_ITEM",
    "TESTS_LIST",
    "WHITESPACE",
]

# A decimal number as any producer writes it: "-22.7", "1000", "0", "-0.257009", "4.50".
NUMBER = regex.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")

# --- X-Spam-Status, shared head (spec §2.2, §3.2, §4.2) ---------------------------------
#
#   X-Spam-Status: No, score=4.9 required=5.0 tests=TEST_ALPHA_LONG_RULE_NAME_ONE,
#   	TEST_BETA_LONG_RULE_NAME_TWO,... autolearn=no autolearn_force=no
#   	version=4.0.1                       (sa401-near-threshold-real-4.96-displayed-4.9)
#   X-Spam-Status: Yes, score=1.2 tagged_above=2 required=6.31 BLACKLISTED
#    tests=[BAYES_50=0.8] autolearn=no autolearn_force=no
#                                           (amavis213-constructed-blacklisted-score64-level64)
#   X-Spam-Status: Yes, score=8.10          (rspamd34-constructed-…-add-header-and-ham)
#
# The head is the Yes/No word. Lenient: "No" alone (26 lore-linux-man corpus messages) and
# a missing comma are accepted.
STATUS_HEAD = regex.compile(r"\A\s*(?P<yesno>[A-Za-z]+)\b\s*,?\s*")

# The keys SpamAssassin's default template and amavis write, plus SA 2.x's "hits=" (corpus
# sa-tdata/nice/*: "No, hits=4.4 required=5.0 tests=… version=2.55"). Keys are found only
# after whitespace or a comma (corpus lore-linux-man m-e6cae290d971: "hits=-1, tests=…"),
# so rule names inside amavis' "tests=[A=1, B=2]" never look like keys (they are upper case
# and the scanner skips bracketed lists anyway). "shortcircuit=" is the Shortcircuit
# plugin's _SC_ tag in some templates (corpus lore-linux-man m-c18708cea34e).
STATUS_KEY = regex.compile(
    r"(?<![^\s,])(?P<key>score|hits|required|tagged_above|tests|autolearn_force|autolearn"
    r"|version|shortcircuit)="
)

# SA's tests= list: names joined by commas, folding only after a comma (spec §2.2 rule 4):
#   tests=GTUBE,NO_RECEIVED,\tNO_RELAYS autolearn=…    (sa401-gtube-report_safe0, unfolded)
TESTS_LIST = regex.compile(r"\s*(?P<list>[^\s,]*(?:,\s*[^\s,]*)*)")
WHITESPACE = regex.compile(r"\s+")

# SpamAssassin's display score: "%2.1f", or the Perl number "required - 0.1" of the display
# floor (spec §2.2 rule 1): "4.9", "-22.7", "1000.0", "0" (sa401-required-0.1-real-0.07).
SA_DISPLAY_SCORE = regex.compile(r"-?\d+(?:\.\d+)?")

# amavis numbers: 0+sprintf("%.3f"): "-2.099", "0", "999.998", "4.5", "64" (spec §3.2).
AMAVIS_NUMBER = regex.compile(r"-?\d+(?:\.\d{1,3})?")

# A SpamAssassin rule name (spec §2.2 "rule"); mixed case occurs ("XMSubLong", corpus
# lore-linux-man m-32f514d8af2c), as do dots in amavis' own items ("AM.PENPAL", §3.2).
SA_RULE_NAME = regex.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")

# amavis test item, and SA's _TESTSSCORES_ item (spec §2.3):
#    tests=[BAYES_00=-1.9, DKIM_SIGNED=0.1, NICE_REPLY_A=-0.618,   (real-amavis-debian-2021)
#   X-Spam-Tests: TEST_ALPHA_LONG_RULE_NAME_ONE=1.234,             (sa401-custom-x-spam-tests…)
AMAVIS_TEST_ITEM = regex.compile(r"\s*(?P<name>[^\s=,\[\]]+)\s*(?:=\s*(?P<score>[^\s,]*))?\s*")
TESTSSCORES_ITEM = AMAVIS_TEST_ITEM

# --- X-Spam-Checker-Version (spec §2.3) --------------------------------------------------
#
#   X-Spam-Checker-Version: SpamAssassin 4.0.1 (2024-03-25) on vm
#   X-Spam-Checker-Version: SpamAssassin 3.4.6 (2021-04-09) on
#           lindbergh.monkeyblade.net        (real-sa346-vger-status-before-checker-8space)
CHECKER_VERSION = regex.compile(
    r"\A\s*(?P<product>\S+)\s+(?P<version>\d[\w.\-]*)?\s*(?:\((?P<sub>[^)]*)\))?"
    r"(?:\s*on\s+(?P<host>\S+))?"
)

# --- X-Spam-Report (terse report, spec §2.3 / §3.3) -------------------------------------
#
#   X-Spam-Report:
#   	* -0.0 NO_RECEIVED Informational: message has no Received headers
#   	* 1000 GTUBE BODY: Generic Test for Unsolicited Bulk Email
#                                  (sa401-gtube-report_safe0-x-spam-report-subject-rewrite)
#   	*  1.2 TEST_DELTA_LONG_RULE_NAME_FOUR BODY: A fairly long description text
#   	*      that should wrap across the report lines when rendered by SA
#                                  (sa401-exact-threshold-5.0-is-spam-autolearn-disabled)
#
# A segment starts at a "*" that follows whitespace (or the start) and begins one of
# SpamAssassin's report lines (PerMsgStatus.pm check_cleanup): a rule line "* " + the score
# column ("%4.1f"/"%4.0f", so 1–3 blanks) + blank + name, or a continuation "*" + six
# blanks (_wrap_desc prefix "*      "; seven after a wrap at a leading blank, corpus
# lore-linux-man m-57790332dcf0 "*       in digit"). Any other "*" is description text:
# real describes contain them ("* like so *" of TVD_SUBJ_FINGER_03, "List-*"), and a
# one-line report (fold_headers 0, corpus lore-linux-man m-57790332dcf0) has no line
# breaks to tell them apart.
# A "*" + blanks + "[" also starts one (a detail line whose blanks were collapsed).
# The rule name must end at a blank (or the end): "* 1.5 Informational:" inside a
# describe is text, not a rule line (tests/differential/test_report_sa_live.py found it).
REPORT_SEGMENT_START = regex.compile(
    r"(?:(?<=\A)|(?<=\s))\*"
    r"(?=[ \t]{1,3}-?\d+(?:\.\d+)?[ \t]+[A-Za-z0-9_][A-Za-z0-9_.\-]*(?:[ \t]|\Z)"
    r"|[ \t]{5,}\S|[ \t]+\[)"
)
REPORT_RULE_LINE = regex.compile(
    r"\A\*[ \t]{1,3}(?P<score>-?\d+(?:\.\d+)?)[ \t]+(?P<name>[A-Za-z0-9_][A-Za-z0-9_.\-]*)"
    r"(?:[ \t]+(?P<rest>.*))?\Z",
    regex.S,
)
# Detail lines: "*      [score: 0.5000]", "[2607:f8b0:… listed in]" / "[list.dnswl.org]"
# (corpus lore-linux-man m-57790332dcf0); SA wraps each log message into 30–48 character
# chunks and brackets every chunk (PerMsgStatus.pm, $terse). A chunk may contain brackets
# itself ("[royhalton13[at]gmail.com]", same message): it ends at a "]" followed by the
# next chunk's "[" (blanks between) — split there, never a nested-quantifier regex.
REPORT_DETAIL_SEPARATOR = regex.compile(r"\]\s*\[")

# The area prefixes SpamAssassin 4.0.1 passes to got_hit() and prints before the
# description (grep of Mail/SpamAssassin/*.pm and Plugin/*.pm: "BODY: ", "RAW: ", "URI: ",
# "FULL: ", "RBL: ", "DNS: ", "AWL: ", "TXREP: ", "ASKDNS: "). Only these are stripped:
# "Informational: …" and "SPF: HELO matches SPF record" are part of the description text.
REPORT_AREAS: tuple[str, ...] = (
    "BODY",
    "RAW",
    "URI",
    "FULL",
    "RBL",
    "DNS",
    "AWL",
    "TXREP",
    "ASKDNS",
)

# --- Body report of report_safe / spamassassin -t (spec §2.5) ---------------------------
#
#   Content analysis details:   (1000.0 points, 5.0 required)
#
#    pts rule name              description
#   ---- ---------------------- --------------------------------------------------
#   -0.0 NO_RECEIVED            Informational: message has no Received headers
#   1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email
#                                                       (sa401-gtube-report_safe1-wrapped)
BODY_REPORT_POINTS = regex.compile(
    r"Content analysis details:\s*\(\s*(?P<score>-?\d+(?:\.\d+)?)\s+points?,\s*"
    r"(?P<required>-?\d+(?:\.\d+)?)\s+required\s*\)"
)
BODY_REPORT_ROW = regex.compile(
    r"\A\s{0,3}(?P<score>-?\d+(?:\.\d+)?)\s+(?P<name>[A-Za-z0-9_][A-Za-z0-9_.\-]*)"
    r"(?:\s+(?P<rest>.*))?\Z"
)

# --- rspamd (spec §4.1, §4.2) -------------------------------------------------------------
#
#   X-Spamd-Result: default: False [6.29 / 15.00];
#   	DMARC_POLICY_REJECT(2.00)[nabladev.com : SPF not aligned (relaxed),reject];
#   	SUSPICIOUS_RECIPS(1.50)[];           (real-rspamd-lfdr-add-header-false-6.29-x-spam-yes)
RSPAMD_RESULT_HEAD = regex.compile(
    r"\A\s*(?P<metric>[\w\-]+)\s*:\s*(?P<verdict>[A-Za-z]+)\s*"
    r"\[\s*(?P<score>-?\d+(?:\.\d+)?)\s*/\s*(?P<reject>-?\d+(?:\.\d+)?)\s*\]\s*;?"
)
# One symbol: NAME(score)[options]. The options are consumed with the symbol, so their
# text ("(relaxed)") never starts another symbol; Haraka's X-Rspamd-Report writes symbols
# without options, separated by spaces: "BAYES_HAM(-0.157009) MIME_GOOD(-0.1)" (spec §1).
RSPAMD_SYMBOL = regex.compile(
    r"(?:(?<=\A)|(?<=[;\s]))(?P<name>[A-Za-z0-9_][A-Za-z0-9_.\-]*)"
    r"\((?P<score>-?\d+(?:\.\d+)?)\)(?:\[(?P<options>[^\]]*)\])?"
)
# rspamd's milter_headers score: exactly two decimals ("%.2f"), spec §4.2.
RSPAMD_SCORE_2DP = regex.compile(r"-?\d+\.\d\d")
# X-Rspamd-Score: "-0.257009" (Haraka) or "-0.25 / 15.00 / 15.00" (mailbox.org), spec §1.
RSPAMD_SCORE_HEADER = regex.compile(
    r"\A\s*(?P<score>-?\d+(?:\.\d+)?)(?:\s*/\s*(?P<second>-?\d+(?:\.\d+)?))?"
    r"(?:\s*/\s*(?P<third>-?\d+(?:\.\d+)?))?"
)

# --- Exim with SpamAssassin (spec §1) -----------------------------------------------------
#
#   X-Spam_report: (-2.1 / 5.0 requ) BAYES_00=-1.9, DKIM_SIGNED=0.1,
#    DKIM_VALID=-0.1, DKIM_VALID_AU=-0.1, DKIM_VALID_EF=-0.1, SPF_HELO_NONE=0.001,
#    SPF_PASS=-0.001 autolearn=ham autolearn_force=no
#                (real-multi-scanner-rspamd-sender-side-plus-exim-spamassassin-list-side)
EXIM_REPORT_HEAD = regex.compile(
    r"\A\s*\(\s*(?P<score>-?\d+(?:\.\d+)?)\s*/\s*(?P<required>-?\d+(?:\.\d+)?)\s*requ?\w*\s*\)"
)
