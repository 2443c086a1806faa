"""Values of the report parser: one :class:`SpamReport` per scanner header block.

Input: nothing (these are the types). Output: frozen, slotted dataclasses with tuples for
every sequence (STYLE.md point 5). Invariants: numbers are the values *as written* in the
headers (the display score, never a recomputation — spec headers-and-delivery.md §2.2 rule
1); a field the headers did not carry is ``None``; recoverable problems are ``defects``
(parse problems) or ``findings`` (consistency checks), never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from spamhdr.errors import UsageError
from spamhdr.headers import HeaderField

__all__ = [
    "PRODUCERS",
    "Finding",
    "Producer",
    "Severity",
    "SpamReport",
    "TestHit",
    "Verdict",
]

Producer = Literal["spamassassin", "amavis", "rspamd", "exim", "other"]
Verdict = Literal["spam", "ham"]
Severity = Literal["info", "warning"]

#: Every producer name, in the order the explain output documents them.
PRODUCERS: tuple[Producer, ...] = ("spamassassin", "amavis", "rspamd", "exim", "other")


@dataclass(frozen=True, slots=True)
class TestHit:
    """One rule/symbol a scanner reported as hit.

    Attributes:
        name: the rule or symbol name as written (``BAYES_00``, ``R_SPF_ALLOW``).
        score: the score as written for this rule — the raw configured score where the
            header carries it (amavis ``tests=[A=1.234]``, SA ``_TESTSSCORES_``, rspamd
            symbols), else the report column (``%4.1f``/``%4.0f``), else ``None``.
        description: the description from ``X-Spam-Report`` or the body report, without
            SpamAssassin's area prefix; ``None`` when the message does not carry one.
        area: SpamAssassin's area prefix without the colon (``BODY``, ``RBL``, ``URI`` …)
            when the report line had one.
        options: rspamd symbol options (``[asn:16509, ipnet:…]`` → each item).
        details: SpamAssassin report detail lines (``[score: 0.5000]``), brackets removed.
    """

    name: str
    score: float | None = None
    description: str | None = None
    area: str | None = None
    options: tuple[str, ...] = ()
    details: tuple[str, ...] = ()

    # pytest would try to collect a class called Test*; this is a value type.
    __test__ = False


@dataclass(frozen=True, slots=True)
class Finding:
    """A consistency observation about one report.

    Attributes:
        code: a stable identifier (``score-vs-tests``, ``display-floor``, ``stars`` …).
        severity: ``warning`` when the headers contradict each other or the producer's
            documented formatting; ``info`` when they are consistent but easy to misread.
        message: one sentence for humans, naming the numbers involved.
    """

    code: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class SpamReport:
    """What one scanner run wrote into a message.

    Attributes:
        producer: ``spamassassin``, ``amavis``, ``rspamd``, ``exim`` or ``other``.
        position: 0 for the topmost block of the message, counting down the header.
        header_names: the names of the fields of this block, as written, in order.
        verdict: ``spam``/``ham`` as the producer stated it (Yes/No, flag, action), or None.
        score: the ``score=`` of ``X-Spam-Status`` when present, else the producer's other
            score header (``X-Spamd-Result``, ``X-Rspamd-Score``, ``X-Spam_score`` …).
        required: ``required=`` (SA, amavis tag2) or the Exim report's ``requ`` value.
        tagged_above: amavis ``tagged_above=`` (the tag level).
        tests: the hit rules, in the order of the ``tests=`` list (else report order).
        autolearn: the status word (``ham``, ``spam``, ``no``, ``disabled``, ``failed``,
            ``unavailable``).
        autolearn_force: the text after ``autolearn_force=`` as written (``no``,
            ``yes (RULE,…)``).
        version: the scanner version (``version=`` or ``X-Spam-Checker-Version``).
        listed: amavis ``BLACKLISTED``/``WHITELISTED`` → ``blacklisted``/``whitelisted``.
        x_spam_score: the ``X-Spam-Score`` value (amavis raises it to 64 for blacklisted
            and lowers it to 0 for whitelisted senders, so it can differ from ``score``).
        action: the rspamd action (``no action``, ``add header`` …) or Exim's
            ``X-Spam_action``.
        defects: problems met while parsing this block (best-effort values were kept).
        findings: consistency findings (filled by :mod:`spamhdr.report.consistency`).
        flag: the ``X-Spam-Flag`` value as written (``YES``/``NO``) or rspamd ``X-Spam``.
        level: the ``X-Spam-Level`` value (the stars), ``""`` when present but empty.
        bar: rspamd ``X-Spamd-Bar``/``X-Rspamd-Bar`` or Exim ``X-Spam_bar``.
        reject_threshold: rspamd's second number in ``[score / reject]``.
        rejected: rspamd ``X-Spamd-Result`` True/False ("action is reject"), not a verdict.
        score_int: Exim ``X-Spam_score_int``.
        checker_host: the host of ``X-Spam-Checker-Version`` (``… on HOST``).
        autolearn_force_rules: the rule names inside ``autolearn_force=yes (…)``.
        rounded_scores: names of tests whose score is the rounded report column
            (``%4.1f``/``%4.0f``), not the configured score (spec §2.3: do not sum them).
        fields: the header fields of this block, raw text kept.
    """

    producer: Producer
    position: int
    header_names: tuple[str, ...]
    verdict: Verdict | None = None
    score: float | None = None
    required: float | None = None
    tagged_above: float | None = None
    tests: tuple[TestHit, ...] = ()
    autolearn: str | None = None
    autolearn_force: str | None = None
    version: str | None = None
    listed: Literal["blacklisted", "whitelisted"] | None = None
    x_spam_score: float | None = None
    action: str | None = None
    defects: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    flag: str | None = None
    level: str | None = None
    bar: str | None = None
    reject_threshold: float | None = None
    rejected: bool | None = None
    score_int: int | None = None
    checker_host: str | None = None
    autolearn_force_rules: tuple[str, ...] = ()
    rounded_scores: tuple[str, ...] = ()
    fields: tuple[HeaderField, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.producer not in PRODUCERS:
            raise UsageError(f"unknown producer {self.producer!r}")
        if self.position < 0:
            raise UsageError(f"position must be >= 0, got {self.position}")
        if self.verdict not in (None, "spam", "ham"):
            raise UsageError(f"verdict must be 'spam', 'ham' or None, got {self.verdict!r}")
