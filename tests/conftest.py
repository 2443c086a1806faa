"""Fixtures shared by every kind of test.

Tests that need ``../shared/``, SpamAssassin or ``sieve-test`` call the fixtures below.
Under CI (``CI=true``) a missing dependency is a failure, never a skip: a green CI run must
mean the differential tests really ran. Locally they skip with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SPAMHDR_SHARED", REPO.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() == "true"

# Under CI the property and live differential tests draw the same examples on every run
# (derandomize), so a submission lands or not on its merits, not on the draw; locally
# they explore new examples each run. HYPOTHESIS_PROFILE=explore forces exploration.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "explore"))


@pytest.fixture(autouse=True, scope="session")
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Commands that cache by default (``spamhdr check``) write under the test's own
    temporary directory, never into the user's ~/.cache."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only reference material beside the repository (``../shared``)."""
    if not (SHARED / "spec").is_dir():
        _missing(f"shared reference material not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def spamassassin_bin() -> str:
    """Path of the real ``spamassassin`` program."""
    found = shutil.which("spamassassin")
    if found is None:
        _missing("spamassassin is not installed (apt-get install spamassassin)")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def sieve_test_bin() -> str:
    """Path of Pigeonhole's ``sieve-test``."""
    found = shutil.which("sieve-test")
    if found is None:
        _missing("sieve-test is not installed (apt-get install dovecot-core dovecot-sieve)")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def amavis_modules() -> Path:
    """Directory holding amavis' Perl modules (``Amavis.pm``, Debian package amavisd-new)."""
    found = Path("/usr/share/perl5/Amavis.pm")
    if not found.is_file():
        _missing("amavis is not installed (apt-get install amavisd-new)")
    return found.parent
