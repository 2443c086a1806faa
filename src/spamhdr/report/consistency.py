"""A report → consistency findings, with each producer's own precision and rounding.

Input: a :class:`SpamReport` (values as written). Output: a tuple of :class:`Finding`.
Invariants: pure; a ``warning`` means the headers contradict each other or the producer's
documented formatting; an ``info`` means they agree but are easy to misread (SpamAssassin's
display floor, rspamd's ``False``). Rounding rules (spec headers-and-delivery.md §0):

* SpamAssassin: the score is rounded to 3 decimals, spam is ``score >= required``, the
  header shows ``%2.1f`` — or ``required - 0.1`` (a Perl number) for non-spam that would
  display as ``required`` (Util.pm ``get_tag_value_for_score``); stars ``int(score)``, max 50.
* amavis: ``0+sprintf("%.3f")``; stars ``int(score)`` max 64, 64 when blacklisted, none
  when whitelisted; ``X-Spam-Score`` raised to ≥ 64 / lowered to ≤ 0 for listed senders.
* rspamd: ``%.2f``; ``X-Spam-Status`` is Yes unless the action is ``no action``/
  ``greylist``; ``True`` means the action is ``reject``; bar ``+``/``-`` × floor(|score|).
* Exim: ``X-Spam_score_int`` = (int)((score + 0.001) × 10); bar as rspamd's, max 50.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from spamhdr.report.model import Finding, SpamReport
from spamhdr.report.rspamd import NOT_SPAM_ACTIONS
from spamhdr.scoring import display_score, stars, total_score

__all__ = ["check_report", "sa_display_score", "sa_stars"]

_EPS = 1e-9


def _fmt(value: float) -> str:
    """A number the way a postmaster reads it: no float noise, no needless zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def sa_display_score(real: float, required: float, is_spam: bool | None = None) -> tuple[str, bool]:
    """SpamAssassin's ``_SCORE_`` text and spam flag for a real score (Util.pm l.2461).

    ``is_spam``: SpamAssassin's decision when known. It compares the score with the real
    ``required_score``, of which a header shows only ``%2.1f`` (6.31 → ``6.3``), so a
    score within 0.05 of the shown value can fall on either side; None decides with
    ``required`` as given.

    >>> sa_display_score(4.96, 5.0)
    ('4.9', False)
    >>> sa_display_score(0.07, 0.1)
    ('0', False)
    >>> sa_display_score(-6.372, -6.4, is_spam=False)  # required_score -6.371
    ('-6.5', False)
    """
    rounded = total_score((real,))  # PerMsgStatus.pm l.447: (sprintf "%0.3f") + 0
    if is_spam is None:
        is_spam = rounded >= required
    return display_score(rounded, required, is_spam), is_spam


def sa_stars(real: float, cap: int = 50) -> int:
    """``_STARS_``: Perl ``int()`` (truncation) of the score, 0 below 1, at most ``cap``."""
    return len(stars(real, cap=cap))


def _score_interval(report: SpamReport) -> tuple[float, float] | None:
    """Where SpamAssassin's real score lies, given the display score (half-open)."""
    if report.score is None:
        return None
    low, high = report.score - 0.05, report.score + 0.05
    if report.verdict == "ham" and report.required is not None and _is_floor(report):
        # any non-spam score up to the real required_score, which the header shows as
        # %2.1f: 2.05 shows as "2.0" and a real 2.01 as score=1.9 (2 stars)
        high = report.required + 0.05
    return low, high


def _is_floor(report: SpamReport) -> bool:
    if report.score is None or report.required is None or report.verdict != "ham":
        return False
    floor = float(f"{float(f'{report.required:2.1f}') - 0.1:.15g}")
    return abs(report.score - floor) < _EPS


def _stars_text(level: str) -> int | None:
    text = level.strip()
    if not text:
        return 0
    return len(text) if len(set(text)) == 1 else None


def _flag_vs_verdict(report: SpamReport, out: list[Finding]) -> None:
    if report.flag is None or report.verdict is None:
        return
    word = report.flag.strip().upper()
    if word not in ("YES", "NO"):
        return
    if (word == "YES") != (report.verdict == "spam"):
        out.append(
            Finding(
                "flag-vs-status",
                "warning",
                f"X-Spam-Flag says {report.flag} but the verdict is {report.verdict}",
            )
        )


def _tests_sum(report: SpamReport) -> tuple[float, float] | None:
    """Sum of the test scores and the rounding tolerance of their display, if all known."""
    if not report.tests or any(t.score is None for t in report.tests):
        return None
    total = 0.0
    tolerance = 0.0
    for hit in report.tests:
        assert hit.score is not None
        total += hit.score
        if hit.name in report.rounded_scores:
            # report column "%4.1f", or "%4.0f" for |score| >= 10 (spec §2.3)
            tolerance += 0.5 if abs(hit.score) >= 10 else 0.05
    return total, tolerance


