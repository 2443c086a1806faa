"""Unit tables for the report parser stages: status splitting, signatures, terse and body
reports, rspamd symbols, block attribution, defects and strict mode.

Expected values come from the spec (headers-and-delivery.md §2–4, §9) and the samples it
quotes; inputs marked "corpus" are copied from ../shared/corpus messages named beside them.
"""

from __future__ import annotations

import pytest

from spamhdr.errors import InputError, UsageError
from spamhdr.headers import parse_header_block
from spamhdr.options import DEFAULT_OPTIONS, Options
from spamhdr.report import SpamReport, parse_reports
from spamhdr.report._draft import Draft
from spamhdr.report.attribute import attribute_blocks
from spamhdr.report.body_report import parse_body_report
from spamhdr.report.rspamd import parse_symbols
from spamhdr.report.spamassassin import parse_terse_report, split_area
from spamhdr.report.status import signature, split_status


def _draft() -> Draft:
    return Draft("other", 0, (), DEFAULT_OPTIONS)


# (unfolded X-Spam-Status value, yesno, {key: value}, words, producer signature)
STATUS_TABLE = [
    # SA 4.0.1, TAB after the comma after unfolding (spec §2.2 rule 4)
    (
        "Yes, score=1000.0 required=5.0 tests=GTUBE,NO_RECEIVED,\tNO_RELAYS autolearn=no "
        "autolearn_force=no version=4.0.1",
        "Yes",
        {
            "score": "1000.0",
            "required": "5.0",
            "tests": "GTUBE,NO_RECEIVED,NO_RELAYS",
            "autolearn": "no",
            "autolearn_force": "no",
            "version": "4.0.1",
        },
        (),
        "spamassassin",
    ),
    # tests= starting a continuation line (spec §2.2 rule 3), 8-space re-indent (vger)
    (
        "No, score=-22.7 required=5.0\ttests=A,B,        C autolearn=ham autolearn_force=no "
        "version=4.0.1",
        "No",
        {"score": "-22.7", "tests": "A,B,C", "autolearn": "ham"},
        (),
        "spamassassin",
    ),
    # autolearn_force with its rule list (PerMsgStatus.pm l.581)
    (
        "Yes, score=12.0 required=5.0 tests=GTUBE autolearn=spam autolearn_force=yes (GTUBE,X) "
        "version=4.0.1",
        "Yes",
        {"autolearn": "spam", "autolearn_force": "yes (GTUBE,X)", "version": "4.0.1"},
        (),
        "spamassassin",
    ),
    # amavis 2.13 (spec §3.2), BLACKLISTED word, bracketed list with ", "
    (
        "Yes, score=1.2 tagged_above=2 required=6.31 BLACKLISTED tests=[BAYES_50=0.8] "
        "autolearn=no autolearn_force=no",
        "Yes",
        {"score": "1.2", "tagged_above": "2", "required": "6.31", "tests": "[BAYES_50=0.8]"},
        ("BLACKLISTED",),
        "amavis",
    ),
    # amavis without tagged_above and required, empty list (sample …-empty-tests)
    (
        "No, score=0 required=6.31 tests=[] autolearn=unavailable",
        "No",
        {"tests": "[]", "autolearn": "unavailable"},
        (),
        "amavis",
    ),
    # amavis "x": no score at all (spec §3.2)
    (
        "No, score=x tagged_above=3 tests=[] autolearn=unavailable",
        "No",
        {"score": "x"},
        (),
        "amavis",
    ),
    # rspamd milter_headers (spec §4.2)
    ("Yes, score=7.42", "Yes", {"score": "7.42"}, (), "rspamd"),
    ("No, score=-2.50", "No", {"score": "-2.50"}, (), "rspamd"),
    # one decimal only: not rspamd's %.2f, not known either
    ("Yes, score=7.4", "Yes", {"score": "7.4"}, (), None),
    # SA 2.x hits= (corpus sa-tdata/nice/*) and "hits=-1, tests=…" (lore m-e6cae290d971)
    (
        "No, hits=4.4 required=5.0 tests=BAYES_90,HTML_30_40 version=2.55",
        "No",
        {"hits": "4.4", "tests": "BAYES_90,HTML_30_40", "version": "2.55"},
        (),
        "spamassassin",
    ),
    (
        "No, hits=-1, tests=ALL_TRUSTED=-1",
        "No",
        {"hits": "-1", "tests": "ALL_TRUSTED=-1"},
        (),
        "spamassassin",
    ),
    # list servers' bare "No" (26 lore-linux-man messages)
    ("No", "No", {}, (), None),
    # missing head
    ("score=3.0 required=5.0", None, {"score": "3.0", "required": "5.0"}, (), "spamassassin"),
]


