"""The values a check returns: one rule that hit (:class:`RuleHit`) and the whole outcome
(:class:`CheckResult`).

Input: built by ``run.py`` once per message (a few :class:`RuleHit` and one
:class:`CheckResult` each time). Output: immutable values for callers, the CLI and JSON.
Kept apart from ``model.py`` so that mypyc compiles them (``setup.py``): the interpreted
frozen-dataclass constructor sets each field through ``object.__setattr__``, about a
microsecond per object on the per-message path. ``model.py`` re-exports both names.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CheckResult", "RuleHit"]


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that hit.

    Attributes:
        name: rule name.
        type: ``"header"`` or ``"meta"``.
        score: the score one hit adds (0 for ``__`` sub-rules, which never add).
        value: the hit count (``tflags multiple``) or the meta's value.
        spec: for header rules, the header spec whose value was tested.
        subject: for header rules, the tested value (after ``[if-unset:]``).
        span: for header rules, the first match's byte span in ``subject`` (None for
            ``!~`` and ``exists:``).
    """

    name: str
    type: str
    score: float
    # int for header hits (a count), float for metas: as computed, never converted.
    value: int | float
    spec: str | None = None
    subject: bytes | None = None
    span: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of checking one message.

    Attributes:
        score: the total, rounded as SpamAssassin rounds it.
        required: ``required_score``.
        is_spam: ``score >= required``.
        hits: scored rules that hit (no ``__`` rules), in name order.
        subtests: names of ``__`` rules that hit, sorted.
        test_names: what SpamAssassin lists in ``tests=`` (a ``multiple`` rule once per hit).
        not_evaluated: rules of the configuration spamhdr did not run.
        defects: problems met while checking (e.g. a regex that timed out).
        x_spam_status: the ``X-Spam-Status`` value SpamAssassin would write.
    """

    score: float
    required: float
    is_spam: bool
    hits: tuple[RuleHit, ...]
    subtests: tuple[str, ...]
    test_names: tuple[str, ...]
    not_evaluated: tuple[str, ...]
    defects: tuple[str, ...]
    x_spam_status: str