def _check_spamassassin(report: SpamReport, out: list[Finding]) -> None:
    _flag_vs_verdict(report, out)
    score, required = report.score, report.required
    if report.verdict == "spam" and report.flag is None and report.level is not None:
        out.append(
            Finding(
                "flag-missing",
                "info",
                "spam without X-Spam-Flag: SpamAssassin's default template adds it "
                "(add_header spam Flag), so this site uses a custom template",
            )
        )
    if score is not None and required is not None and report.verdict is not None:
        if report.verdict == "spam" and score < required - _EPS:
            out.append(
                Finding(
                    "verdict-vs-required",
                    "warning",
                    f"verdict Yes but score {_fmt(score)} < required {_fmt(required)}",
                )
            )
        if report.verdict == "ham" and score >= required - _EPS:
            out.append(
                Finding(
                    "verdict-vs-required",
                    "warning",
                    f"verdict No but score {_fmt(score)} >= required {_fmt(required)}",
                )
            )
    summed = _tests_sum(report)
    exact: float | None = None
    if summed is not None and score is not None and required is not None:
        total, tolerance = summed
        if tolerance == 0:
            exact = float(f"{total:.3f}")  # SA rounds the score first (PerMsgStatus.pm l.447)
            stated = None if report.verdict is None else report.verdict == "spam"
            # the real required_score lies within ±0.05 of the shown one (%2.1f): only a
            # verdict that no such required_score explains contradicts the tests' sum
            rounded = float(f"{total:.3f}")
            if stated is not None and (
                (stated and rounded < required - 0.05 - _EPS)
                or (not stated and rounded >= required + 0.05 + _EPS)
            ):
                stated = None
            shown, is_spam = sa_display_score(total, required, stated)
            if abs(float(shown) - score) > _EPS or (
                report.verdict is not None and (report.verdict == "spam") != is_spam
            ):
                out.append(
                    Finding(
                        "score-vs-tests",
                        "warning",
                        f"the test scores sum to {_fmt(total)}, which SpamAssassin shows "
                        f"as score={shown} ({'Yes' if is_spam else 'No'}), "
                        f"but the header says {_fmt(score)}",
                    )
                )
            elif not is_spam and f"{float(f'{total:.3f}'):2.1f}".strip() != shown:
                out.append(
                    Finding(
                        "display-floor",
                        "info",
                        f"the real score is {_fmt(total)} (sum of the raw test scores); it "
                        f"rounds to {float(f'{total:.3f}'):.1f}, but SpamAssassin shows a "
                        f"non-spam score that would round to required as required - 0.1 = "
                        f"{shown}",
                    )
                )
        elif abs(total - score) > tolerance + 0.05 + _EPS and not _is_floor(report):
            out.append(
                Finding(
                    "score-vs-tests",
                    "warning",
                    f"the reported test scores sum to {_fmt(total)}, more than their rounding "
                    f"(±{_fmt(tolerance)}) away from score={_fmt(score)}",
                )
            )
    if exact is None and score is not None and required is not None and _is_floor(report):
        out.append(
            Finding(
                "display-floor",
                "info",
                f"score={_fmt(score)} may be SpamAssassin's display floor (required - 0.1): "
                f"every non-spam score from {_fmt(score - 0.05)} up to (not including) "
                f"the real required_score (shown as {_fmt(required)}) is shown this way",
            )
        )
    _check_stars(report, 50, out, exact)


def _check_stars(
    report: SpamReport, cap: int, out: list[Finding], exact: float | None = None
) -> None:
    if report.level is None:
        return
    count = _stars_text(report.level)
    if count is None:
        out.append(Finding("stars", "warning", f"X-Spam-Level {report.level!r} mixes characters"))
        return
    if count > cap:
        out.append(
            Finding("star-cap", "warning", f"{count} stars, but {report.producer} caps at {cap}")
        )
        return
    interval = _score_interval(report)
    if exact is not None:
        interval = (exact, exact + 1e-6)
    if interval is None:
        return
    low, high = interval
    expected = {sa_stars(low, cap), sa_stars(high - 1e-6, cap)}
    if count < min(expected) or count > max(expected):
        shown = "-".join(str(n) for n in sorted(expected))
        out.append(
            Finding(
                "stars",
                "warning",
                f"X-Spam-Level has {count} stars, int(score {_fmt(report.score or 0)}) "
                f"gives {shown}",
            )
        )
    elif count == cap and report.score is not None and report.score >= cap + 1:
        out.append(Finding("star-cap", "info", f"X-Spam-Level is capped at {cap} stars"))