@pytest.mark.parametrize(("text", "yesno", "values", "words", "producer"), STATUS_TABLE)
def test_split_status(
    text: str,
    yesno: str | None,
    values: dict[str, str],
    words: tuple[str, ...],
    producer: str | None,
) -> None:
    parts = split_status(text, _draft())
    assert parts.yesno == yesno
    for key, value in values.items():
        assert parts.get(key) == value, key
    assert parts.words == words
    assert signature(parts) == producer


def test_unclosed_amavis_list_is_recorded() -> None:
    parts = split_status("Yes, score=7 tagged_above=2 tests=[A=1, B=2", _draft())
    assert parts.unclosed
    assert parts.get("tests") == "[A=1, B=2"


# (report text, [(name, score, area, description, details)])
TERSE_TABLE = [
    (  # sa401-gtube-report_safe0 (TAB-folded, empty first line)
        "\n\t* -0.0 NO_RECEIVED Informational: message has no Received headers\n"
        "\t* 1000 GTUBE BODY: Generic Test for Unsolicited Bulk Email",
        [
            ("NO_RECEIVED", -0.0, None, "Informational: message has no Received headers", ()),
            ("GTUBE", 1000.0, "BODY", "Generic Test for Unsolicited Bulk Email", ()),
        ],
    ),
    (  # wrapped description, -20 column (sa401-negative-score…)
        "\n\t* -3.0 TEST_D BODY: A fairly long description text\n"
        "\t*      that should wrap\n\t*  -20 TEST_A BODY: No description available.",
        [
            ("TEST_D", -3.0, "BODY", "A fairly long description text that should wrap", ()),
            ("TEST_A", -20.0, "BODY", "No description available.", ()),
        ],
    ),
    (  # one-line report with details (corpus lore-linux-man m-57790332dcf0 unfolded; SA's
        # fold_headers 0 replaces each line break by one space, so "*" + 6 blanks remain)
        "*  0.8 BAYES_50 BODY: Bayes spam probability is 40 to 60% *      [score: 0.5000] "
        "* -0.0 RCVD_IN_DNSWL_NONE RBL: Sender listed at *      https://www.dnswl.org/, no trust "
        "*      [2607:f8b0:4864:20:0:0:0:542 listed in] [list.dnswl.org]",
        [
            ("BAYES_50", 0.8, "BODY", "Bayes spam probability is 40 to 60%", ("score: 0.5000",)),
            (
                "RCVD_IN_DNSWL_NONE",
                -0.0,
                "RBL",
                "Sender listed at https://www.dnswl.org/, no trust",
                ("2607:f8b0:4864:20:0:0:0:542 listed in", "list.dnswl.org"),
            ),
        ],
    ),
    (  # the same, folded by a list server (8 spaces), a bare second detail line
        "*  0.8 BAYES_50 BODY: Bayes spam probability is 40 to 60%\n"
        "        *      [score: 0.5000]\n"
        "        *  0.0 FREEMAIL_FROM Sender email is commonly abused enduser mail\n"
        "        *      provider\n"
        "        *      [royhalton13[at]gmail.com]\n"
        "        [second chunk]",
        [
            ("BAYES_50", 0.8, "BODY", "Bayes spam probability is 40 to 60%", ("score: 0.5000",)),
            (
                "FREEMAIL_FROM",
                0.0,
                None,
                "Sender email is commonly abused enduser mail provider",
                ("royhalton13[at]gmail.com", "second chunk"),
            ),
        ],
    ),
    (  # describes with "*" and a trailing "[censored]" (stock BITCOIN_ONAN,
        # TVD_SUBJ_FINGER_03) stay description text, folded and on one line
        "\n\t*  1.0 BITCOIN_ONAN BODY: BitCoin + [censored]\n\t*  2.5 SH_X Subject has a * b and\n"
        '\t*      "* like so *"',
        [
            ("BITCOIN_ONAN", 1.0, "BODY", "BitCoin + [censored]", ()),
            ("SH_X", 2.5, None, 'Subject has a * b and "* like so *"', ()),
        ],
    ),
    (
        " *  1.0 BITCOIN_ONAN BODY: BitCoin + [censored] *  2.5 SH_X Subject has a * b and"
        ' *      "* like so *"',
        [
            ("BITCOIN_ONAN", 1.0, "BODY", "BitCoin + [censored]", ()),
            ("SH_X", 2.5, None, 'Subject has a * b and "* like so *"', ()),
        ],
    ),
    (  # tflags multiple: one line per hit; non-ASCII describe as SA encodes it (fold 0)
        " *  2.5 SH_M No description available. *  2.5 SH_M No description available."
        " *  1.2 SH_U ends =?UTF-8?Q?=C3=BCmlaut_*__0.1_SH=5FV_Gr=C3=BC=C3=9Fe?= aus Berlin",
        [
            ("SH_M", 2.5, None, "No description available.", ()),
            ("SH_M", 2.5, None, "No description available.", ()),
            ("SH_U", 1.2, None, "ends \u00fcmlaut", ()),
            ("SH_V", 0.1, None, "Gr\u00fc\u00dfe aus Berlin", ()),
        ],
    ),
    (  # amavis: one-space continuation (amavis213-gtube… sample)
        "\n * -0.0 NO_RELAYS Informational: message was not relayed via SMTP",
        [("NO_RELAYS", -0.0, None, "Informational: message was not relayed via SMTP", ())],
    ),
]


