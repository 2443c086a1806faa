"""SpamAssassin's score arithmetic and display (spec/sa-rules.md §7, headers-and-delivery §2.2).

Shared by the rule engine (which computes scores) and the report parser (which checks them).

Input: the scores of the rules that hit, in hit order, and ``required_score``. Output: the
total SpamAssassin computes, the spam verdict, and the exact text of its ``_SCORE_``,
``_REQD_``, ``_TESTS_`` and ``_STARS_`` tags and of the default ``X-Spam-Status`` value.
Pure functions, no state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "display_score",
    "format_required",
    "format_tests",
    "is_spam",
    "perl_number",
    "render_status",
    "stars",
    "total_score",
]

#: SpamAssassin caps ``_STARS_`` at 50 characters (PerMsgStatus.pm, the STARS tag).
STARS_CAP = 50


def perl_number(value: float) -> str:
    """Format a float as Perl stringifies a number (``%.15g``, no trailing ``.0``)."""
    text = format(value, ".15g")
    return "0" if text == "-0" else text


def total_score(hit_scores: Iterable[float]) -> float:
    """Sum per-hit scores in hit order, then round as ``sprintf "%0.3f"`` + 0 does.

    PerMsgStatus.pm adds each hit's score to a running float (``_handle_hit``) and, after
    all rules ran, replaces it with ``(sprintf "%0.3f", $score) + 0``.
    """
    running = 0.0
    for score in hit_scores:
        running += score
    rounded = float(f"{running:.3f}")
    return 0.0 if rounded == 0 else rounded


def is_spam(score: float, required: float) -> bool:
    """SpamAssassin's verdict: the rounded total reaches ``required_score`` (``>=``)."""
    return score >= required


def format_required(required: float) -> str:
    """``_REQD_``: ``sprintf "%2.1f"`` of required_score."""
    return f"{required:2.1f}"


def display_score(score: float, required: float, spam: bool) -> str:
    """``_SCORE_`` as ``Util.pm get_tag_value_for_score`` computes it.

    Both numbers are formatted ``%2.1f``; a ham whose text is not below the threshold's is
    shown as ``required - 0.1`` computed as a Perl number (4.96 vs 5.0 shows ``4.9``;
    0.07 vs 0.1 shows ``0``).
    """
    shown = f"{score:2.1f}"
    shown_required = f"{required:2.1f}"
    if spam or float(shown) < float(shown_required):
        return shown
    return perl_number(float(shown_required) - 0.1)


def format_tests(names: Sequence[str], separator: str = ",") -> str:
    """``_TESTS_``: hit names in byte order (Perl ``sort``), ``none`` when empty.

    Names of ``tflags multiple`` rules appear once per hit, as SpamAssassin lists them.
    """
    if not names:
        return "none"
    return separator.join(sorted(names, key=lambda n: n.encode("utf-8")))


def stars(score: float, char: str = "*", cap: int = STARS_CAP) -> str:
    """``_STARS_``: ``int(score)`` characters (truncation), capped (SpamAssassin 50,
    amavis 64), empty below 1."""
    count = int(score)
    return char * max(0, min(count, cap))


def render_status(
    *,
    score: float,
    required: float,
    names: Sequence[str],
    autolearn: str = "disabled",
    version: str = "4.0.1",
) -> str:
    """The default ``X-Spam-Status`` value of ``10_default_prefs.cf``, unfolded.

    ``_YESNO_, score=_SCORE_ required=_REQD_ tests=_TESTS_ autolearn=_AUTOLEARN_
    version=_VERSION_``. spamhdr runs no Bayes, so autolearn defaults to ``disabled``, which
    is what SpamAssassin writes with ``bayes_auto_learn 0``.
    """
    spam = is_spam(score, required)
    return (
        f"{'Yes' if spam else 'No'}, score={display_score(score, required, spam)} "
        f"required={format_required(required)} tests={format_tests(names)} "
        f"autolearn={autolearn} version={version}"
    )
