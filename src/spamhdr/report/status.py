"""``X-Spam-Status`` value → its parts (Yes/No word, ``key=value`` pairs, bare words).

Grammar (spec headers-and-delivery.md §2.2 for SpamAssassin, §3.2 for amavis, §4.2 for
rspamd's short form), after unfolding::

    status = yesno ["," ] *( SP ( key "=" value / word ) )
    key    = "score" / "hits" / "required" / "tagged_above" / "tests" / "autolearn"
             / "autolearn_force" / "version"
    value  = "[" items "]"          ; amavis tests
           / text up to the next key ; SA tests may contain folding after commas

Input: the unfolded value. Output: :class:`StatusParts`. Invariants: never raises; words
that are not keys (``BLACKLISTED``) are kept in order; whitespace inside a SpamAssassin
``tests=`` list (folding after a comma, spec §2.2 rule 4) is removed; :func:`signature`
names the producer a status was written by (spec §9 item 7).
"""

from __future__ import annotations

from dataclasses import dataclass

from spamhdr.report._draft import Draft
from spamhdr.report.grammar import STATUS_HEAD, STATUS_KEY, TESTS_LIST, WHITESPACE
from spamhdr.report.model import Producer

__all__ = ["StatusParts", "signature", "split_status"]


@dataclass(frozen=True, slots=True)
class StatusParts:
    """The pieces of one ``X-Spam-Status`` value.

    Attributes:
        yesno: the leading word as written (``Yes``, ``No``), or None when absent.
        values: ``(key, value)`` pairs in order; values stripped of blanks and trailing
            commas; the amavis ``tests=[…]`` value keeps its brackets.
        words: bare words between the pairs (``BLACKLISTED``, ``WHITELISTED``).
        unclosed: an amavis ``tests=[`` list had no closing bracket.
    """

    yesno: str | None
    values: tuple[tuple[str, str], ...]
    words: tuple[str, ...]
    unclosed: bool = False

    def get(self, key: str) -> str | None:
        for name, value in self.values:
            if name == key:
                return value
        return None


def split_status(text: str, draft: Draft) -> StatusParts:
    """Split an unfolded ``X-Spam-Status`` value (see the module grammar).

    Results are remembered in ``draft.memo`` (shared by the drafts of one message):
    attribution and the producer parser both split the same value, once.
    """
    known = draft.memo.get(text)
    if known is None:
        scratch = Draft("other", 0, (), draft.options)
        known = (_split(text, scratch), tuple(scratch.defects))
        draft.memo[text] = known
    draft.defects.extend(known[1])
    return known[0]


def _split(text: str, draft: Draft) -> StatusParts:
    head = draft.match(STATUS_HEAD, text)
    yesno: str | None = None
    pos = 0
    # "score" of "score=…" is not a Yes/No word (a status without its head)
    if head is not None and text[head.end("yesno") : head.end("yesno") + 1] != "=":
        yesno = head.group("yesno")
        pos = head.end()
    values: list[tuple[str, str]] = []
    words: list[str] = []
    unclosed = False
    keys = list(draft.finditer(STATUS_KEY, text[pos:]))
    words.extend(text[pos : pos + keys[0].start()].split() if keys else text[pos:].split())
    index = 0
    while index < len(keys):
        key = keys[index]
        start = pos + key.end()
        name = key.group("key")
        if text.startswith("[", start):
            close = text.find("]", start)
            if close < 0:
                unclosed = True
                close = len(text)
            values.append((name, text[start : close + 1].strip()))
            # skip any key-looking text inside the brackets
            end = close + 1
            while index + 1 < len(keys) and pos + keys[index + 1].start() < end:
                index += 1
            following = pos + keys[index + 1].start() if index + 1 < len(keys) else len(text)
            words.extend(text[end:following].split())
            index += 1
            continue
        end = pos + keys[index + 1].start() if index + 1 < len(keys) else len(text)
        raw = text[start:end]
        if name == "tests":
            # SA folds only after a comma; anything after a blank that is not preceded by
            # a comma is a bare word (an unknown key, or BLACKLISTED in odd templates).
            value, rest = _split_tests_value(raw, draft)
            values.append((name, value))
            words.extend(rest.split())
        elif name == "autolearn_force":
            # "yes (RULE,RULE)" keeps its parenthesised rule list (PerMsgStatus.pm l.581)
            stripped = raw.strip().rstrip(",")
            parts = stripped.split(None, 1)
            if len(parts) == 2 and parts[1].startswith("("):
                close = parts[1].find(")")
                if close >= 0:
                    values.append((name, parts[0] + " " + parts[1][: close + 1]))
                    words.extend(parts[1][close + 1 :].split())
                else:
                    values.append((name, stripped))
            else:
                values.append((name, parts[0] if parts else ""))
                words.extend(parts[1].split() if len(parts) == 2 else ())
        else:
            parts = raw.split(None, 1)
            values.append((name, parts[0].rstrip(",") if parts else ""))
            words.extend(parts[1].split() if len(parts) == 2 else ())
        index += 1
    return StatusParts(yesno, tuple(values), tuple(words), unclosed)


def _split_tests_value(raw: str, draft: Draft) -> tuple[str, str]:
    """Split SA's ``tests=`` text into the list (blanks after commas removed) and the rest."""
    found = draft.match(TESTS_LIST, raw)
    if found is None:  # only on a regex timeout (recorded by draft.match)
        return "", raw
    return WHITESPACE.sub("", found.group("list")).rstrip(","), raw[found.end() :]


def signature(parts: StatusParts) -> Producer | None:
    """The producer whose format this status has (spec §9 item 7), or None if unsure.

    ``tagged_above=``, a bracketed ``tests=[…]`` or BLACKLISTED/WHITELISTED ⇒ amavis;
    ``version=``, ``required=`` or SA 2.x ``hits=`` ⇒ SpamAssassin; ``score=`` with two
    decimals and nothing else ⇒ rspamd's milter_headers.
    """
    keys = {name for name, _ in parts.values}
    tests = parts.get("tests")
    if (
        "tagged_above" in keys
        or (tests is not None and tests.startswith("["))
        or any(w in ("BLACKLISTED", "WHITELISTED") for w in parts.words)
    ):
        return "amavis"
    if keys & {"version", "required", "hits", "tests", "autolearn"}:
        return "spamassassin"
    if keys == {"score"} and parts.yesno is not None:
        score = parts.get("score") or ""
        head, _, decimals = score.partition(".")
        if len(decimals) == 2 and decimals.isdigit() and head.lstrip("-").isdigit():
            return "rspamd"
    return None
