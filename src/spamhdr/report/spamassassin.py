"""SpamAssassin header block → :class:`SpamReport` (spec headers-and-delivery.md §2).

Input: the fields of one block attributed to SpamAssassin (``X-Spam-Status``,
``X-Spam-Flag``, ``X-Spam-Level``, ``X-Spam-Checker-Version``, ``X-Spam-Report``,
``X-Spam-Tests``/``_TESTSSCORES_`` and ``X-Spam-Score`` custom headers). Output: a filled
:class:`~spamhdr.report._draft.Draft`. Invariants: the score is the display score as written
(``score=4.9`` stays 4.9, spec §2.2 rule 1); tests keep the order of ``tests=`` and gain
scores/descriptions from the report and the raw scores from ``_TESTSSCORES_`` headers;
malformed parts become defects. Header parsers are dispatched through a table (STYLE.md
point 12). The terse-report reader here is shared with amavis, which copies SA's report.
"""

from __future__ import annotations

from collections.abc import Callable

from spamhdr.headers import HeaderField, decode_words
from spamhdr.report._draft import Draft, field_value, parse_number
from spamhdr.report.grammar import (
    CHECKER_VERSION,
    REPORT_AREAS,
    REPORT_DETAIL_SEPARATOR,
    REPORT_RULE_LINE,
    REPORT_SEGMENT_START,
    SA_DISPLAY_SCORE,
    SA_RULE_NAME,
    TESTSSCORES_ITEM,
)
from spamhdr.report.model import TestHit
from spamhdr.report.status import StatusParts, split_status

__all__ = [
    "AUTOLEARN_WORDS",
    "apply_autolearn",
    "build_spamassassin",
    "parse_terse_report",
    "parse_tests_scores",
    "split_area",
    "split_details",
]

#: autolearn status words SpamAssassin writes (spec §2.2 grammar "status").
AUTOLEARN_WORDS = ("ham", "spam", "no", "disabled", "failed", "unavailable")


def split_area(text: str) -> tuple[str | None, str]:
    """Split SpamAssassin's area prefix (``BODY: ``) off a report description."""
    head, sep, rest = text.partition(": ")
    if sep and head in REPORT_AREAS:
        return head, rest
    if text.rstrip() in tuple(a + ":" for a in REPORT_AREAS):  # area with empty description
        return text.rstrip()[:-1], ""
    return None, text


def split_details(text: str, draft: Draft) -> tuple[str, ...] | None:
    """The chunks of a detail line (``[a] [b]``, brackets removed), or None if it is not one.

    A chunk may contain brackets (``[royhalton13[at]gmail.com]``): chunks are split only
    where a ``]`` is followed by blanks and the next ``[`` (see grammar.REPORT_DETAIL_SEPARATOR).
    """
    stripped = text.strip()
    if len(stripped) < 2 or stripped[0] != "[" or stripped[-1] != "]":
        return None
    try:
        parts = REPORT_DETAIL_SEPARATOR.split(stripped[1:-1], timeout=draft.options.regex_timeout)
    except TimeoutError:
        draft.defects.append(f"regex timeout while reading {stripped[:40]!r}")
        return None
    return tuple(parts)


def _decoded_lines(text: str) -> str:
    """The report text with RFC 2047 words decoded line by line, line breaks kept.

    SpamAssassin encodes non-ASCII describes (localised rule files) as encoded words; with
    ``fold_headers 0`` one encoded word can span several report lines, so decoding comes
    before the report is cut into lines.
    """
    lines = text.replace("\r", "").split("\n")
    return "\n".join(decode_words(line) if "=?" in line else line for line in lines)


def parse_terse_report(text: str, draft: Draft) -> list[TestHit]:
    """Read SpamAssassin's terse report (``X-Spam-Report``, ``_REPORT_``).

    Grammar (PerMsgStatus.pm ``check_cleanup``; spec §2.3)::

        report = *( rule-line *continuation [ details ] )
        rule-line    = "*" 1*3SP score SP name SP [area ": "] description
        continuation = "*" 6SP text           ; wrapped description
        details      = "*" 6SP chunk *( FWS chunk )   ; chunk = "[" text "]"

    Lines may be folded (TAB, one space, eight spaces) or all on one line
    (``fold_headers 0``); the value is cut into segments at every ``*`` that starts one of
    these lines (grammar.REPORT_SEGMENT_START), so a ``*`` inside a description stays
    text. Text on a rule line is always description (SA puts details on lines of their
    own), so a describe ending in ``[censored]`` keeps it. A wrapped description line that
    is entirely bracketed is indistinguishable from a detail line and is read as one.
    """
    segments, lead = _segments(_decoded_lines(text), draft)
    if not segments:
        if lead:
            draft.defects.append("X-Spam-Report: no '* score RULE description' lines found")
        return []
    hits: list[TestHit] = []
    name: str | None = None
    score: float | None = None
    desc_parts: list[str] = []
    details: list[str] = []
    if lead and lead.lower() not in ("spam detection software",):
        # amavis/SA always start with an empty first line (spec §2.3); other text is noise
        draft.defects.append(f"X-Spam-Report: text before the first rule line: {lead[:40]!r}")

    def flush() -> None:
        if name is None:
            return
        area, desc = split_area(" ".join(desc_parts).strip())
        hits.append(TestHit(name, score, desc, area, (), tuple(details)))

    for segment in segments:
        rule = draft.match(REPORT_RULE_LINE, segment)
        if rule is not None:
            flush()
            name = rule.group("name")
            score = float(rule.group("score"))
            desc_parts = []
            details = []
            rest = (rule.group("rest") or "").strip()
            if rest:
                desc_parts.append(rest)
            continue
        body = segment[1:].strip()
        if name is None:
            if body:
                draft.defects.append(f"X-Spam-Report: continuation before any rule: {body[:40]!r}")
            continue
        _take_text(body, desc_parts, details, draft)
    flush()
    return hits