@pytest.mark.parametrize(("text", "expected"), TERSE_TABLE)
def test_parse_terse_report(text: str, expected: list[tuple[object, ...]]) -> None:
    draft = _draft()
    hits = parse_terse_report(text, draft)
    assert [(h.name, h.score, h.area, h.description, h.details) for h in hits] == expected
    assert draft.defects == []


@pytest.mark.parametrize(
    ("text", "area", "rest"),
    [
        ("BODY: Generic Test", "BODY", "Generic Test"),
        ("SPF: HELO matches SPF record", None, "SPF: HELO matches SPF record"),  # describe text
        (
            "Informational: message has no Received headers",
            None,
            "Informational: message has no Received headers",
        ),
        ("ASKDNS: something", "ASKDNS", "something"),
    ],
)
def test_split_area(text: str, area: str | None, rest: str) -> None:
    assert split_area(text) == (area, rest)


BODY_REPORT = """Spam detection software, running on the system "vm",
has identified this incoming email as possible spam.

Content analysis details:   (1000.0 points, 5.0 required)

 pts rule name              description
---- ---------------------- --------------------------------------------------
-0.0 NO_RECEIVED            Informational: message has no Received headers
1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email
 0.8 BAYES_50               BODY: Bayes spam probability is 40 to 60%
                            [score: 0.5000]
 1.2 LONG_ONE               BODY: A fairly long description text that should
                            wrap across the report lines

after the table
"""


def test_parse_body_report() -> None:
    report = parse_body_report(BODY_REPORT, _draft())
    assert report is not None
    assert (report.score, report.required, report.spam) == (1000.0, 5.0, True)
    assert [(t.name, t.score, t.area) for t in report.tests] == [
        ("NO_RECEIVED", -0.0, None),
        ("GTUBE", 1000.0, "BODY"),
        ("BAYES_50", 0.8, "BODY"),
        ("LONG_ONE", 1.2, "BODY"),
    ]
    assert report.tests[2].details == ("score: 0.5000",)
    assert report.tests[3].description == (
        "A fairly long description text that should wrap across the report lines"
    )


