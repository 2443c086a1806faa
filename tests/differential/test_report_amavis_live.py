"""Live differential test: ``spamhdr explain --json`` on headers written by amavis 2.13's code.

amavis is not run as a daemon (spec headers-and-delivery.md §3.0). Hypothesis builds
SpamAssassin batches as the SpamAssassin differential test does (report_live_common.py);
the real SpamAssassin checks them (``harness/sa_tag.pl``) and its results — score,
``TESTSSCORES``, ``AUTOLEARN``, ``REPORT``, as amavis collects them in
Amavis/SpamControl/SpamAssassin.pm — become amavis inputs, together with generated
per-recipient settings: tag/tag2/tag3/kill levels (undefined and empty included), hard
black/white-listing, a local or non-local recipient, a pen-pals bonus item
(``AM.PENPAL``) or a score factor, X-Spam-Report allowed or not, and the level character.
``harness/amavis_hdr.pl`` runs amavis' own decision loop and
``add_forwarding_header_edits_per_recip`` from the installed Amavis.pm and writes the
header section with ``Amavis::Out::EditHeader``.

Every field spamhdr reports must equal what amavis computed: producer, verdict (amavis'
tag2 decision), score (``0+sprintf("%.3f")`` of the spam level, ``x`` → null),
x_spam_score (raised to 64 / lowered to 0 for black/white-listed senders), tagged_above,
required, listed, tests (the ``tests=[…]`` items with their raw scores, in order,
duplicates kept; descriptions from X-Spam-Report when amavis wrote it), autolearn and
autolearn_force (``unavailable`` when SpamAssassin gave none), flag, level (stars), no
version, no defects, no warning findings. Recipients amavis does not tag get a report
with no verdict (only ``X-Virus-Scanned``).
"""

from __future__ import annotations

import io
import json
import math
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_live_common import batch, run_spamassassin

from spamhdr.cli import main

HERE = Path(__file__).parent
HARNESS = HERE / "harness" / "amavis_hdr.pl"

LEVELS = [None, None, "", -999, 1, 2, 2.5, 3.5, 4.5, 5, 6.31, 10, 20, 60, 1000]


@st.composite
def recipient(draw: st.DrawFn) -> dict[str, Any]:
    listed = draw(st.sampled_from([None] * 6 + ["black", "white"]))
    return {
        "tag_level": draw(st.sampled_from(LEVELS)),
        "tag2_level": draw(st.sampled_from([x for x in LEVELS if x != ""])),
        "tag3_level": draw(st.sampled_from([None, None, 8, 15])),
        "kill_level": draw(st.sampled_from([None, 6.31, 10, 20])),
        "blacklisted": listed == "black",
        "whitelisted": listed == "white",
        "local": draw(st.integers(0, 7)) != 0,
        "report_header": draw(st.booleans()),
        "level_char": draw(st.sampled_from(["*", "*", "*", ""])),
        "penpal": draw(st.sampled_from([None, None, None, 3.5, 0.25, 1.234])),
        "factor": draw(st.sampled_from([None, None, None, 0.5, 1.5])),
        "autolearn_missing": draw(st.integers(0, 5)) == 0,
        "no_score": draw(st.integers(0, 15)) == 0,
    }


def _case(index: int, truth: dict[str, Any], rcpt: dict[str, Any]) -> dict[str, Any]:
    """amavis' per-recipient inputs from SpamAssassin's results (SpamControl/SpamAssassin.pm)."""
    level: float | None = truth["score"]
    tests = [truth["tag_TESTSSCORES"]]
    if rcpt["factor"] is not None and level is not None:
        level *= rcpt["factor"]  # score_factor of the scanner
    if rcpt["penpal"] is not None and level is not None:
        level -= rcpt["penpal"]  # pen-pals bonus: its item comes first (Amavis.pm)
        tests.insert(0, f"AM.PENPAL={-rcpt['penpal']}")
    report = truth["tag_REPORT"]
    if rcpt["no_score"]:  # no spam scanner result at all (score=x)
        level, tests, report = None, [], None
    message = Path(truth["file"]).read_text("utf-8")
    return {
        "id": f"a{index:03d}",
        "message": message,
        "spam_level": level,
        "tests": tests,
        "autolearn": None if rcpt["autolearn_missing"] else truth["tag_AUTOLEARN"],
        "report": report,
        **{k: rcpt[k] for k in ("tag_level", "tag2_level", "tag3_level", "kill_level")},
        **{k: rcpt[k] for k in ("blacklisted", "whitelisted", "local", "report_header")},
        "level_char": rcpt["level_char"],
    }


