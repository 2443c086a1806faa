"""Golden: every file in ../shared/header-samples parses to the values it shows.

The expected values below were written by reading each sample and its README row
(header-samples/README.md), not by running spamhdr. One row per report, topmost first:
(producer, verdict, score, required, tagged_above, tests, autolearn, autolearn_force,
version, listed, x_spam_score, action). ``tests`` lists (name, score) in the order the
scanner wrote them; a score of None means the message does not carry one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spamhdr.report import SpamReport, parse_reports

N = None
TEST_ALPHA = "TEST_ALPHA_LONG_RULE_NAME_ONE"
TEST_BETA = "TEST_BETA_LONG_RULE_NAME_TWO"
TEST_DELTA = "TEST_DELTA_LONG_RULE_NAME_FOUR"
TEST_GAMMA = "TEST_GAMMA_LONG_RULE_NAME_THREE"
ABDG = [(TEST_ALPHA, N), (TEST_BETA, N), (TEST_DELTA, N), (TEST_GAMMA, N)]
GTUBE_REPORT = [("GTUBE", 1000.0), ("NO_RECEIVED", -0.0), ("NO_RELAYS", -0.0)]
SUSE_DE = [
    ("BAYES_HAM", -3.0),
    ("NEURAL_HAM_LONG", -1.0),
    ("R_DKIM_ALLOW", -0.2),
    ("NEURAL_HAM_SHORT", -0.2),
    ("MIME_GOOD", -0.1),
    ("MX_GOOD", -0.01),
    ("TO_MATCH_ENVRCPT_ALL", 0.0),
    ("FROM_HAS_DN", 0.0),
    ("DKIM_SIGNED", 0.0),
    ("ARC_NA", 0.0),
    ("FUZZY_BLOCKED", 0.0),
    ("MIME_TRACE", 0.0),
    ("RCVD_TLS_ALL", 0.0),
    ("DKIM_TRACE", 0.0),
    ("MISSING_XM_UA", 0.0),
    ("RCVD_COUNT_TWO", 0.0),
    ("FROM_EQ_ENVFROM", 0.0),
    ("TO_DN_SOME", 0.0),
    ("MID_RHS_MATCH_FROM", 0.0),
    ("RCVD_VIA_SMTP_AUTH", 0.0),
    ("RCPT_COUNT_SEVEN", 0.0),
    ("ASN", 0.0),
    ("DBL_BLOCKED_OPENRESOLVER", 0.0),
]
EXIM_LIST = [
    ("BAYES_00", -1.9),
    ("DKIM_SIGNED", 0.1),
    ("DKIM_VALID", -0.1),
    ("DKIM_VALID_AU", -0.1),
    ("DKIM_VALID_EF", -0.1),
    ("SPF_HELO_NONE", 0.001),
    ("SPF_PASS", -0.001),
]
BAHNHOF = [
    ("BAYES_00", -1.9),
    ("DKIM_SIGNED", 0.1),
    ("DKIM_VALID", -0.1),
    ("DKIM_VALID_AU", -0.1),
    ("DKIM_VALID_EF", -0.1),
    ("URIBL_BLOCKED", 0.001),
]
LFDR_ADD_HEADER_FIRST = [
    ("DMARC_POLICY_REJECT", 2.0),
    ("SUSPICIOUS_RECIPS", 1.5),
    ("HFILTER_HELO_IP_A", 1.0),
    ("MID_CONTAINS_FROM", 1.0),
    ("R_DKIM_REJECT", 1.0),
    ("HFILTER_HELO_NORES_A_OR_MX", 0.3),
    ("R_SPF_ALLOW", -0.2),
    ("MAILLIST", -0.2),
    ("MIME_GOOD", -0.1),
    ("HAS_LIST_UNSUB", -0.01),
]
VGER_HI = [
    "BAYES_00",
    "DKIMWL_WL_HIGH",
    "DKIM_SIGNED",
    "DKIM_VALID",
    "DKIM_VALID_AU",
    "DKIM_VALID_EF",
    "RCVD_IN_DNSWL_HI",
    "SPF_HELO_NONE",
    "SPF_PASS",
    "T_SCC_BODY_TEXT_LINE",
]

# file → list of expected reports (dicts with only the keys that sample shows).
EXPECTED: dict[str, list[dict[str, Any]]] = {
    "amavis213-constructed-blacklisted-score64-level64.txt": [
        dict(
            producer="amavis",
            verdict="spam",
            score=1.2,
            required=6.31,
            tagged_above=2.0,
            tests=[("BAYES_50", 0.8)],
            autolearn="no",
            autolearn_force="no",
            version=N,
            listed="blacklisted",
            x_spam_score=64.0,
            action=N,
            flag="YES",
            level="*" * 64,
        ),
    ],
    "amavis213-constructed-exactly-at-tag2-is-spam.txt": [
        dict(
            producer="amavis",
            verdict="spam",
            score=4.5,
            required=4.5,
            tagged_above=1.0,
            tests=[("TEST_A", 4.5)],
            autolearn="no",
            autolearn_force="no",
            listed=N,
            x_spam_score=4.5,
            flag="YES",
            level="****",
        ),
    ],
    "amavis213-constructed-ham-negative-score-tag-999.txt": [
        dict(
            producer="amavis",
            verdict="ham",
            score=-2.911,
            required=6.31,
            tagged_above=-999.0,
            tests=[
                ("ALL_TRUSTED", -1.0),
                ("BAYES_00", -1.9),
                ("DKIM_SIGNED", 0.1),
                ("DKIM_VALID", -0.1),
                ("DKIM_VALID_AU", -0.1),
                ("DKIM_VALID_EF", -0.1),
                ("SPF_PASS", -0.001),
            ],
            autolearn="ham",
            autolearn_force="no",
            x_spam_score=-2.911,
            flag="NO",
            level="",
        ),
    ],
    "amavis213-constructed-spammy-trigger-happy-3-5.txt": [
        dict(
            producer="amavis",
            verdict="spam",
            score=7.234,
            required=5.0,
            tagged_above=3.0,
            tests=[
                ("BAYES_99", 3.5),
                ("BAYES_999", 0.2),
                ("DKIM_ADSP_NXDOMAIN", 0.9),
                ("HTML_MESSAGE", 0.001),
                ("RCVD_IN_MSPIKE_H2", -0.001),
                ("SPF_HELO_NONE", 0.001),
                ("SPF_NONE", 0.001),
                ("URIBL_ABUSE_SURBL", 1.948),
                ("URIBL_BLACK", 1.7),
            ],
            autolearn="no",
            autolearn_force="no",
            x_spam_score=7.234,
            level="*******",
        ),
    ],
    "amavis213-constructed-tag-undefined-no-tagged_above-empty-tests.txt": [
        dict(
            producer="amavis",
            verdict="ham",
            score=0.0,
            required=6.31,
            tagged_above=N,
            tests=[],
            autolearn="unavailable",
            autolearn_force=N,
            x_spam_score=0.0,
            level="",
        ),
    ],
    "amavis213-constructed-tag2-undefined-no-required-field.txt": [
        dict(
            producer="amavis",
            verdict="ham",
            score=3.1,
            required=N,
            tagged_above=1.0,
            tests=[("HTML_MESSAGE", 0.001), ("MIME_HTML_ONLY", 0.1), ("T_REMOTE_IMAGE", 0.01)],
            autolearn="no",
            autolearn_force="no",
            x_spam_score=3.1,
            level="***",
        ),
    ],
    "amavis213-gtube-ispconfig-normal-policy-tag1-tag2-4.5-with-x-spam-report.txt": [
        dict(
            producer="amavis",
            verdict="spam",
            score=999.998,
            required=4.5,
            tagged_above=1.0,
            tests=[("GTUBE", 1000.0), ("NO_RECEIVED", -0.001), ("NO_RELAYS", -0.001)],
            descriptions=[
                "Generic Test for Unsolicited Bulk Email",
                "Informational: message has no Received headers",
                "Informational: message was not relayed via SMTP",
            ],
            autolearn="no",
            autolearn_force="no",
            x_spam_score=999.998,
            level="*" * 64,
        ),
    ],
    "amavis213-ham-tagged_above-999-tests-none.txt": [
        dict(
            producer="amavis",
            verdict="ham",
            score=0.0,
            required=6.31,
            tagged_above=-999.0,
            tests=[],
            autolearn="unavailable",
            autolearn_force="no",
            x_spam_score=0.0,
            flag="NO",
            level="",
        ),
    ],
    "real-amavis-debian-2019-via-vger-8space-continuation.txt": [
        dict(
            producer="amavis",
            verdict="ham",
            score=-2.099,
            required=6.31,
            tagged_above=-999.0,
            tests=BAHNHOF,
            autolearn="ham",
            autolearn_force="no",
            x_spam_score=-2.099,
            flag="NO",
            level="",
        ),
    ],
    "real-amavis-debian-2020-1space-continuation.txt": [
        dict(
            producer="amavis",
            verdict="ham",
            score=-2.099,
            required=6.31,
            tagged_above=-999.0,
            tests=BAHNHOF,
            autolearn="ham",
            autolearn_force="no",
            x_spam_score=-2.099,
        ),
    ],
    "real-amavis-debian-2021-nice-reply.txt": [
        dict(
            producer="amavis",
            verdict="ham",
            score=-2.717,
            required=6.31,
            tagged_above=-999.0,
            tests=[
                ("BAYES_00", -1.9),
                ("DKIM_SIGNED", 0.1),
                ("DKIM_VALID", -0.1),
                ("DKIM_VALID_AU", -0.1),
                ("DKIM_VALID_EF", -0.1),
                ("NICE_REPLY_A", -0.618),
                ("URIBL_BLOCKED", 0.001),
            ],
            autolearn="ham",
            autolearn_force="no",
            x_spam_score=-2.717,
        ),
    ],
    "real-multi-scanner-rspamd-sender-side-plus-exim-spamassassin-list-side.txt": [
        dict(
            producer="rspamd",
            position=0,
            verdict="ham",
            score=-4.51,
            required=N,
            tests=SUSE_DE,
            action="no action",
            rejected=False,
            reject_threshold=50.0,
            x_spam_score=-4.51,
        ),
        dict(
            producer="exim",
            position=1,
            verdict="ham",
            score=-2.1,
            required=5.0,
            tests=EXIM_LIST,
            autolearn="ham",
            autolearn_force="no",
            action="no action",
            score_int=-20,
            bar="--",
        ),
    ],
    "real-rspamd-lfdr-add-header-false-6.29-x-spam-yes.txt": [
        dict(
            producer="rspamd",
            verdict="spam",
            score=6.29,
            required=N,
            tests_prefix=LFDR_ADD_HEADER_FIRST,
            test_count=35,
            action="add header",
            rejected=False,
            reject_threshold=15.0,
            flag="Yes",
        ),
    ],
    "real-rspamd-lfdr-no-action-minus4.16-action-before-result.txt": [
        dict(
            producer="rspamd",
            verdict="ham",
            score=-4.16,
            tests_prefix=[("WHITELIST_DMARC", -7.0), ("SUSPICIOUS_RECIPS", 1.5)],
            test_count=32,
            action="no action",
            rejected=False,
            reject_threshold=15.0,
        ),
    ],
    "real-rspamd-suse-outbound-tab-space-fold-unsorted-x-spam-flag-no.txt": [
        dict(
            producer="rspamd",
            verdict="ham",
            score=3.13,
            tests_prefix=[
                ("ARC_NA", 0.0),
                ("RCVD_VIA_SMTP_AUTH", 0.0),
                ("FROM_HAS_DN", 0.0),
                ("TO_DN_SOME", 0.0),
                ("R_MISSING_CHARSET", 2.5),
            ],
            test_count=20,
            reject_threshold=50.0,
            rejected=False,
            x_spam_score=3.13,
            flag="NO",
            level="***",
        ),
    ],
    "real-sa346-sourceware-unfolded-score-minus3028.5.txt": [
        dict(
            producer="spamassassin",
            verdict="ham",
            score=-3028.5,
            required=5.0,
            tests=[
                (n, N)
                for n in (
                    "BAYES_00",
                    "FREEMAIL_FORGED_FROMDOMAIN",
                    "FREEMAIL_FROM",
                    "HEADER_FROM_DIFFERENT_DOMAINS",
                    "HTML_MESSAGE",
                    "KAM_DMARC_STATUS",
                    "RCVD_IN_DNSWL_NONE",
                    "RCVD_IN_MSPIKE_H2",
                    "RCVD_IN_VALIDITY_RPBL_BLOCKED",
                    "RCVD_IN_VALIDITY_SAFE_BLOCKED",
                    "SPF_HELO_NONE",
                    "SPF_PASS",
                    "TXREP",
                )
            ],
            autolearn="no",
            autolearn_force="no",
            version="3.4.6",
            checker_host="sourceware.org",
        ),
    ],
    "real-sa346-vger-autolearn-unavailable.txt": [
        dict(
            producer="spamassassin",
            verdict="ham",
            score=-9.6,
            required=5.0,
            tests=[
                (n, N)
                for n in (
                    "BAYES_00",
                    "DKIMWL_WL_MED",
                    "DKIM_SIGNED",
                    "DKIM_VALID",
                    "DKIM_VALID_AU",
                    "DKIM_VALID_EF",
                    "RCVD_IN_DNSWL_NONE",
                    "SPF_HELO_NONE",
                    "SPF_PASS",
                    "T_SCC_BODY_TEXT_LINE",
                    "USER_IN_DEF_DKIM_WL",
                )
            ],
            autolearn="unavailable",
            autolearn_force="no",
            version="3.4.6",
            checker_host="lindbergh.monkeyblade.net",
        ),
    ],
    "real-sa346-vger-status-before-checker-8space.txt": [
        dict(
            producer="spamassassin",
            verdict="ham",
            score=-7.5,
            required=5.0,
            tests=[(n, N) for n in VGER_HI],
            autolearn="ham",
            autolearn_force="no",
            version="3.4.6",
            header_names=("X-Spam-Status", "X-Spam-Checker-Version"),
        ),
    ],
    "rspamd34-constructed-ispconfig-milter-headers-add-header-and-ham.txt": [
        dict(
            producer="rspamd",
            position=0,
            verdict="spam",
            score=8.1,
            bar="++++++++",
            level="********",
            flag="Yes",
            tests=[],
        ),
        dict(producer="rspamd", position=0, verdict="ham", score=-2.5, bar="--", level=N),
        dict(producer="rspamd", position=0, verdict="ham", score=0.4, bar="/", level=N),
    ],
    "rspamd34-constructed-ispconfig-milter-headers-rewrite-subject.txt": [
        dict(producer="rspamd", verdict="spam", score=7.42, bar="+++++++", level="*******", flag=N),
    ],
    "sa401-custom-x-spam-tests-testsscores-raw-values.txt": [
        dict(
            producer="spamassassin",
            verdict="ham",
            score=4.9,
            required=5.0,
            tests=[(TEST_ALPHA, 1.234), (TEST_BETA, 1.5), (TEST_DELTA, 1.0), (TEST_GAMMA, 1.2)],
            autolearn="disabled",
            autolearn_force=N,
            version="4.0.1",
            x_spam_score=4.9,
            level="****",
            flag=N,
        ),
    ],
    "sa401-exact-threshold-5.0-is-spam-autolearn-disabled.txt": [
        dict(
            producer="spamassassin",
            verdict="spam",
            score=5.0,
            required=5.0,
            tests=[(TEST_ALPHA, 1.2), (TEST_BETA, 1.2), (TEST_DELTA, 1.2), (TEST_GAMMA, 1.2)],
            descriptions=[
                "No description available.",
                "No description available.",
                "A fairly long description text that should wrap across the "
                "report lines when rendered by SA",
                "No description available.",
            ],
            autolearn="disabled",
            autolearn_force=N,
            version="4.0.1",
            flag="YES",
            level="*****",
        ),
    ],
    "sa401-gtube-report_safe0-x-spam-report-subject-rewrite.txt": [
        dict(
            producer="spamassassin",
            verdict="spam",
            score=1000.0,
            required=5.0,
            tests=GTUBE_REPORT,
            descriptions=[
                "Generic Test for Unsolicited Bulk Email",
                "Informational: message has no Received headers",
                "Informational: message was not relayed via SMTP",
            ],
            autolearn="no",
            autolearn_force="no",
            version="4.0.1",
            flag="YES",
            level="*" * 50,
        ),
    ],
    "sa401-gtube-report_safe1-wrapped.txt": [
        dict(
            producer="spamassassin",
            verdict="spam",
            score=1000.0,
            required=5.0,
            tests=GTUBE_REPORT,
            descriptions=[
                "Generic Test for Unsolicited Bulk Email",
                "Informational: message has no Received headers",
                "Informational: message was not relayed via SMTP",
            ],
            autolearn="no",
            autolearn_force="no",
            version="4.0.1",
            checker_host="vm",
        ),
    ],
    "sa401-gtube-test-mode-t-report-appended.txt": [
        dict(
            producer="spamassassin",
            verdict="spam",
            score=1000.0,
            required=5.0,
            tests=GTUBE_REPORT,
            autolearn="no",
            autolearn_force="no",
            version="4.0.1",
        ),
    ],
    "sa401-ham-report_safe0-no-report-header.txt": [
        dict(
            producer="spamassassin",
            verdict="ham",
            score=0.7,
            required=5.0,
            tests=ABDG,
            autolearn="no",
            autolearn_force="no",
            version="4.0.1",
            level="",
        ),
    ],
    "sa401-ham-tests-none-autolearn-ham.txt": [
        dict(
            producer="spamassassin",
            verdict="ham",
            score=0.0,
            required=5.0,
            tests=[],
            autolearn="ham",
            autolearn_force="no",
            version="4.0.1",
            level="",
        ),
    ],
    "sa401-near-threshold-real-4.96-displayed-4.9.txt": [
        dict(
            producer="spamassassin",
            verdict="ham",
            score=4.9,
            required=5.0,
            tests=[(TEST_ALPHA, 1.234), (TEST_BETA, 1.5), (TEST_DELTA, 1.026), (TEST_GAMMA, 1.2)],
            autolearn="no",
            autolearn_force="no",
            version="4.0.1",
            level="****",
            finding_codes={"display-floor"},
        ),
    ],
    "sa401-negative-score-minus22.7-tests-on-2nd-line.txt": [
        dict(
            producer="spamassassin",
            verdict="ham",
            score=-22.7,
            required=5.0,
            tests=[(TEST_ALPHA, -20.0), (TEST_BETA, 1.5), (TEST_DELTA, -3.0), (TEST_GAMMA, -1.2)],
            autolearn="ham",
            autolearn_force="no",
            version="4.0.1",
            level="",
        ),
    ],
    "sa401-required-0.1-real-0.07-displayed-score-0.txt": [
        dict(
            producer="spamassassin",
            verdict="ham",
            score=0.0,
            required=0.1,
            tests=ABDG,
            autolearn="disabled",
            autolearn_force=N,
            version="4.0.1",
            finding_codes={"display-floor"},
        ),
    ],
}

_SPECIAL = {"tests", "tests_prefix", "test_count", "descriptions", "finding_codes"}


def _check(report: SpamReport, expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        if key in _SPECIAL:
            continue
        assert getattr(report, key) == value, key
    tests = [(t.name, t.score) for t in report.tests]
    if "tests" in expected:
        assert tests == expected["tests"]
        # -0.0 is written "-0.0" by SA: keep the sign
        for got, (_, want) in zip(report.tests, expected["tests"], strict=True):
            if want is not None and want == 0:
                assert str(got.score) == str(want)
    if "tests_prefix" in expected:
        assert tests[: len(expected["tests_prefix"])] == expected["tests_prefix"]
    if "test_count" in expected:
        assert len(tests) == expected["test_count"]
    if "descriptions" in expected:
        assert [t.description for t in report.tests] == expected["descriptions"]
    if "finding_codes" in expected:
        assert expected["finding_codes"] <= {f.code for f in report.findings}


def test_every_sample_has_expectations(shared_dir: Path) -> None:
    names = {p.name for p in (shared_dir / "header-samples").glob("*.txt")}
    assert names == set(EXPECTED)


# This sample holds three separate header blocks (a), (b), (c), separated by empty lines.
SEPARATE_BLOCKS = {"rspamd34-constructed-ispconfig-milter-headers-add-header-and-ham.txt"}


def _reports(path: Path) -> list[SpamReport]:
    if path.name not in SEPARATE_BLOCKS:
        return parse_reports(path)
    chunks = path.read_bytes().split(b"\n\n")
    return [report for chunk in chunks for report in parse_reports(chunk)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample(shared_dir: Path, name: str) -> None:
    reports = _reports(shared_dir / "header-samples" / name)
    expected = EXPECTED[name]
    assert [r.producer for r in reports] == [e["producer"] for e in expected]
    for position, (report, want) in enumerate(zip(reports, expected, strict=True)):
        assert report.position == want.get("position", position)
        _check(report, want)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_has_no_warnings_or_parse_defects(shared_dir: Path, name: str) -> None:
    # Every sample is what a real producer wrote (or its documented formatter), so none may
    # look malformed; constructed amavis samples use hand-chosen numbers and may carry
    # score-vs-tests information, never a warning.
    for report in _reports(shared_dir / "header-samples" / name):
        assert report.defects == ()
        assert [f for f in report.findings if f.severity == "warning"] == []
