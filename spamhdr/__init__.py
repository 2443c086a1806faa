"""spamhdr: explain spam-scanner headers, run SpamAssassin header and meta rules exactly,
and simulate ISPConfig-style delivery.

The supported API is what ``__all__`` lists here; everything else is private.
"""

from __future__ import annotations

from spamhdr.errors import InputError, PolicyError, RuleFileError, SpamhdrError, UsageError
from spamhdr.headers import HeaderBlock, HeaderField, parse_header_block
from spamhdr.options import DEFAULT_OPTIONS, Options

__all__ = [
    "DEFAULT_OPTIONS",
    "HeaderBlock",
    "HeaderField",
    "InputError",
    "Options",
    "PolicyError",
    "RuleFileError",
    "SpamhdrError",
    "UsageError",
    "parse_header_block",
]
