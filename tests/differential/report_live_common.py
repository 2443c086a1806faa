"""Shared generation for the live report differential tests (SpamAssassin, amavis).

Not a test module: ``test_report_sa_live.py`` and ``test_report_amavis_live.py`` import
it. It generates SpamAssassin configurations, header rules and messages with hypothesis
and tags them with the real SpamAssassin through ``harness/sa_tag.pl`` (see the test
modules' docstrings for what is compared).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

__all__ = ["Batch", "Message", "Rule", "batch", "config_text", "run_spamassassin"]

HERE = Path(__file__).parent
HARNESS = HERE / "harness" / "sa_tag.pl"

# --- generation ---------------------------------------------------------------------------

#: scores SpamAssassin's report column and header formatting treat specially (spec §2.3):
#: tiny ones print -0.0/0.0, |score| >= 10 prints "%4.0f", binary halves round half-even.
SPECIAL_SCORES = [
    "0.001", "-0.001", "0.01", "1.25", "-1.25", "2.5", "0.05", "0.15", "0.25", "0.35",
    "0.45", "9.95", "9.96", "-9.96", "10", "-10", "12.5", "-20", "100", "1000", "3.75",
]  # fmt: skip

#: describe words: punctuation real describes use, free-standing and quoted "*" (stock
#: TVD_SUBJ_FINGER_03 '"* like so *"'), a tag-like word (not expanded inside _REPORT_),
#: non-ASCII (localised rule files; SA then RFC 2047-encodes the report header).
WORDS = [
    "Informational:", "message", "has", "no", "Received", "headers", "From:", "contains",
    "empty", "name", "Sender", "listed", "at", "https://www.dnswl.org/,", "trust", "HTML",
    "and", "text", "parts", "differ", "(relaxed)", "List-*", "100%", "1.5", "quoted",
    '"*', "like", "so", '*"', "*", "BitCoin", "+", "e-mail", "sub-domain", "X-Mailer:", "a",
    "the", "of", "is", "ends", "in", "digit", "_SCORE_", "very-long-hyphenated-token-that",
    "UPPERCASE", "ümlaut", "Grüße", "vps[0-9]",
]  # fmt: skip
#: whole describes from the stock rules that end in a bracketed word (BITCOIN_ONAN)
FIXED_DESCRIBES = ["BitCoin + [censored]", "vps[0-9] domain at a suspiscious TLD"]

REQUIRED = ["0.1", "5", "5.0", "6.31", "1", "3.5", "10", "12.34", "0.5", "-1", "2.05", "7.77"]


@dataclass
class Rule:
    name: str
    score: str
    describe: str | None
    multiple: bool
    header: str
    token: str


@dataclass
class Message:
    hits: list[tuple[int, int]]  # (rule index, times the token appears)
    adjust: str | None  # delta from required for an extra per-message rule, or None
    upstream: bool  # carries an upstream X-Spam-Status that SpamAssassin must strip
    return_path: bool
    subject: str | None
    body: str


@dataclass
class Batch:
    stock: bool
    test_mode: bool
    required: str
    report_safe: int
    report_all: bool
    tests_header: bool
    rewrite_subject: bool
    fold: bool
    use_bayes: bool
    rules: list[Rule] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)


rule_name = st.from_regex(r"\A[A-Z][A-Z0-9_]{1,36}\Z", fullmatch=True)
decimal_score = st.decimals(
    min_value=Decimal("-30"), max_value=Decimal("30"), places=3, allow_nan=False
).filter(lambda d: d != 0)


def _score_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


score_text = st.one_of(st.sampled_from(SPECIAL_SCORES), decimal_score.map(_score_text))


@st.composite
def describe_text(draw: st.DrawFn) -> str | None:
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return None
    if choice == 1:
        return draw(st.sampled_from(FIXED_DESCRIBES))
    words = draw(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=30).filter(_no_report_lookalike)
    )
    return " ".join(words)


def _no_report_lookalike(words: list[str]) -> bool:
    """Leave out describes containing "* <number> <word>": in a one-line report
    (fold_headers 0) that text is indistinguishable from the start of the next report line
    (a documented limit of the parser, docs/explain.md); no real describe contains it."""
    return not any(
        word.endswith("*") and index + 1 < len(words) and words[index + 1] == "1.5"
        for index, word in enumerate(words)
    )


@st.composite
def rule(draw: st.DrawFn, index: int) -> Rule:
    name = "SH" + str(index) + "_" + draw(rule_name)
    return Rule(
        name=name[:40],
        score=draw(score_text),
        describe=draw(describe_text()),
        multiple=draw(st.integers(0, 5)) == 0,
        header=f"X-Gen-{index}",
        token=f"tok{index}x",
    )


@st.composite
def message(draw: st.DrawFn, rules: list[Rule]) -> Message:
    chosen = draw(st.lists(st.integers(0, len(rules) - 1), unique=True, max_size=len(rules)))
    hits = [(i, draw(st.integers(1, 3)) if rules[i].multiple else 1) for i in chosen]
    adjust = draw(
        st.one_of(
            st.none(),
            st.sampled_from(["-0.04", "-0.05", "-0.001", "0", "0.001", "-0.06", "0.05", "-1"]),
        )
    )
    subject = draw(
        st.one_of(
            st.none(),
            st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
            st.just("=?utf-8?Q?Gr=C3=BC=C3=9Fe?= aus Berlin"),
        )
    )
    body = draw(st.sampled_from(["hello\n", "buy now\n" * 3, "", "line one\nline two\n"]))
    return Message(hits, adjust, draw(st.booleans()), draw(st.booleans()), subject, body)


@st.composite
def batch(draw: st.DrawFn, stock: bool = False) -> Batch:
    count = draw(st.integers(1, 9))
    rules = [draw(rule(i)) for i in range(count)]
    out = Batch(
        stock=stock,
        test_mode=draw(st.integers(0, 3)) == 0,
        required=draw(st.one_of(st.sampled_from(REQUIRED), decimal_score.map(_score_text))),
        report_safe=draw(st.sampled_from([0, 0, 1, 2])),
        report_all=draw(st.booleans()),
        tests_header=draw(st.booleans()),
        rewrite_subject=draw(st.booleans()),
        fold=draw(st.integers(0, 3)) != 0,
        use_bayes=draw(st.booleans()),
        rules=rules,
    )
    out.messages = draw(st.lists(message(rules), min_size=4, max_size=8))
    return out


# --- rendering ------------------------------------------------------------------------------


def config_text(b: Batch) -> str:
    lines = [f"required_score {b.required}", f"report_safe {b.report_safe}"]
    if b.report_all:
        lines.append("add_header all Report _REPORT_")
    if b.tests_header:
        lines.append("add_header all Tests _TESTSSCORES(,)_")
    if b.rewrite_subject:
        lines.append("rewrite_header Subject *****SPAM*****")
    if not b.fold:
        lines.append("fold_headers 0")
    if not b.use_bayes:
        lines.append("use_bayes 0")
    for r in b.rules:
        lines.append(f"header {r.name} {r.header} =~ /\\b{r.token}\\b/")
        lines.append(f"score {r.name} {r.score}")
        if r.describe is not None:
            lines.append(f"describe {r.name} {r.describe}")
        if r.multiple:
            lines.append(f"tflags {r.name} multiple")
    for index, m in enumerate(b.messages):
        if m.adjust is None:
            continue
        # a per-message rule that puts the total at required + delta (no stock rules)
        total = sum(Decimal(b.rules[i].score) * n for i, n in m.hits)
        score = Decimal(b.required) + Decimal(m.adjust) - total
        if score != 0 and not b.stock:
            lines.append(f"header SHADJ_{index} X-Adjust =~ /\\badj{index}\\b/")
            lines.append(f"score SHADJ_{index} {_score_text(score)}")
            lines.append(f"describe SHADJ_{index} Moves the total to required {m.adjust}")
    return "\n".join(lines) + "\n"


def _message_bytes(b: Batch, index: int, m: Message) -> bytes:
    lines = []
    if m.return_path:
        lines.append("Return-Path: <sender@example.com>")
    if m.upstream:
        lines.append("X-Spam-Status: Yes, score=99.0 required=5.0 tests=UPSTREAM version=3.4.6")
        lines.append("X-Spam-Flag: YES")
    lines += [
        "From: Sender <sender@example.com>",
        "To: rcpt@example.org",
        f"Message-ID: <m{index}@example.com>",
        "Date: Mon, 3 Mar 2025 10:00:00 +0000",
    ]
    if m.subject is not None:
        lines.append(f"Subject: {m.subject}")
    for i, times in m.hits:
        r = b.rules[i]
        lines.append(f"{r.header}: " + " ".join([r.token] * times))
    if m.adjust is not None:
        lines.append(f"X-Adjust: adj{index}")
    return ("\n".join(lines) + "\n\n" + m.body).encode("utf-8")


# --- the comparison --------------------------------------------------------------------------


def run_spamassassin(b: Batch, directory: Path) -> list[dict[str, Any]]:
    cf = directory / "rules.cf"
    cf.write_text(config_text(b), encoding="utf-8")
    inputs = []
    for index, m in enumerate(b.messages):
        path = directory / f"in{index:02d}.eml"
        path.write_bytes(_message_bytes(b, index, m))
        inputs.append(str(path))
    out = directory / "tagged"
    out.mkdir()
    argv = ["perl", str(HARNESS), "--cf", str(cf), "--outdir", str(out)]
    argv += ["--stock"] if b.stock else []
    argv += ["--test-mode"] if b.test_mode else []
    done = subprocess.run(argv + inputs, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]