def _check_amavis(report: SpamReport, out: list[Finding]) -> None:
    _flag_vs_verdict(report, out)
    score, required, listed = report.score, report.required, report.listed
    if report.verdict is not None:
        expected: str | None
        if listed == "blacklisted":
            expected = "spam"
        elif listed == "whitelisted":
            expected = "ham"
        elif score is None:
            expected = None
        elif required is None:
            # no tag2 level: only a reached tag3 level makes it Yes (Amavis.pm
            # decide_mail_destiny: "tag3 implies tag2"), and tag3 is not written
            expected = None
            if report.verdict == "spam":
                out.append(
                    Finding(
                        "tag3",
                        "info",
                        "Yes without required=: no tag2 level applies, so the score reached "
                        "this recipient's tag3 level (spam_tag3_level), which amavis does "
                        "not write",
                    )
                )
        elif abs(score - required) < 0.0005:
            expected = None  # the 3-decimal display cannot tell which side it was on
        else:
            expected = "spam" if score >= required else "ham"
        if expected == "ham" and report.verdict == "spam" and not listed:
            # Yes below tag2: only a tag3 level set below tag2 does that (tag3 implies
            # tag2, Amavis.pm decide_mail_destiny) — an odd policy, not a contradiction
            expected = None
            out.append(
                Finding(
                    "tag3",
                    "info",
                    f"Yes although score {_fmt(score or 0)} < required "
                    f"{_fmt(required or 0)}: this recipient's tag3 level (spam_tag3_level, "
                    "not written) must be below its tag2 level",
                )
            )
        if expected is not None and expected != report.verdict:
            why = (
                f" ({listed})"
                if listed
                else f" (score {_fmt(score or 0)}, required "
                + (f"{_fmt(required)})" if required is not None else "undefined)")
            )
            out.append(
                Finding(
                    "verdict-vs-required",
                    "warning",
                    f"amavis would say {'Yes' if expected == 'spam' else 'No'}{why}, "
                    f"the header says {'Yes' if report.verdict == 'spam' else 'No'}",
                )
            )
    if listed == "blacklisted":
        out.append(
            Finding(
                "listed",
                "info",
                "sender blacklisted for this recipient: Yes regardless of the score, "
                "X-Spam-Score raised to at least 64, 64 stars",
            )
        )
    elif listed == "whitelisted":
        out.append(
            Finding(
                "listed",
                "info",
                "sender whitelisted for this recipient: No regardless of the score, "
                "X-Spam-Score lowered to at most 0, no stars",
            )
        )
    if score is not None and report.x_spam_score is not None:
        want = score
        if listed == "blacklisted":
            want = max(score, 64.0)
        elif listed == "whitelisted":
            want = min(score, 0.0)
        if abs(report.x_spam_score - want) > 0.0005 + _EPS:
            out.append(
                Finding(
                    "x-spam-score",
                    "warning",
                    f"X-Spam-Score {_fmt(report.x_spam_score)} but X-Spam-Status score="
                    f"{_fmt(score)} gives {_fmt(want)}",
                )
            )
    if (
        score is not None
        and report.tagged_above is not None
        and listed is None
        and score < report.tagged_above - 0.0005
    ):
        out.append(
            Finding(
                "tagged-above",
                "warning",
                f"score {_fmt(score)} is below tagged_above={_fmt(report.tagged_above)}, "
                "but amavis adds these headers only at or above the tag level",
            )
        )
    summed = _tests_sum(report)
    if summed is not None and score is not None:
        total = summed[0]
        if abs(total - score) > 0.0005 + 1e-6:
            out.append(
                Finding(
                    "score-vs-tests",
                    "info",
                    f"tests sum to {_fmt(total)} but score={_fmt(score)}: amavis adds "
                    "per-recipient adjustments (soft white/blacklist, pen pals, score factor)",
                )
            )
    if report.level is not None and score is not None:
        count = _stars_text(report.level)
        if count is None:
            out.append(Finding("stars", "warning", "X-Spam-Level mixes characters"))
        else:
            if listed == "blacklisted":
                allowed = {64}
            elif listed == "whitelisted":
                allowed = {0}
            else:
                allowed = {sa_stars(score - 0.0005, 64), sa_stars(score + 0.0004999, 64)}
            if count not in allowed:
                out.append(
                    Finding(
                        "stars",
                        "warning",
                        f"X-Spam-Level has {count} stars; amavis writes "
                        f"{'/'.join(str(n) for n in sorted(allowed))} (int(score), max 64)",
                    )
                )


def _rspamd_bar(score: float) -> str:
    if score >= 1:
        return "+" * math.floor(score)
    if score <= -1:
        return "-" * math.floor(-score)
    return "/"