def test_body_report_absent() -> None:
    assert parse_body_report("no report here", _draft()) is None


def test_rspamd_symbols_with_parenthesis_and_commas_in_options() -> None:
    # real-rspamd-lfdr-add-header sample and spec §4.1
    text = (
        "DMARC_POLICY_REJECT(2.00)[nabladev.com : SPF not aligned (relaxed),reject];\n\t"
        "NEURAL_HAM(-0.00)[-0.736]; ASN(0.00)[asn:16509, ipnet:52.208.0.0/13, country:US]"
    )
    hits = parse_symbols(text, _draft())
    assert [(h.name, h.score, h.options) for h in hits] == [
        ("DMARC_POLICY_REJECT", 2.0, ("nabladev.com : SPF not aligned (relaxed)", "reject")),
        ("NEURAL_HAM", -0.0, ("-0.736",)),
        ("ASN", 0.0, ("asn:16509", "ipnet:52.208.0.0/13", "country:US")),
    ]


def test_haraka_report_symbols() -> None:
    hits = parse_symbols("BAYES_HAM(-0.157009) MIME_GOOD(-0.1)", _draft())
    assert [(h.name, h.score) for h in hits] == [("BAYES_HAM", -0.157009), ("MIME_GOOD", -0.1)]


# (header block, [(producer, names)]) — attribution (spec §9 item 7)
ATTRIBUTION_TABLE = [
    (  # Received separates hops: local SA above, upstream rspamd below
        b"X-Spam-Status: No, score=2.3 required=5.0 tests=A autolearn=no version=4.0.1\n"
        b"Received: from a by b\n"
        b"X-Spamd-Result: default: False [6.70 / 15.00]; A(6.70)[]\n"
        b"X-Spam: Yes\n",
        [("spamassassin", ("X-Spam-Status",)), ("rspamd", ("X-Spamd-Result", "X-Spam"))],
    ),
    (  # the same name twice is two runs even without a Received line
        b"X-Spam-Flag: YES\nX-Spam-Flag: NO\n",
        [("other", ("X-Spam-Flag",)), ("other", ("X-Spam-Flag",))],
    ),
    (  # a different producer signature starts a block (multi-scanner sample)
        b"X-Rspamd-Action: no action\nX-Spam-Score: -4.51\nReceived-SPF: pass\n"
        b"X-Spam_score: -2.1\nX-Spam_bar: --\n",
        [("rspamd", ("X-Rspamd-Action", "X-Spam-Score")), ("exim", ("X-Spam_score", "X-Spam_bar"))],
    ),
    (  # neutral fields before the signature join the block; >50 stars means amavis
        b"X-Spam-Level: " + b"*" * 64 + b"\nX-Spam-Score: 64\n",
        [("amavis", ("X-Spam-Level", "X-Spam-Score"))],
    ),
    (  # X-Virus-Scanned counts only when amavis wrote it
        b"X-Virus-Scanned: ClamAV using ClamSMTP\nX-Virus-Scanned: Debian amavis at example.com\n",
        [("amavis", ("X-Virus-Scanned",))],
    ),
    (b"Subject: hi\nFrom: a@example.org\n", []),
]


@pytest.mark.parametrize(("data", "expected"), ATTRIBUTION_TABLE)
def test_attribute_blocks(data: bytes, expected: list[tuple[str, tuple[str, ...]]]) -> None:
    blocks = attribute_blocks(parse_header_block(data), DEFAULT_OPTIONS)
    assert [(b.producer, tuple(f.name for f in b.fields)) for b in blocks] == expected
    assert [b.position for b in blocks] == list(range(len(expected)))