def _segments(text: str, draft: Draft) -> tuple[list[str], str]:
    """Cut a decoded report into its lines (segments) and the text before the first one.

    Folded (the value has line breaks): every physical line that starts with ``*`` is a
    report line — SA's own line structure, kept by amavis and by list servers that
    re-indent — and any other line continues the one before (a bare ``[chunk]`` detail
    line, or text an MTA re-folded). One line (``fold_headers 0``): cut at each ``*`` that
    starts a report line (grammar.REPORT_SEGMENT_START).
    """
    if "\n" in text.strip():
        segments: list[str] = []
        lead: list[str] = []
        for line in text.split("\n"):
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("*"):
                segments.append(stripped)
            elif segments:
                segments[-1] += " " + stripped
            else:
                lead.append(stripped)
        return segments, " ".join(lead)
    flat = text.strip()
    starts = [m.start() for m in draft.finditer(REPORT_SEGMENT_START, flat)]
    if not starts:
        return [], flat
    ends = [*starts[1:], len(flat)]
    cut = [flat[a:b].rstrip() for a, b in zip(starts, ends, strict=True)]
    return cut, flat[: starts[0]].strip()


def _take_text(text: str, desc_parts: list[str], details: list[str], draft: Draft) -> None:
    """Route continuation text to the description or, when bracketed, to the details."""
    stripped = text.strip()
    if not stripped:
        return
    chunks = split_details(stripped, draft)
    if chunks is not None or details:
        # after the first detail line everything is detail text (SA writes them last)
        details.extend(chunks if chunks is not None else (stripped,))
        return
    desc_parts.append(stripped)


def parse_tests_scores(text: str, draft: Draft, what: str) -> list[TestHit]:
    """Read a ``NAME=score`` list (SA ``_TESTSSCORES(,)_``, amavis ``tests=[…]`` items).

    ``none`` (SA's word for an empty list) gives no items.
    """
    body = text.strip()
    if body in ("", "none"):
        return []
    hits: list[TestHit] = []
    for item in body.split(","):
        if not item.strip() or item.strip() == "none":
            # "none" is SpamAssassin's empty list; amavis puts its own items before it
            # (tests=[AM.PENPAL=-3.5, none], Amavis.pm add_forwarding_header_edits…)
            continue
        found = draft.fullmatch(TESTSSCORES_ITEM, item)
        if found is None:
            draft.defects.append(f"{what}: cannot read test item {item.strip()[:40]!r}")
            continue
        score_text = found.group("score")
        score: float | None = None
        if score_text is not None:
            score = parse_number(score_text)
            if score is None or SA_DISPLAY_SCORE.fullmatch(score_text.strip()) is None:
                draft.defects.append(f"{what}: score of {found.group('name')} is {score_text!r}")
                score = parse_number(score_text)
        hits.append(TestHit(found.group("name"), score))
    return hits


def apply_autolearn(parts: StatusParts, draft: Draft, what: str) -> None:
    """Set autolearn/autolearn_force from a status (spec §2.2 rule 2)."""
    autolearn = parts.get("autolearn")
    if autolearn is not None:
        draft.autolearn = autolearn
        if autolearn not in AUTOLEARN_WORDS:
            draft.defects.append(f"{what}: unknown autolearn status {autolearn!r}")
    force = parts.get("autolearn_force")
    if force is not None:
        draft.autolearn_force = force
        word, _, rules = force.partition(" ")
        if word not in ("yes", "no"):
            draft.defects.append(f"{what}: unknown autolearn_force value {force!r}")
        if rules.startswith("(") and rules.endswith(")"):
            draft.autolearn_force_rules = tuple(r for r in rules[1:-1].split(",") if r)


