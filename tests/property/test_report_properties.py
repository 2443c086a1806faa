"""Hypothesis properties of the report parser (issue 2 acceptance, STYLE.md point 18c).

* headers rendered with each producer's documented formatting — random scores, test lists,
  folding with TAB / one space / eight spaces, CRLF or LF — parse back to the generated
  values (spec headers-and-delivery.md §2.2, §3.2, §4.1, §4.2);
* the result does not depend on the folding style or the line ending;
* arbitrary bytes never raise anything but spamhdr's own error.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spamhdr.errors import SpamhdrError
from spamhdr.report import parse_reports

FOLDS = st.sampled_from(["\t", " ", "        ", "\t "])
EOLS = st.sampled_from(["\n", "\r\n"])
RULE = st.from_regex(r"[A-Z][A-Z0-9_]{0,22}", fullmatch=True)
RULES = st.lists(RULE, max_size=12, unique=True).map(sorted)
AUTOLEARN = st.sampled_from(["ham", "spam", "no", "failed", "unavailable"])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fold(name: str, pieces: list[tuple[str, str]], fold_ws: str, eol: str, width: int) -> str:
    """Render a header: ``pieces`` are (separator, text); a line break replaces the
    separator before a piece that would pass ``width`` (SA: spec §2.2 rule 4; amavis: §3.2)."""
    line = name + ":"
    lines: list[str] = []
    for sep, text in pieces:
        if len(line) + len(sep) + len(text) > width and line != name + ":":
            lines.append(line)
            line = fold_ws + text
        else:
            line += sep + text
    lines.append(line)
    return eol.join(lines) + eol


def perl_3dp(value: float) -> str:
    """amavis' 0+sprintf("%.3f"): trailing zeros and the dot removed (spec §3.2)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@st.composite
def sa_status(draw: st.DrawFn) -> tuple[dict[str, object], list[tuple[str, str]]]:
    spam = draw(st.booleans())
    score = draw(st.integers(-40000, 12000)) / 10
    required = draw(st.integers(1, 200)) / 10
    tests = draw(RULES)
    autolearn = draw(st.one_of(st.just("disabled"), AUTOLEARN))
    force: str | None = None
    if autolearn != "disabled":
        force = draw(st.sampled_from(["no", "yes"]))
        if force == "yes" and tests:
            force = f"yes ({tests[0]})"
    version = draw(st.sampled_from(["4.0.1", "3.4.6", "3.4.4"]))
    pieces: list[tuple[str, str]] = [
        (" ", "Yes," if spam else "No,"),
        (" ", f"score={score:.1f}"),
        (" ", f"required={required:.1f}"),
    ]
    listed = tests or ["none"]
    for index, name in enumerate(listed):
        text = name + ("," if index < len(listed) - 1 else "")
        pieces.append((" " if index == 0 else "", ("tests=" if index == 0 else "") + text))
    pieces.append((" ", f"autolearn={autolearn}"))
    if force is not None:
        pieces.append((" ", f"autolearn_force={force}"))
    pieces.append((" ", f"version={version}"))
    expected: dict[str, object] = {
        "producer": "spamassassin",
        "verdict": "spam" if spam else "ham",
        "score": float(f"{score:.1f}"),
        "required": float(f"{required:.1f}"),
        "tests": tests,
        "autolearn": autolearn,
        "autolearn_force": force,
        "version": version,
    }
    return expected, pieces


