"""A report plus rule descriptions → explanation values (rows, the "why" line, JSON).

Input: a :class:`SpamReport` and an optional :class:`RuleLookup` (anything with
``describe(name)`` and ``score(name)``; the CLI passes ``spamhdr.rules``' config).
Output: :class:`Explanation` values and JSON-shaped dicts. Invariants: pure (no I/O, no
printing, no tabulate — tables are drawn by the CLI); numbers stay as written in the
headers; a description or score taken from rule files is marked as such and never
replaces what the message itself says; the JSON ``tests`` objects carry exactly
``name``/``score``/``description`` from the message (issue 2 §3 schema).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from spamhdr.report.model import SpamReport, TestHit

__all__ = [
    "ExplainRow",
    "Explanation",
    "RuleLookup",
    "explain_report",
    "explain_why",
    "report_to_json",
]


class RuleLookup(Protocol):
    """What explain needs from a rule configuration (``spamhdr.rules`` Config fits)."""

    def describe(self, name: str) -> str | None: ...

    def score(self, name: str, score_set: int = 0) -> float: ...


@dataclass(frozen=True, slots=True)
class ExplainRow:
    """One row of the explanation table.

    Attributes:
        name: the test name.
        score: the score to show: the message's, else the rule file's, else None.
        score_from_rules: True when ``score`` came from the rule files.
        rounded: True when ``score`` is SpamAssassin's rounded report column.
        share: the signed part this test has of all points moved (score / Σ|score|),
            None when scores are unknown.
        description: the message's description, else the rule file's, else None.
        description_from_rules: True when ``description`` came from the rule files.
    """

    name: str
    score: float | None
    score_from_rules: bool
    rounded: bool
    share: float | None
    description: str | None
    description_from_rules: bool


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything the CLI shows for one report."""

    report: SpamReport
    rows: tuple[ExplainRow, ...]
    why: str


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _lookup_score(rules: RuleLookup | None, name: str, score_set: int) -> float | None:
    """The rule file's score; 0 counts as unknown (a rule scored 0 never hits, and
    ``spamhdr.rules``' Config answers 0.0 for names it does not know)."""
    if rules is None:
        return None
    try:
        value = float(rules.score(name, score_set))
    except (KeyError, LookupError, ValueError, TypeError):
        return None
    return value if value != 0 else None


def _lookup_description(rules: RuleLookup | None, name: str) -> str | None:
    if rules is None:
        return None
    try:
        return rules.describe(name)
    except (KeyError, LookupError):
        return None


def explain_report(
    report: SpamReport, rules: RuleLookup | None = None, *, score_set: int = 0
) -> Explanation:
    """Build the table rows and the "why" line of ``report``.

    Args:
        report: a parsed report.
        rules: rule descriptions and scores for tests the message does not describe.
        score_set: the SpamAssassin score set used for rule-file scores.
    """
    if report.producer == "rspamd":
        rules = None  # rspamd symbols are not SpamAssassin rules, even where names agree
    rows: list[ExplainRow] = []
    scores: list[float | None] = []
    for hit in report.tests:
        score = hit.score
        if score is None:
            score = _lookup_score(rules, hit.name, score_set)
        scores.append(score)
    moved = sum(abs(s) for s in scores if s is not None)
    for hit, score in zip(report.tests, scores, strict=True):
        description, desc_from_rules = hit.description, False
        if description is None and hit.options:
            # rspamd symbols carry no description, but their options say what matched
            description = "[" + ", ".join(hit.options) + "]"
        if description is None:
            description = _lookup_description(rules, hit.name)
            desc_from_rules = description is not None
        share = score / moved if score is not None and moved > 0 else None
        rows.append(
            ExplainRow(
                hit.name,
                score,
                hit.score is None and score is not None,
                hit.name in report.rounded_scores,
                share,
                description,
                desc_from_rules,
            )
        )
    return Explanation(report, tuple(rows), explain_why(report, tuple(rows)))