def _check_rspamd(report: SpamReport, out: list[Finding]) -> None:
    action = report.action.strip().lower() if report.action else None
    score = report.score
    rejected_wrong = report.rejected is not None and report.rejected != (action == "reject")
    if action is not None and rejected_wrong:
        out.append(
            Finding(
                "rejected-vs-action",
                "warning",
                f"X-Spamd-Result says {'True' if report.rejected else 'False'} "
                f"(True means reject) but the action is {report.action}",
            )
        )
    verdict_wrong = (report.verdict == "spam") == (action in NOT_SPAM_ACTIONS)
    if action is not None and report.verdict is not None and verdict_wrong:
        out.append(
            Finding(
                "action-vs-status",
                "warning",
                f"action {report.action!r} but the verdict is {report.verdict}",
            )
        )
    x_spam_yes = report.flag is not None and report.flag.strip().lower() == "yes"
    if x_spam_yes and action is not None and action != "add header":
        out.append(
            Finding(
                "x-spam-vs-action",
                "warning",
                f"X-Spam: Yes is added for action 'add header', the action is {report.action}",
            )
        )
    if report.rejected is False and report.verdict == "spam":
        out.append(
            Finding(
                "false-is-not-ham",
                "info",
                "X-Spamd-Result 'False' only means the action is not reject; "
                "this message was still treated as spam",
            )
        )
    if score is not None and report.reject_threshold is not None and action is not None:
        over = score >= report.reject_threshold
        pre_result = any(n.lower() == "x-rspamd-pre-result" for n in report.header_names)
        if over != (action == "reject") and not pre_result and action != "soft reject":
            out.append(
                Finding(
                    "action-vs-threshold",
                    "warning",
                    f"score {_fmt(score)} vs reject threshold {_fmt(report.reject_threshold)} "
                    f"does not fit the action {report.action!r}",
                )
            )
    if score is not None and report.bar is not None and report.bar.strip() != _rspamd_bar(score):
        out.append(
            Finding(
                "bar",
                "warning",
                f"bar {report.bar!r} but score {_fmt(score)} gives {_rspamd_bar(score)!r}",
            )
        )
    if score is not None and report.level is not None:
        count = _stars_text(report.level)
        want = math.floor(score) if score >= 1 else 0
        if count is not None and count != want:
            out.append(
                Finding("stars", "warning", f"X-Spam-Level has {count} stars, floor(score) {want}")
            )
    summed = _tests_sum(report)
    if summed is not None and score is not None:
        total = summed[0]
        if abs(total - score) > 0.005 * (len(report.tests) + 1) + _EPS:
            out.append(
                Finding(
                    "score-vs-tests",
                    "info",
                    f"symbols sum to {_fmt(total)}, score is {_fmt(score)} "
                    "(group limits or symbols not shown)",
                )
            )


def _check_exim(report: SpamReport, out: list[Finding]) -> None:
    score = report.score
    if score is None:
        return
    if report.score_int is not None:
        want = math.trunc((score + 0.001) * 10)  # exim spam.c: (int)((score+0.001)*10)
        if report.score_int != want:
            out.append(
                Finding(
                    "score-int",
                    "warning",
                    f"X-Spam_score_int {report.score_int} but score {_fmt(score)} gives {want}",
                )
            )
    if report.bar is not None:
        bar = report.bar.strip()
        count = min(math.trunc(abs(score)), 50)
        allowed = (
            {("+" if score > 0 else "-") * count if count else "/", ""}
            if count == 0
            else {("+" if score > 0 else "-") * count}
        )
        if bar not in allowed:
            out.append(
                Finding("bar", "warning", f"X-Spam_bar {bar!r} does not fit score {_fmt(score)}")
            )
    summed = _tests_sum(report)
    if summed is not None and abs(summed[0] - score) > 0.05 + _EPS:
        out.append(
            Finding(
                "score-vs-tests",
                "warning",
                f"tests sum to {_fmt(summed[0])} but score is {_fmt(score)}",
            )
        )


def _check_other(report: SpamReport, out: list[Finding]) -> None:
    _flag_vs_verdict(report, out)


_CHECKS: dict[str, Callable[[SpamReport, list[Finding]], None]] = {
    "spamassassin": _check_spamassassin,
    "amavis": _check_amavis,
    "rspamd": _check_rspamd,
    "exim": _check_exim,
    "other": _check_other,
}


def check_report(report: SpamReport) -> tuple[Finding, ...]:
    """All consistency findings for ``report`` (see the module docstring)."""
    out: list[Finding] = []
    _CHECKS[report.producer](report, out)
    return tuple(out)