@st.composite
def amavis_status(draw: st.DrawFn) -> tuple[dict[str, object], list[tuple[str, str]]]:
    spam = draw(st.booleans())
    score_text = perl_3dp(draw(st.integers(-99999, 999999)) / 1000)
    tagged = draw(st.one_of(st.none(), st.sampled_from(["-999", "2", "1", "3.5", "20"])))
    required = draw(st.one_of(st.none(), st.sampled_from(["6.31", "5", "4.5", "60"])))
    listed = draw(st.sampled_from([None, "BLACKLISTED", "WHITELISTED"]))
    names = draw(RULES)
    scores = [perl_3dp(draw(st.integers(-5000, 5000)) / 1000) for _ in names]
    autolearn = draw(AUTOLEARN)
    pieces: list[tuple[str, str]] = [(" ", "Yes," if spam else "No,"), (" ", f"score={score_text}")]
    if tagged is not None:
        pieces.append((" ", f"tagged_above={tagged}"))
    if required is not None:
        pieces.append((" ", f"required={required}"))
    if listed is not None:
        pieces.append((" ", listed))
    items = [f"{n}={s}" for n, s in zip(names, scores, strict=True)] or ["none"]
    for index, item in enumerate(items):
        text = ("tests=[" if index == 0 else "") + item
        text += "," if index < len(items) - 1 else "]"
        pieces.append((" ", text))
    pieces.append((" ", f"autolearn={autolearn} autolearn_force=no"))
    expected: dict[str, object] = {
        "producer": "amavis",
        "verdict": "spam" if spam else "ham",
        "score": float(score_text),
        "tagged_above": None if tagged is None else float(tagged),
        "required": None if required is None else float(required),
        "listed": None if listed is None else listed.lower(),
        "tests": names,
        "test_scores": [float(s) for s in scores],
        "autolearn": autolearn,
        "autolearn_force": "no",
    }
    return expected, pieces


OPTION = st.from_regex(
    r"[A-Za-z0-9.:+/%@=_-][A-Za-z0-9 .:+/%@=_()-]{0,20}[A-Za-z0-9.:+/%@=_)-]", fullmatch=True
)


@st.composite
def rspamd_result(draw: st.DrawFn) -> tuple[dict[str, object], list[tuple[str, str]]]:
    score = draw(st.integers(-3000, 5000)) / 100
    reject = draw(st.sampled_from([15.0, 50.0, 10.0]))
    rejected = draw(st.booleans())
    names = draw(st.lists(RULE, max_size=10, unique=True))
    symbols = []
    for name in names:
        sym_score = draw(st.integers(-800, 800)) / 100
        drawn = draw(st.lists(OPTION, max_size=3))
        symbols.append((name, sym_score, tuple(o.strip() for o in drawn)))
    head = f"default: {'True' if rejected else 'False'} [{score:.2f} / {reject:.2f}]"
    pieces: list[tuple[str, str]] = [(" ", head + (";" if symbols else ""))]
    for index, (name, sym_score, options) in enumerate(symbols):
        text = f"{name}({sym_score:.2f})[{','.join(options)}]"
        pieces.append((" ", text + (";" if index < len(symbols) - 1 else "")))
    expected: dict[str, object] = {
        "producer": "rspamd",
        "score": float(f"{score:.2f}"),
        "reject_threshold": reject,
        "rejected": rejected,
        "tests": names,
        "test_scores": [float(f"{s:.2f}") for _, s, _ in symbols],
        "options": [o for _, _, o in symbols],
    }
    return expected, pieces


def _check(expected: dict[str, object], data: bytes) -> None:
    (report,) = parse_reports(data)
    assert report.defects == ()
    for key, value in expected.items():
        if key == "tests":
            assert [t.name for t in report.tests] == value
        elif key == "test_scores":
            assert [t.score for t in report.tests] == value
        elif key == "options":
            assert [t.options for t in report.tests] == value
        else:
            assert getattr(report, key) == value, key


@SETTINGS
@given(sa_status(), FOLDS, EOLS, st.integers(40, 400))
def test_spamassassin_status_round_trips(
    status: tuple[dict[str, object], list[tuple[str, str]]], fold_ws: str, eol: str, width: int
) -> None:
    expected, pieces = status
    _check(expected, fold("X-Spam-Status", pieces, fold_ws, eol, width).encode())


