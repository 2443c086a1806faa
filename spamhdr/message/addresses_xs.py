"""Placeholder: Email::Address::XS fallback (filled in below)."""

from __future__ import annotations

from spamhdr.message.addresses import ParsedAddress

__all__ = ["parse_addresses_xs"]


def parse_addresses_xs(value: bytes) -> tuple[ParsedAddress, ...]:
    return ()
