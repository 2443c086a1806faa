"""The engine's scoring helpers live in :mod:`spamhdr.scoring` (shared with the report
parser); this module keeps the engine's import path."""

from __future__ import annotations

from spamhdr.scoring import (
    display_score,
    format_required,
    format_tests,
    is_spam,
    perl_number,
    render_status,
    stars,
    total_score,
)

__all__ = [
    "display_score",
    "format_required",
    "format_tests",
    "is_spam",
    "perl_number",
    "render_status",
    "stars",
    "total_score",
]