def _top(rows: tuple[ExplainRow, ...], positive: bool, count: int = 3) -> str:
    picked = [r for r in rows if r.score is not None and (r.score > 0 if positive else r.score < 0)]
    picked.sort(key=lambda r: -abs(r.score or 0))
    return ", ".join(f"{r.name} {'+' if positive else ''}{_num(r.score)}" for r in picked[:count])


def explain_why(report: SpamReport, rows: tuple[ExplainRow, ...] = ()) -> str:
    """One sentence: why this scanner called the message spam, or why not."""
    score, required = report.score, report.required
    up, down = _top(rows, True), _top(rows, False)
    if report.verdict is None:
        if report.producer == "amavis" and score is None:
            return (
                "no verdict: amavis scanned the message but wrote no X-Spam-* headers — the "
                "score was below the tag level, or the recipient is not local"
            )
        return "no verdict: these headers do not say whether the message is spam"
    if report.listed == "blacklisted":
        return f"spam because the sender is blacklisted for this recipient (score {_num(score)})"
    if report.listed == "whitelisted":
        return (
            f"not spam because the sender is whitelisted for this recipient (score {_num(score)})"
        )
    if report.producer == "rspamd":
        action = f"action '{report.action}'" if report.action else "the rspamd verdict"
        word = "spam" if report.verdict == "spam" else "not spam"
        tail = (
            f"; reject threshold {_num(report.reject_threshold)}" if report.reject_threshold else ""
        )
        main = up if report.verdict == "spam" else down
        return f"{word}: {action} at score {_num(score)}{tail}" + (
            f"; mostly {main}" if main else ""
        )
    if report.verdict == "spam":
        base = "spam"
        if score is not None and required is not None:
            base += f" because score {_num(score)} >= required {_num(required)}"
        return base + (f"; biggest contributions: {up}" if up else "")
    base = "not spam"
    if score is not None and required is not None:
        base += (
            f" because score {_num(score)} < required {_num(required)} "
            f"({_num(required - score)} points short)"
        )
    elif required is None and report.producer == "amavis":
        base += " because no spam level (tag2, required=) applies to this recipient"
    if down:
        base += f"; pulled down by: {down}"
    elif up:
        base += f"; raised by: {up}"
    return base


def _test_json(hit: TestHit) -> dict[str, Any]:
    return {"name": hit.name, "score": hit.score, "description": hit.description}


def report_to_json(report: SpamReport, explanation: Explanation | None = None) -> dict[str, Any]:
    """The JSON object of one report (issue 2 §3 schema, plus documented extra keys)."""
    out: dict[str, Any] = {
        "producer": report.producer,
        "position": report.position,
        "header_names": list(report.header_names),
        "verdict": report.verdict,
        "score": report.score,
        "required": report.required,
        "tagged_above": report.tagged_above,
        "tests": [_test_json(hit) for hit in report.tests],
        "autolearn": report.autolearn,
        "autolearn_force": report.autolearn_force,
        "version": report.version,
        "listed": report.listed,
        "x_spam_score": report.x_spam_score,
        "action": report.action,
        "defects": list(report.defects),
        "findings": [str(f) for f in report.findings],
        # extra keys (docs/explain.md)
        "flag": report.flag,
        "level": report.level,
        "bar": report.bar,
        "reject_threshold": report.reject_threshold,
        "rejected": report.rejected,
        "score_int": report.score_int,
        "checker_host": report.checker_host,
        "autolearn_force_rules": list(report.autolearn_force_rules),
        "rounded_scores": list(report.rounded_scores),
        "test_details": [
            {
                "name": hit.name,
                "area": hit.area,
                "options": list(hit.options),
                "details": list(hit.details),
            }
            for hit in report.tests
        ],
    }
    if explanation is not None:
        out["why"] = explanation.why
        out["rows"] = [
            {
                "name": row.name,
                "score": row.score,
                "score_from_rules": row.score_from_rules,
                "share": None if row.share is None else round(row.share, 6),
                "description": row.description,
                "description_from_rules": row.description_from_rules,
            }
            for row in explanation.rows
        ]
    return out