@SETTINGS
@given(amavis_status(), FOLDS, EOLS, st.integers(40, 400))
def test_amavis_status_round_trips(
    status: tuple[dict[str, object], list[tuple[str, str]]], fold_ws: str, eol: str, width: int
) -> None:
    expected, pieces = status
    _check(expected, fold("X-Spam-Status", pieces, fold_ws, eol, width).encode())


@SETTINGS
@given(rspamd_result(), FOLDS, EOLS, st.integers(30, 400))
def test_rspamd_result_round_trips(
    result: tuple[dict[str, object], list[tuple[str, str]]], fold_ws: str, eol: str, width: int
) -> None:
    expected, pieces = result
    _check(expected, fold("X-Spamd-Result", pieces, fold_ws, eol, width).encode())


@SETTINGS
@given(
    st.integers(-5000, 5000),
    st.sampled_from(["no action", "greylist", "add header", "rewrite subject", "reject"]),
    EOLS,
)
def test_rspamd_milter_headers_round_trip(centi: int, action: str, eol: str) -> None:
    # milter_headers.lua (spec §4.2): Yes unless no action/greylist, %.2f
    score = centi / 100
    spam = action not in ("no action", "greylist")
    status = f"{'Yes' if spam else 'No'}, score={score:.2f}"
    text = f"X-Rspamd-Action: {action}{eol}X-Spam-Status: {status}{eol}"
    (report,) = parse_reports(text.encode())
    assert (report.producer, report.verdict, report.score, report.action) == (
        "rspamd",
        "spam" if spam else "ham",
        float(f"{score:.2f}"),
        action,
    )
    assert [f for f in report.findings if f.severity == "warning"] == []


@SETTINGS
@given(sa_status(), st.lists(st.tuples(FOLDS, EOLS), min_size=2, max_size=3), st.integers(40, 120))
def test_folding_and_line_ends_do_not_change_the_report(
    status: tuple[dict[str, object], list[tuple[str, str]]],
    styles: list[tuple[str, str]],
    width: int,
) -> None:
    _, pieces = status
    reports = [
        parse_reports(fold("X-Spam-Status", pieces, fold_ws, eol, width).encode())
        for fold_ws, eol in styles
    ]
    assert all(r == reports[0] for r in reports)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_raise_only_spamhdr_errors(data: bytes) -> None:
    # the invariant (h11's fuzzer): parse it, or raise our own error, never anything else
    with contextlib.suppress(SpamhdrError):
        parse_reports(data)


SCANNER_NAMES = st.sampled_from(
    [
        "X-Spam-Status",
        "X-Spam-Flag",
        "X-Spam-Level",
        "X-Spam-Score",
        "X-Spam-Report",
        "X-Spam-Checker-Version",
        "X-Spam-Tests",
        "X-Spam",
        "X-Spamd-Result",
        "X-Spamd-Bar",
        "X-Rspamd-Action",
        "X-Rspamd-Score",
        "X-Rspamd-Report",
        "X-Spam_score",
        "X-Spam_report",
        "X-Spam_score_int",
        "X-Spam_bar",
        "X-Virus-Scanned",
        "Received",
        "Subject",
    ]
)
VALUE_TEXT = st.text(
    alphabet=st.sampled_from(list("YesNo,=[]();*/:.-+ \t\n0123456789ABCDEF_xscoreqtdamvi")),
    max_size=120,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(SCANNER_NAMES, VALUE_TEXT), max_size=8), EOLS)
def test_scanner_shaped_garbage_gives_reports_not_exceptions(
    fields: list[tuple[str, str]], eol: str
) -> None:
    # values full of the grammar's own punctuation, with stray line breaks: a best-effort
    # report with defects, never a foreign exception
    text = "".join(f"{name}: {value.replace(chr(10), eol + ' ')}{eol}" for name, value in fields)
    for report in parse_reports(text.encode()):
        assert report.position >= 0