def _run_amavis(cases: list[dict[str, Any]], directory: Path) -> list[dict[str, Any]]:
    out = directory / "amavis"
    out.mkdir()
    done = subprocess.run(
        ["perl", str(HARNESS), "--outdir", str(out)],
        input="".join(json.dumps(c) + "\n" for c in cases),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def _num(value: float) -> float:
    """amavis' ``0+sprintf("%.3f", …)`` read back as a number."""
    return float(f"{value:.3f}")


def _expected(case: dict[str, Any], done: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    tagged = case["local"] and done["do_tag"]
    descriptions = {hit["name"]: hit["description"] for hit in truth["hits"]}
    report_written = (
        case["local"] and done["do_tag2"] and case["report_header"] and bool(case["report"])
    )
    if not tagged:
        # only X-Virus-Scanned (and X-Spam-Report when tag2 but not tag was reached)
        tests = []
        if report_written:
            tests = [
                {
                    "name": h["name"],
                    "score": float(h["report_score"]),
                    "description": h["description"],
                }
                for h in truth["hits"]
            ]
        return {"producer": "amavis", "verdict": None, "score": None, "tests": tests}
    level = case["spam_level"]
    items = [item for entry in case["tests"] for item in entry.split(",") if item != "none"]
    tests = []
    for item in items:
        name, _, score = item.partition("=")
        description = descriptions.get(name) if report_written else None
        tests.append({"name": name, "score": float(score), "description": description})
    x_score = 0.0 if level is None else level
    if case["blacklisted"]:
        x_score = max(64.0, x_score)
    if case["whitelisted"]:
        x_score = min(0.0, x_score)
    if case["whitelisted"]:
        stars = 0
    elif case["blacklisted"]:
        stars = 64
    elif level is None:
        stars = 0
    else:
        stars = min(64, math.trunc(level)) if level >= 1 else 0
    tag = case["tag_level"]
    autolearn, _, force = (case["autolearn"] or "unavailable").partition(" autolearn_force=")
    return {
        "producer": "amavis",
        "position": 0,
        "verdict": "spam" if done["do_tag2"] else "ham",
        "score": None if level is None else _num(level),
        "x_spam_score": _num(x_score),
        "tagged_above": None if tag is None or tag == "" else float(tag),
        "required": None if case["tag2_level"] is None else float(case["tag2_level"]),
        "listed": "blacklisted"
        if case["blacklisted"]
        else "whitelisted"
        if case["whitelisted"]
        else None,
        "tests": tests,
        "autolearn": autolearn,
        "autolearn_force": force or None,
        "version": None,
        "flag": "YES" if done["do_tag2"] else "NO",
        "level": None if case["level_char"] == "" else "*" * stars,
        "defects": [],
    }


def _compare(expected: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    if len(ours["reports"]) != 1:
        return [f"{len(ours['reports'])} reports: {[r['header_names'] for r in ours['reports']]}"]
    report = ours["reports"][0]
    problems = [
        f"{key}: spamhdr {report[key]!r} != amavis {want!r}"
        for key, want in expected.items()
        if report[key] != want
    ]
    warnings = [f for f in report["findings"] if f.startswith("warning")]
    if warnings:
        problems.append(f"warning findings on genuine amavis output: {warnings}")
    return problems


def _explain(paths: list[str]) -> list[dict[str, Any]]:
    out, err = io.StringIO(), io.StringIO()
    assert main(["explain", "--json", *paths], out, err) == 0, err.getvalue()
    return [json.loads(line) for line in out.getvalue().splitlines()]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(b=batch(), data=st.data())
def test_explain_matches_amavis(
    b: Any,
    data: st.DataObject,
    spamassassin_bin: str,
    amavis_modules: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    directory = tmp_path_factory.mktemp("amavis")
    truths = run_spamassassin(b, directory)
    cases = [_case(i, t, data.draw(recipient())) for i, t in enumerate(truths)]
    results = _run_amavis(cases, directory)
    ours = _explain([r["tagged"] for r in results])
    failures = []
    for case, done, truth, obj in zip(cases, results, truths, ours, strict=True):
        problems = _compare(_expected(case, done, truth), obj)
        if problems:
            text = Path(done["tagged"]).read_text("utf-8", "replace")
            failures.append((problems, {k: v for k, v in case.items() if k != "message"}, text))
    assert not failures, failures[0]