def _status(header: HeaderField, draft: Draft) -> None:
    what = "X-Spam-Status"
    parts = split_status(field_value(header), draft)
    if parts.yesno is None:
        draft.defects.append(f"{what}: no Yes/No at the start")
    elif parts.yesno.lower() in ("yes", "no"):
        draft.verdict = "spam" if parts.yesno.lower() == "yes" else "ham"
        if parts.yesno not in ("Yes", "No"):
            draft.defects.append(f"{what}: SpamAssassin writes Yes/No, found {parts.yesno!r}")
    else:
        draft.defects.append(f"{what}: {parts.yesno!r} is neither Yes nor No")
    score_text = parts.get("score")
    if score_text is None:
        score_text = parts.get("hits")  # SpamAssassin 2.x (corpus sa-tdata/nice/*)
    if score_text is not None:
        draft.score = draft.number(score_text, f"{what} score")
        if draft.score is not None and SA_DISPLAY_SCORE.fullmatch(score_text) is None:
            draft.defects.append(f"{what}: score {score_text!r} is not in SA's %.1f format")
    required = parts.get("required")
    if required is not None:
        draft.required = draft.number(required, f"{what} required")
    tests = parts.get("tests")
    if tests is not None:
        if "=" in tests:
            # a custom template with _TESTSSCORES_ (corpus lore-linux-man m-9c50057af543)
            for hit in parse_tests_scores(tests, draft, what):
                draft.add_test(hit)
        elif tests != "none":
            for name in tests.split(","):
                if not name:
                    continue
                if SA_RULE_NAME.fullmatch(name) is None:
                    draft.defects.append(f"{what}: odd rule name {name[:40]!r} in tests=")
                draft.add_test(TestHit(name))  # repeated for tflags multiple
    apply_autolearn(parts, draft, what)
    version = parts.get("version")
    if version is not None:
        draft.version = version
    for word in parts.words:
        draft.defects.append(f"{what}: unexpected text {word[:40]!r}")


def _flag(header: HeaderField, draft: Draft) -> None:
    draft.flag = field_value(header)
    if draft.flag.upper() not in ("YES", "NO"):
        draft.defects.append(f"X-Spam-Flag: {draft.flag[:40]!r} is neither YES nor NO")


def _level(header: HeaderField, draft: Draft) -> None:
    # "X-Spam-Level:" and "X-Spam-Level: " both mean zero stars (spec §9 item 2)
    draft.level = field_value(header)


def _checker_version(header: HeaderField, draft: Draft) -> None:
    found = draft.match(CHECKER_VERSION, field_value(header))
    if found is None or found.group("version") is None:
        draft.defects.append("X-Spam-Checker-Version: no version found")
        return
    if draft.version is None:
        draft.version = found.group("version")
    elif draft.version != found.group("version"):
        draft.defects.append(
            f"X-Spam-Checker-Version says {found.group('version')}, "
            f"X-Spam-Status says version={draft.version}"
        )
    draft.checker_host = found.group("host")


def _report(header: HeaderField, draft: Draft) -> None:
    draft.merge_tests(parse_terse_report(header.text, draft), rounded=True)


def _tests_header(header: HeaderField, draft: Draft) -> None:
    # add_header all Tests _TESTSSCORES(,)_ (sample sa401-custom-x-spam-tests-…): raw
    # configured scores, more precise than the report column; they replace it.
    draft.set_raw_scores(parse_tests_scores(field_value(header), draft, header.name))


def _score_header(header: HeaderField, draft: Draft) -> None:
    # custom templates: "_SCORE_", "(_SCORE_)" (corpus lore-linux-man m-e6cae290d971)
    draft.x_spam_score = draft.number(field_value(header).strip("() \t"), header.name)


#: header name (lower case) → parser; unknown X-Spam-* fields are kept in header_names only.
FIELD_PARSERS: dict[str, Callable[[HeaderField, Draft], None]] = {
    "x-spam-status": _status,
    "x-spam-flag": _flag,
    "x-spam-level": _level,
    "x-spam-checker-version": _checker_version,
    "x-spam-report": _report,
    "x-spam-tests": _tests_header,
    "x-spam-score": _score_header,
}


def build_spamassassin(draft: Draft) -> None:
    """Fill ``draft`` from its SpamAssassin fields.

    ``X-Spam-Status`` is read first so the report merges into the ``tests=`` order.
    """
    ordered = sorted(draft.fields, key=lambda f: f.name.lower() != "x-spam-status")
    for header in ordered:
        parser = FIELD_PARSERS.get(header.name.lower())
        if parser is not None:
            parser(header, draft)
    if draft.verdict is None and draft.flag is not None and draft.flag.upper() == "YES":
        draft.verdict = "spam"
    if draft.score is None and draft.x_spam_score is not None:
        draft.score = draft.x_spam_score
