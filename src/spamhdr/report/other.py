"""Scanner headers of unknown origin → a best-effort :class:`SpamReport`.

Input: a block whose fields match no producer signature: ``X-Spam-Status: No`` alone (list
servers, 26 lore-linux-man corpus messages), ``X-Spam: high`` / ``X-Spam: spam``
(sa-public-corpus hard_ham), ``X-Spam-Score: (-1)`` or ``0.8 (/)`` (lore-linux-man),
vendor fields such as ``X-Spam-DCC``. Output: a filled draft with whatever is certain: a
Yes/No or YES/NO word as the verdict, the leading number of a score header. Invariants:
nothing is guessed beyond that; unknown fields stay in ``header_names`` only, no defects
are recorded for formats nobody documents.
"""

from __future__ import annotations

from collections.abc import Callable

from spamhdr.headers import HeaderField
from spamhdr.report._draft import Draft, field_value, parse_number
from spamhdr.report.spamassassin import apply_autolearn
from spamhdr.report.status import split_status

__all__ = ["build_other"]

_WORDS = {"yes": "spam", "no": "ham", "true": "spam", "false": "ham"}


def _status(header: HeaderField, draft: Draft) -> None:
    parts = split_status(field_value(header), draft)
    if parts.yesno is not None and parts.yesno.lower() in _WORDS:
        draft.verdict = "spam" if _WORDS[parts.yesno.lower()] == "spam" else "ham"
    score = parts.get("score") or parts.get("hits")
    if score is not None:
        draft.score = parse_number(score)
    required = parts.get("required")
    if required is not None:
        draft.required = parse_number(required)
    if parts.get("version") is not None:
        draft.version = parts.get("version")
    apply_autolearn(parts, draft, header.name)


def _flag(header: HeaderField, draft: Draft) -> None:
    value = field_value(header)
    draft.flag = value
    word = _WORDS.get(value.strip().lower())
    if draft.verdict is None and word is not None:
        draft.verdict = "spam" if word == "spam" else "ham"


def _score(header: HeaderField, draft: Draft) -> None:
    # "(-1)" and "0.8 (/)" occur (corpus lore-linux-man m-e6cae290d971, m-9c50057af543)
    text = field_value(header).strip().lstrip("(")
    draft.x_spam_score = parse_number(text)


def _level(header: HeaderField, draft: Draft) -> None:
    draft.level = field_value(header)


FIELD_PARSERS: dict[str, Callable[[HeaderField, Draft], None]] = {
    "x-spam-status": _status,
    "x-spam-flag": _flag,
    "x-spam": _flag,
    "x-spam-score": _score,
    "x-spam-level": _level,
}


def build_other(draft: Draft) -> None:
    """Fill ``draft`` with the few values that need no producer knowledge."""
    for header in sorted(draft.fields, key=lambda f: f.name.lower() != "x-spam-status"):
        parser = FIELD_PARSERS.get(header.name.lower())
        if parser is not None:
            parser(header, draft)
    if draft.score is None and draft.x_spam_score is not None:
        draft.score = draft.x_spam_score
