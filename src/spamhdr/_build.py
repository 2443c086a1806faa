"""Which build of spamhdr is running: the mypyc-compiled hot path or plain Python.

Input: the interpreter's loaded modules. Output: the names of spamhdr's modules that were
loaded from compiled extensions. ``setup.py`` compiles the per-message hot path with mypyc
when it can and installs plain Python otherwise; both give the same results, only the
speed differs, so benchmarks and ``spamhdr --version`` say which one they ran.
"""

from __future__ import annotations

import importlib
import sys
from importlib.machinery import EXTENSION_SUFFIXES

__all__ = ["build_name", "compiled_modules"]


def compiled_modules() -> tuple[str, ...]:
    """spamhdr's already-imported modules that are compiled extensions, sorted."""
    suffixes = tuple(EXTENSION_SUFFIXES)
    return tuple(
        sorted(
            name
            for name, module in list(sys.modules.items())
            if name.split(".", 1)[0] == "spamhdr"
            and str(getattr(module, "__file__", "") or "").endswith(suffixes)
        )
    )


def build_name() -> str:
    """``"compiled with mypyc, N modules"`` or ``"pure Python"`` (imports the engine)."""
    # Load the hot path (compiled or not) before looking.
    for name in ("spamhdr.engine", "spamhdr.message"):
        importlib.import_module(name)
    compiled = compiled_modules()
    return f"compiled with mypyc, {len(compiled)} modules" if compiled else "pure Python"
