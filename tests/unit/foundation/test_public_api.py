"""The declared public API resolves, and errors share one root (STYLE.md points 3 and 9)."""

from __future__ import annotations

import spamhdr


def test_every_public_name_resolves() -> None:
    missing = [name for name in spamhdr.__all__ if getattr(spamhdr, name, None) is None]
    assert not missing


def test_errors_share_one_root_with_exit_codes() -> None:
    for error in (
        spamhdr.UsageError,
        spamhdr.InputError,
        spamhdr.RuleFileError,
        spamhdr.PolicyError,
    ):
        assert issubclass(error, spamhdr.SpamhdrError)
    assert spamhdr.UsageError.exit_code == 2
    assert spamhdr.InputError("x").exit_code == 1
