"""ReplaceTags: substitute ``<TAG>`` placeholders in rule regexes after the whole config.

Input: a rule's regex as SpamAssassin's ``qr_to_string`` shows it (``(?aa)(?i)…``), the tag
tables (``replace_tag``/``pre``/``inter``/``post``) and ``replace_start``/``replace_end``.
Output: the replaced text (or the input unchanged).

Follows ``Plugin/ReplaceTags.pm finish_parsing_end`` (spec/sa-rules.md §9): per pass, the
first ``<pre X>``, ``<post X>``, ``<inter X>`` markers are removed; the text is split at
``<[^<>]+>`` (hard-coded angle brackets); pre/post texts surround every tag-looking piece;
inter fills every empty piece (two adjacent tags); each known tag with a Perl-true value is
replaced (unknown tags stay literal); up to 6 passes while a replacement introduced a tag.
``replace_start``/``replace_end`` are interpolated into Perl regexes there; we treat them
the same way (as ``regex`` patterns).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import regex

__all__ = ["replace_tags"]

_SPLIT = regex.compile(r"(<[^<>]+>)")
_HAS_TAG = regex.compile(r"<[^>]+>")


def _around(before: str, after: str) -> Callable[[regex.Match[str]], str]:
    def wrap(match: regex.Match[str]) -> str:
        return before + match.group(0) + after

    return wrap


def _constant(text: str) -> Callable[[regex.Match[str]], str]:
    def constant(_match: regex.Match[str]) -> str:
        return text  # literal: Perl does not re-interpolate the replacement variable

    return constant


def _perl_true(text: str | None) -> bool:
    return bool(text) and text != "0"


def replace_tags(
    text: str,
    tags: Mapping[str, str],
    pre: Mapping[str, str],
    inter: Mapping[str, str],
    post: Mapping[str, str],
    start: str = "<",
    end: str = ">",
) -> str:
    """Return ``text`` with ReplaceTags applied (see the module docstring)."""
    marker = {kind: regex.compile(f"{start}{kind} (.+?){end}") for kind in ("pre", "post", "inter")}
    tag_re = regex.compile(f"{start}(.+?){end}")
    again = True
    passes = 0
    while again and passes <= 5:
        again = False
        names: dict[str, str | None] = {}
        for kind in ("pre", "post", "inter"):
            match = marker[kind].search(text)
            names[kind] = None
            if match is not None:
                names[kind] = match.group(1)
                text = text[: match.start()] + text[match.end() :]
        pieces = _SPLIT.split(text)
        while pieces and pieces[-1] == "":
            pieces.pop()  # Perl's split drops trailing empty fields (so no trailing inter)
        pre_text = pre.get(names["pre"] or "") if names["pre"] else None
        post_text = post.get(names["post"] or "") if names["post"] else None
        inter_text = inter.get(names["inter"] or "") if names["inter"] else None
        if _perl_true(pre_text):
            assert pre_text is not None
            pieces = [tag_re.sub(_around(pre_text, ""), p, count=1) for p in pieces]
        if _perl_true(post_text):
            assert post_text is not None
            pieces = [tag_re.sub(_around("", post_text), p) for p in pieces]
        if _perl_true(inter_text):
            assert inter_text is not None
            # s{^$}{$inter}: "^$" also matches a lone "\n" (before the final newline).
            pieces = [inter_text + p if p in ("", "\n") else p for p in pieces]
        for index, piece in enumerate(pieces):
            found = tag_re.search(piece)
            if found is None:
                continue
            name = found.group(1)
            replacement = tags.get(name)
            if not _perl_true(replacement):
                continue
            assert replacement is not None
            try:
                name_re = regex.compile(f"{start}{name}{end}")
            except regex.error:
                name_re = regex.compile(regex.escape(f"{start}{name}{end}"))
            pieces[index] = name_re.sub(_constant(replacement), piece)
            if not again and _HAS_TAG.search(replacement):
                again = True
        text = "".join(pieces)
        passes += 1
    return text
