"""The lexical layer of ``.cf`` files: one physical line → ``(key, value)`` or nothing.

Input: one physical line (Latin-1 ``str`` standing for bytes, without its ``\\n``).
Output: the line after comment removal and trimming, split into a normalised key and a
value, or None for a blank/comment line.

``Conf/Parser.pm parse`` (spec/sa-rules.md §2), in order: only if the line contains ``#``,
delete from the first ``#`` not preceded by a backslash (``(?<!\\\\)#.*$``) and then turn
every ``\\#`` into ``#``; trim whitespace; the key is the text up to the first whitespace
run, lower-cased, ``-`` → ``_``. There are no continuation lines. ``lang xx`` prefixes are
handled by the parser (they depend on the locale).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["LANG_PREFIX", "LexedLine", "lex_line", "strip_comment"]

_COMMENT: Final = re.compile(r"(?<!\\)#.*")
# Perl's \s on a byte string: space, \t, \n, \v (since 5.18), \f, \r.
_WS: Final = " \t\n\x0b\x0c\r"
_SPLIT: Final = re.compile(r"[ \t\n\x0b\x0c\r]+")
LANG_PREFIX: Final = re.compile(r"lang[ \t\n\x0b\x0c\r]+(\S+)[ \t\n\x0b\x0c\r]+")


def strip_comment(line: str) -> str:
    """Remove a comment and unescape ``\\#`` (only when the line has a ``#``)."""
    if "#" not in line:
        return line
    return _COMMENT.sub("", line, count=1).replace("\\#", "#")


class LexedLine:
    """A non-blank line: ``key`` (normalised), ``value`` and ``text`` (trimmed line);
    ``offset`` is the 0-based column of ``text`` in the physical line."""

    __slots__ = ("key", "offset", "text", "value")

    def __init__(self, key: str, value: str, text: str, offset: int) -> None:
        self.key = key
        self.value = value
        self.text = text
        self.offset = offset

    def value_column(self, physical: str) -> int:
        """1-based column where ``value`` starts in the physical line (best effort)."""
        where = physical.find(self.value, self.offset + len(self.key)) if self.value else -1
        return (where if where >= 0 else self.offset) + 1


def lex_line(physical: str) -> LexedLine | None:
    """Lex one physical line; None when it is blank after comment removal."""
    text = strip_comment(physical).strip(_WS)
    if not text:
        return None
    parts = _SPLIT.split(text, maxsplit=1)
    key = parts[0].lower().replace("-", "_")
    value = parts[1] if len(parts) > 1 else ""
    offset = len(physical) - len(physical.lstrip(_WS))
    return LexedLine(key, value, text, offset)
