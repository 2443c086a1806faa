"""The installed build: CI must test the mypyc-compiled hot path it ships (setup.py).

``setup.py`` falls back to plain Python whenever mypyc or the C compiler fails, so that
an install never breaks; a fallback in CI would silently test (and benchmark) another
build than the one users get. Under ``CI=true`` the hot-path modules must therefore be
compiled extensions; locally (an editable or ``SPAMHDR_PURE=1`` install) the test skips.
"""

from __future__ import annotations

import io

import pytest

from spamhdr._build import build_name, compiled_modules
from spamhdr.cli import main
from tests.conftest import IN_CI

#: Modules every check runs through; setup.py's COMPILED lists them (and more).
_HOT_PATH = {
    "spamhdr.engine.groups",
    "spamhdr.engine.run",
    "spamhdr.message.values",
    "spamhdr.message.received",
    "spamhdr.rules.meta",
}


def test_ci_tests_the_compiled_hot_path() -> None:
    name = build_name()  # imports the engine and the header-value modules
    if not compiled_modules():
        if IN_CI:
            pytest.fail("the mypyc build fell back to pure Python (see pip's build output)")
        pytest.skip(f"this install is {name}")
    assert set(compiled_modules()) >= _HOT_PATH


def test_version_names_the_build(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"], io.StringIO(), io.StringIO()) == 0
    text = capsys.readouterr().out
    assert text.startswith("spamhdr ")
    expected = "compiled with mypyc" if compiled_modules() else "pure Python"
    assert expected in text
