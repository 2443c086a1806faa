"""Private scaffolding of the per-producer parsers: bounded regex calls and a draft report.

Input: header text and :class:`~spamhdr.options.Options`. Output: match objects (or None
with a recorded defect on timeout) and a mutable :class:`Draft` that a producer parser
fills and :func:`Draft.freeze` turns into a frozen :class:`SpamReport`. Invariants: every
regex call carries ``timeout=options.regex_timeout`` (STYLE.md point 14); a timeout is a
defect, never an exception; the draft never leaves this package.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import regex

from spamhdr.headers import HeaderField, decode_words, unfold
from spamhdr.options import Options
from spamhdr.report.grammar import NUMBER
from spamhdr.report.model import Finding, Producer, SpamReport, TestHit, Verdict

__all__ = ["Draft", "field_value", "parse_number"]


@dataclass(slots=True)
class Draft:
    """A report under construction (mutable on purpose, private to the parsers)."""

    producer: Producer
    position: int
    fields: tuple[HeaderField, ...]
    options: Options
    verdict: Verdict | None = None
    score: float | None = None
    required: float | None = None
    tagged_above: float | None = None
    tests: list[TestHit] = field(default_factory=list)
    autolearn: str | None = None
    autolearn_force: str | None = None
    autolearn_force_rules: tuple[str, ...] = ()
    version: str | None = None
    listed: str | None = None
    x_spam_score: float | None = None
    action: str | None = None
    defects: list[str] = field(default_factory=list)
    flag: str | None = None
    level: str | None = None
    bar: str | None = None
    reject_threshold: float | None = None
    rejected: bool | None = None
    score_int: int | None = None
    checker_host: str | None = None
    rounded: set[str] = field(default_factory=set)
    # amavis wrote score=x: no spam score exists, X-Spam-Score's 0 must not stand in
    score_absent: bool = False
    # per-message memo of split X-Spam-Status values (see status.split_status)
    memo: dict[str, Any] = field(default_factory=dict)
    _index: dict[str, list[int]] = field(default_factory=dict)

    # -- bounded regex calls ------------------------------------------------------------

    def match(
        self, pattern: regex.Pattern[str], text: str, pos: int = 0
    ) -> regex.Match[str] | None:
        try:
            return pattern.match(text, pos, timeout=self.options.regex_timeout)
        except TimeoutError:
            self.defects.append(f"regex timeout while reading {text[:40]!r}")
            return None

    def fullmatch(self, pattern: regex.Pattern[str], text: str) -> regex.Match[str] | None:
        try:
            return pattern.fullmatch(text, timeout=self.options.regex_timeout)
        except TimeoutError:
            self.defects.append(f"regex timeout while reading {text[:40]!r}")
            return None

    def search(
        self, pattern: regex.Pattern[str], text: str, pos: int = 0
    ) -> regex.Match[str] | None:
        try:
            return pattern.search(text, pos, timeout=self.options.regex_timeout)
        except TimeoutError:
            self.defects.append(f"regex timeout while reading {text[:40]!r}")
            return None

    def finditer(self, pattern: regex.Pattern[str], text: str) -> Iterator[regex.Match[str]]:
        try:
            # materialise inside the try: the timeout is raised while iterating
            found = list(pattern.finditer(text, timeout=self.options.regex_timeout))
        except TimeoutError:
            self.defects.append(f"regex timeout while reading {text[:40]!r}")
            found = []
        return iter(found)

    # -- value helpers --------------------------------------------------------------------

    def number(self, text: str, what: str) -> float | None:
        """A number at the start of ``text``; a defect (and None) when there is none."""
        value = parse_number(text)
        if value is None:
            self.defects.append(f"{what}: {text.strip()[:40]!r} is not a number")
        return value

    def add_test(self, hit: TestHit) -> None:
        """Append ``hit`` to the test list, even when its name is already there.

        SpamAssassin lists a ``tflags multiple`` rule once per hit (``tests=A,A,A``,
        PerMsgStatus.pm ``_handle_hit`` pushes the name on every hit), and so do amavis'
        ``tests=[…]`` and ``_TESTSSCORES_``: every entry is one hit and one score.
        """
        self._index.setdefault(hit.name, []).append(len(self.tests))
        self.tests.append(hit)

    def merge_tests(self, hits: Iterable[TestHit], *, rounded: bool = False) -> None:
        """Merge a second listing of the tests (a report) into the test list.

        The k-th occurrence of a name in ``hits`` merges into the k-th entry of that name
        (repeated ``tflags multiple`` hits pair up in order); a known entry only gains the
        score/description/area/options/details it lacks; names not listed yet are
        appended. ``rounded``: the scores are a report column, not configured scores.
        """
        seen: dict[str, int] = {}
        for hit in hits:
            occurrence = seen.get(hit.name, 0)
            seen[hit.name] = occurrence + 1
            indices = self._index.get(hit.name, [])
            if occurrence >= len(indices):
                if rounded and hit.score is not None:
                    self.rounded.add(hit.name)
                self.add_test(hit)
                continue
            index = indices[occurrence]
            known = self.tests[index]
            if known.score is None and hit.score is not None and rounded:
                self.rounded.add(hit.name)
            self.tests[index] = TestHit(
                known.name,
                known.score if known.score is not None else hit.score,
                known.description if known.description is not None else hit.description,
                known.area if known.area is not None else hit.area,
                known.options or hit.options,
                known.details or hit.details,
            )

    def merge_test(self, hit: TestHit, *, rounded: bool = False) -> None:
        """Merge one hit into the first entry of its name (see :meth:`merge_tests`)."""
        self.merge_tests((hit,), rounded=rounded)

    def set_raw_scores(self, hits: Iterable[TestHit]) -> None:
        """Replace tests' scores with their raw configured scores (``_TESTSSCORES_``),
        pairing repeated names in order as :meth:`merge_tests` does."""
        seen: dict[str, int] = {}
        for hit in hits:
            self.rounded.discard(hit.name)
            occurrence = seen.get(hit.name, 0)
            seen[hit.name] = occurrence + 1
            indices = self._index.get(hit.name, [])
            if occurrence >= len(indices):
                self.add_test(hit)
                continue
            known = self.tests[indices[occurrence]]
            self.tests[indices[occurrence]] = TestHit(
                known.name, hit.score, known.description, known.area, known.options, known.details
            )

    def freeze(self, findings: tuple[Finding, ...] = ()) -> SpamReport:
        listed = self.listed if self.listed in ("blacklisted", "whitelisted") else None
        return SpamReport(
            producer=self.producer,
            position=self.position,
            header_names=tuple(f.name for f in self.fields),
            verdict=self.verdict,
            score=self.score,
            required=self.required,
            tagged_above=self.tagged_above,
            tests=tuple(self.tests),
            autolearn=self.autolearn,
            autolearn_force=self.autolearn_force,
            version=self.version,
            listed=listed,  # type: ignore[arg-type]
            x_spam_score=self.x_spam_score,
            action=self.action,
            defects=tuple(dict.fromkeys(self.defects)),
            findings=findings,
            flag=self.flag,
            level=self.level,
            bar=self.bar,
            reject_threshold=self.reject_threshold,
            rejected=self.rejected,
            score_int=self.score_int,
            checker_host=self.checker_host,
            autolearn_force_rules=self.autolearn_force_rules,
            rounded_scores=tuple(
                dict.fromkeys(t.name for t in self.tests if t.name in self.rounded)
            ),
            fields=self.fields,
        )


def parse_number(text: str) -> float | None:
    """The leading decimal number of ``text`` (after blanks), or None."""
    found = NUMBER.match(text.strip())
    if found is None:
        return None
    try:
        return float(found.group(0))
    except ValueError:  # "." or "-" alone
        return None


def field_value(header: HeaderField) -> str:
    """The unfolded value with RFC 2047 encoded words decoded (spec §9 item 11).

    Same result as ``decode_words(header.value)``, without the regex pass for the common
    one-line value (this runs several times per field; see benchmarks/parse_headers.py).
    """
    text = header.raw.decode("utf-8", "replace")
    if "\n" in text:
        text = unfold(text.replace("\r\n", "\n"))
    text = text.strip()
    return decode_words(text) if "=?" in text else text
