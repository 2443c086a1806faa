"""Build hook: compile the per-message hot path with mypyc, or install it as plain Python.

Everything else about the build is in ``pyproject.toml``. Checking a message runs the
engine and header-value modules thousands of times per second; mypyc (the compiler that
ships with mypy) turns their type-annotated Python into C extensions, which takes about a
fifth off the time per message (benchmarks/README.md) without a second implementation to
keep exact: the source stays the single definition, and the test suite runs on the build
that was installed (``tests/unit/foundation/test_build.py`` fails in CI if that is not
the compiled one; ``tests/differential/test_engine_pure_build.py`` checks the plain
sources against SpamAssassin's results as well).

The compiled build is an optimisation only. It is skipped, and the same modules are
installed as Python, when ``SPAMHDR_PURE=1`` is set (use it for an editable install you
edit: a compiled module beside its source would shadow your edits), or when mypyc or a C
compiler is missing or fails (a warning says so). ``spamhdr --version`` names the build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

_SOURCE = Path("src") / "spamhdr"
#: Modules of the hot packages left as Python: compile-time-only code (its speed does not
#: matter per message), data tables (large literals, slow to compile, read once) and
#: engine/model.py (frozen dataclasses with ``object`` fields, which mypyc 2.4 rejects).
_NOT_COMPILED = {
    "__init__.py",
    "model.py",
    "compile.py",
    "reference.py",
    "superset.py",
    "_charsets.py",
    "_charset_overrides.py",
}


def compiled_sources() -> list[str]:
    """Every module a message passes through: the engine and header-value packages, the
    meta evaluator and the score arithmetic."""
    hot = [
        path
        for package in ("engine", "message")
        for path in sorted((_SOURCE / package).glob("*.py"))
        if path.name not in _NOT_COMPILED
    ]
    return [str(p) for p in (*hot, _SOURCE / "rules" / "meta.py", _SOURCE / "scoring.py")]


def _warn(text: str) -> None:
    print(f"spamhdr build: {text}; installing the pure-Python modules", file=sys.stderr)


def _extensions() -> list[Any]:
    if os.environ.get("SPAMHDR_PURE", "") not in ("", "0"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _warn("mypyc is not available")
        return []
    try:
        return list(mypycify(compiled_sources(), opt_level="3"))
    except (Exception, SystemExit) as error:  # mypyc exits on a type error
        _warn(f"mypyc failed ({error})")
        return []


class OptionalBuildExt(build_ext):
    """build_ext that installs the Python sources when compiling fails."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:
            _warn(f"compiling failed ({error})")

    def build_extension(self, ext: Any) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:
            _warn(f"compiling {ext.name} failed ({error})")


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