# malformed input → best-effort values plus defects (STYLE.md point 7)
DEFECT_TABLE = [
    (
        b"X-Spam-Status: Maybe, score=3.0 required=5.0 tests=A version=4.0.1\n",
        {"verdict": None, "score": 3.0},
        "neither Yes nor No",
    ),
    (
        b"X-Spam-Status: Yes, score=abc required=5.0 tests=A version=4.0.1\n",
        {"verdict": "spam", "score": None, "required": 5.0},
        "not a number",
    ),
    (
        b"X-Spam-Status: Yes, score=7.2345 tagged_above=2 required=5 tests=[A=7.2345]\n",
        {"producer": "amavis", "score": 7.2345},
        "0+sprintf",
    ),
    (
        b"X-Spam-Status: Yes, score=7 tagged_above=2 tests=[A=7, B\n",
        {"producer": "amavis", "verdict": "spam"},
        "not closed",
    ),
    (b"X-Spamd-Result: nonsense; A(1.00)[]\n", {"producer": "rspamd"}, "head"),
    (
        b"X-Spam-Flag: PERHAPS\nX-Spam-Status: Yes, score=9.0 required=5.0 tests=A version=4\n",
        {"flag": "PERHAPS"},
        "neither YES nor NO",
    ),
]


@pytest.mark.parametrize(("data", "values", "defect"), DEFECT_TABLE)
def test_defects(data: bytes, values: dict[str, object], defect: str) -> None:
    (report,) = parse_reports(data)
    for key, value in values.items():
        assert getattr(report, key) == value, key
    assert any(defect in d for d in report.defects), report.defects
    with pytest.raises(InputError):
        parse_reports(data, Options(strict=True))


def test_encoded_word_flag_is_decoded() -> None:
    # Sieve decodes RFC 2047 in header tests (spec §9 item 11, sieve fixture c17)
    (report,) = parse_reports(b"X-Spam-Flag: =?us-ascii?Q?YES?=\n")
    assert report.flag == "YES"
    assert report.verdict == "spam"


def test_level_with_and_without_trailing_space() -> None:
    for data in (b"X-Spam-Level:\n", b"X-Spam-Level: \n"):
        (report,) = parse_reports(data)
        assert report.level == ""


def test_crlf_and_bare_header_block() -> None:
    data = (
        b"X-Spam-Status: No, score=-7.5 required=5.0 tests=BAYES_00,\r\n"
        b"        DKIM_SIGNED autolearn=ham\r\n        autolearn_force=no version=3.4.6\r\n"
    )
    (report,) = parse_reports(data)
    assert [t.name for t in report.tests] == ["BAYES_00", "DKIM_SIGNED"]
    assert (report.autolearn, report.autolearn_force, report.version) == ("ham", "no", "3.4.6")
    assert parse_reports(parse_header_block(data)) == [report]


def test_sources_of_every_kind(tmp_path: object) -> None:
    import email
    import io
    from pathlib import Path

    data = b"X-Spam-Status: Yes, score=7.42\n\nbody\n"
    path = Path(str(tmp_path)) / "m.eml"
    path.write_bytes(data)
    expected = parse_reports(data)
    assert parse_reports(data.decode()) == expected
    assert parse_reports(path) == expected
    assert parse_reports(io.BytesIO(data)) == expected
    assert parse_reports(email.message_from_bytes(data)) == expected
    with pytest.raises(InputError):
        parse_reports(Path(str(tmp_path)) / "missing.eml")
    with pytest.raises(InputError):
        parse_reports(12345)  # type: ignore[arg-type]


def test_body_report_merges_only_when_it_matches_the_status() -> None:
    head = (
        b"X-Spam-Status: Yes, score=1000.0 required=5.0 tests=GTUBE,NO_RECEIVED version=4.0.1\n\n"
    )
    (merged,) = parse_reports(head + BODY_REPORT.encode())
    assert merged.tests[0].description == "Generic Test for Unsolicited Bulk Email"
    other = head.replace(b"1000.0", b"999.0").replace(b"Yes", b"Yes")
    (kept,) = parse_reports(other + BODY_REPORT.encode())
    assert kept.tests[0].description is None
    assert any("does not match" in d for d in kept.defects)


def test_model_validates() -> None:
    with pytest.raises(UsageError):
        SpamReport("postfix", 0, ())  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        SpamReport("other", -1, ())
    with pytest.raises(UsageError):
        SpamReport("other", 0, (), verdict="maybe")  # type: ignore[arg-type]
