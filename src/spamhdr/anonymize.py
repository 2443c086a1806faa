"""Masking of personal data in output (``--anonymize``).

Reports and headers carry IP addresses and e-mail addresses; postmasters share them in
tickets and forums. ``anonymize_text`` masks every IPv4 and IPv6 address and the local
part of every e-mail address, keeping domains (they explain routing) and the shape of the
text. It is applied to the final rendered output of every command that offers
``--anonymize``, so no field can slip through.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import regex

__all__ = ["anonymize_text", "anonymize_value", "sensitive_regions", "widen_to_regions"]

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = r"(?<![\d.])(?:" + _OCTET + r"\.){3}" + _OCTET + r"(?!\.?\d)"
# Candidate IPv6 text: hex groups and colons (with an optional embedded IPv4 tail);
# each candidate is confirmed with the ipaddress module, so times like 12:30:01 survive.
_IPV6_CANDIDATE = (
    r"(?:(?<=IPv6:)|(?<![\w:.]))(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:" + _IPV4 + r"|[0-9A-Fa-f]{1,4})?(?![\w:.])"
)
_IPV6 = regex.compile(_IPV6_CANDIDATE)
_IPV4_RE = regex.compile(_IPV4)
# Local part of an address: dot-atom text (RFC 5322 §3.2.3) or a quoted string, before '@'
# and a domain-looking part. '=' and '/' occur in VERP and SRS local parts.
_EMAIL = regex.compile(
    r"(?:\"[^\"\r\n]{1,64}\"|[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"(?=@[A-Za-z0-9\[](?:[A-Za-z0-9.\-]*[A-Za-z0-9\]])?)"
)

# The whole address (local part, "@", domain): a mark inside it anywhere would stop
# _EMAIL from recognising the local part.
_WHOLE_EMAIL = regex.compile(_EMAIL.pattern + r"@[A-Za-z0-9\[](?:[A-Za-z0-9.\-]*[A-Za-z0-9\]])?")

MASK_LOCAL = "xxx"
MASK_IPV4 = "192.0.2.x"
MASK_IPV6 = "2001:db8::x"


def _mask_ipv6(match: regex.Match[str]) -> str:
    text = match.group(0)
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return text
    return MASK_IPV6


def anonymize_text(text: str) -> str:
    """Mask IP addresses and e-mail local parts in ``text``.

    >>> anonymize_text("from [203.0.113.7] <jane.doe@example.org>")
    'from [192.0.2.x] <xxx@example.org>'
    """
    text = _IPV6.sub(_mask_ipv6, text)
    text = _IPV4_RE.sub(MASK_IPV4, text)
    return _EMAIL.sub(_mask_local, text)


def _mask_local(match: regex.Match[str]) -> str:
    # A "local part" of punctuation only is a quote or bracket before a bare domain key
    # ('@example.com' in a policy explanation), not personal data: keep it.
    local = match.group(0)
    if not local.startswith('"') and not any(ch.isalnum() for ch in local):
        return local
    return MASK_LOCAL


def anonymize_value(value: Any) -> Any:
    """Apply :func:`anonymize_text` to every string inside a JSON-shaped value."""
    if isinstance(value, str):
        return anonymize_text(value)
    if isinstance(value, list):
        return [anonymize_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(anonymize_value(item) for item in value)
    if isinstance(value, dict):
        return {anonymize_text(str(k)): anonymize_value(v) for k, v in value.items()}
    return value


def sensitive_regions(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that :func:`anonymize_text` would mask (addresses and local parts).

    Output that inserts markers into text (a matched span shown as ``»…«``) must not cut
    one of these regions, or the masking could no longer recognise what it has to mask.
    """
    regions = [m.span() for m in _IPV6.finditer(text) if _mask_ipv6(m) != m.group(0)]
    regions += [m.span() for m in _IPV4_RE.finditer(text)]
    regions += [m.span() for m in _WHOLE_EMAIL.finditer(text)]
    return sorted(regions)


def widen_to_regions(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` so that neither end falls inside a sensitive region."""
    for left, right in sensitive_regions(text):
        if left < start < right:
            start = left
        if left < end < right:
            end = right
    return start, end
