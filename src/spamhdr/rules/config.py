"""The compiled configuration: effective rules, scores, settings and diagnostics.

Input: built by :func:`spamhdr.rules.compile.compile_config`. Output: an immutable
:class:`Config` that threads may share.

Invariants: every mapping is read-only (``MappingProxyType``) and every sequence a tuple;
the settings are typed fields with SpamAssassin's defaults (``Conf.pm``) when the
configuration does not set them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from spamhdr.rules.ast import Rule
from spamhdr.rules.diagnostics import Diagnostic

__all__ = ["Config", "settings_from"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return _EMPTY


@dataclass(frozen=True, slots=True)
class Config:
    """A SpamAssassin configuration as SpamAssassin 4.0.1 compiles it.

    Attributes:
        rules: effective rules by name (see :class:`~spamhdr.rules.Rule`).
        diagnostics: problems found, in reading order (errors and warnings).
        scores: four score sets per name, for every rule and for names that only have a
            ``score`` line.
        descriptions: ``describe`` texts by name (also for names without a rule).
        plugins: plugin modules loaded (``loadplugin``), in loading order.
        required_score: ``required_score`` (default 5.0).
        trusted_networks, internal_networks, msa_networks: the configured network
            entries in order (``clear_*`` empties); empty = SpamAssassin infers trust.
        originating_ip_headers: header names (case-insensitively de-duplicated).
        envelope_sender_header: the configured header name, or None.
        report_safe: 0, 1 or 2 (default 1).
        headers_spam, headers_ham: ``add_header`` results as ``(name, template)`` pairs
            (``X-Spam-`` is prepended by SpamAssassin when adding them).
        rewrite_header: ``Subject``/``From``/``To`` → text.
        util_rb_tld, util_rb_2tld, util_rb_3tld: registry-boundary domain lists
            (lower-case, in order).
        settings: every other setting's raw value (last one, or all values in order).
    """

    rules: Mapping[str, Rule]
    diagnostics: tuple[Diagnostic, ...]
    scores: Mapping[str, tuple[float, float, float, float]] = field(default_factory=_empty)
    descriptions: Mapping[str, str] = field(default_factory=_empty)
    plugins: tuple[str, ...] = ()
    required_score: float = 5.0
    trusted_networks: tuple[str, ...] = ()
    internal_networks: tuple[str, ...] = ()
    msa_networks: tuple[str, ...] = ()
    originating_ip_headers: tuple[str, ...] = ()
    envelope_sender_header: str | None = None
    report_safe: int = 1
    headers_spam: tuple[tuple[str, str], ...] = ()
    headers_ham: tuple[tuple[str, str], ...] = ()
    rewrite_header: Mapping[str, str] = field(default_factory=_empty)
    util_rb_tld: tuple[str, ...] = ()
    util_rb_2tld: tuple[str, ...] = ()
    util_rb_3tld: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=_empty)

    def score(self, name: str, score_set: int = 0) -> float:
        """The score of ``name`` in ``score_set``; 0.0 for a name without any score."""
        scores = self.scores.get(name)
        return scores[score_set] if scores is not None else 0.0

    def describe(self, name: str) -> str | None:
        """The ``describe`` text of ``name``, or None."""
        return self.descriptions.get(name)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics ``spamassassin --lint`` would count."""
        return tuple(d for d in self.diagnostics if d.is_error)

    def rules_of_type(self, *types: str) -> tuple[Rule, ...]:
        """Rules of the given types, sorted by name."""
        return tuple(self.rules[n] for n in sorted(self.rules) if self.rules[n].type in types)


_SIMPLE_LISTS = (
    "trusted_networks",
    "internal_networks",
    "msa_networks",
    "originating_ip_headers",
    "util_rb_tld",
    "util_rb_2tld",
    "util_rb_3tld",
)
_TYPED = frozenset(
    (
        *_SIMPLE_LISTS,
        "required_score",
        "envelope_sender_header",
        "report_safe",
        "headers_spam",
        "headers_ham",
        "rewrite_header",
    )
)


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    return value


def settings_from(raw: Mapping[str, object]) -> dict[str, Any]:
    """Typed Config fields from the parser's raw settings table."""
    from spamhdr.rules.settings import DEFAULT_HEADERS

    fields: dict[str, Any] = {}
    for name in _SIMPLE_LISTS:
        value = raw.get(name)
        fields[name] = tuple(value) if isinstance(value, list) else ()
    required = raw.get("required_score", 5.0)
    fields["required_score"] = float(required) if isinstance(required, int | float) else 5.0
    sender = raw.get("envelope_sender_header")
    fields["envelope_sender_header"] = sender if isinstance(sender, str) else None
    safe = raw.get("report_safe", 1)
    fields["report_safe"] = safe if isinstance(safe, int) else 1
    for which in ("spam", "ham"):
        headers = raw.get(f"headers_{which}")
        fields[f"headers_{which}"] = (
            tuple(headers) if isinstance(headers, list) else DEFAULT_HEADERS
        )
    rewrite = raw.get("rewrite_header")
    fields["rewrite_header"] = (
        MappingProxyType(dict(rewrite)) if isinstance(rewrite, dict) else _EMPTY
    )
    fields["settings"] = MappingProxyType(
        {k: _freeze(v) for k, v in raw.items() if k not in _TYPED}
    )
    return fields
