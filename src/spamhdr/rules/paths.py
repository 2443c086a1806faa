"""Which rule files to read: :class:`RulePaths`, discovery, and SpamAssassin's file order.

Input: command-line style options (``--rules``, ``--site``, ``--prefs``) or nothing.
Output: a :class:`RulePaths`; :func:`cf_files_in_dir` lists a directory the way
``SpamAssassin.pm _get_cf_pre_files_in_dir`` does.

Discovery (spec/sa-rules.md §1): the default rules directory is the sa-update directory
``/var/lib/spamassassin/4.000001`` when it exists, else ``/usr/share/spamassassin``; the site
directory ``/etc/spamassassin``. When neither exists, spamhdr's shipped rules are used
(package data ``spamhdr._default_rules``, or ``rules/`` beside the package in a checkout).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "SA_RULES_DIRS",
    "SA_SITE_DIR",
    "RulePaths",
    "cf_files_in_dir",
    "default_rules_dir",
    "resolve_rule_paths",
]

#: SpamAssassin 4.0.1's default rules directories, first existing wins (Debian layout).
SA_RULES_DIRS: Final = (
    Path("/var/lib/spamassassin/4.000001"),
    Path("/usr/share/spamassassin"),
    Path("/usr/local/share/spamassassin"),
)
SA_SITE_DIR: Final = Path("/etc/spamassassin")
_FIRST: Final = "updates_spamassassin_org.cf"


@dataclass(frozen=True, slots=True)
class RulePaths:
    """What to read.

    Attributes:
        rules_dirs: default rules directories (an entry may also be a single ``.cf`` file).
        site_dir: the site rules directory (``*.pre`` first, its ``*.cf`` after the rules).
        prefs: a user preferences file, read last.
        extra_files: files read as if appended to the site directory (``spamhdr lint FILE``).
    """

    rules_dirs: tuple[Path, ...]
    site_dir: Path | None
    prefs: Path | None
    extra_files: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules_dirs", tuple(Path(p) for p in self.rules_dirs))
        object.__setattr__(self, "extra_files", tuple(Path(p) for p in self.extra_files))
        if self.site_dir is not None:
            object.__setattr__(self, "site_dir", Path(self.site_dir))
        if self.prefs is not None:
            object.__setattr__(self, "prefs", Path(self.prefs))

    def all_paths(self) -> tuple[Path, ...]:
        """Every configured path (for cache keys and messages)."""
        extra = tuple(p for p in (self.site_dir, self.prefs) if p is not None)
        return (*self.rules_dirs, *extra, *self.extra_files)


def default_rules_dir() -> Path:
    """spamhdr's shipped rule set directory (installed package data, or the checkout)."""
    try:
        from importlib.resources import files

        resource = files("spamhdr._default_rules")
        candidate = Path(str(resource))
        if candidate.is_dir():
            return candidate
    except (ModuleNotFoundError, TypeError, ValueError):
        pass
    import spamhdr

    # A checkout run from its sources (PYTHONPATH=src): rules/ beside src/.
    return Path(spamhdr.__file__).resolve().parents[2] / "rules"


def _installed_rules_dir() -> Path | None:
    for candidate in SA_RULES_DIRS:
        if candidate.is_dir():
            return candidate
    return None


def resolve_rule_paths(
    rules: Sequence[str] | None, site: str | None, prefs: str | None
) -> RulePaths:
    """Turn the rule path options into :class:`RulePaths`.

    Explicit options win, each for its own part. Without ``--rules``, the installed
    SpamAssassin rules directory is used (and, if ``--site`` is not given, the installed
    site directory ``/etc/spamassassin``); when SpamAssassin is not installed, spamhdr's
    shipped rules (no site directory). User prefs are read only when ``--prefs`` is given.
    """
    if rules:
        rules_dirs = tuple(Path(r) for r in rules)
        site_dir = Path(site) if site else None
    else:
        installed = _installed_rules_dir()
        if installed is not None:
            rules_dirs = (installed,)
            site_dir = Path(site) if site else (SA_SITE_DIR if SA_SITE_DIR.is_dir() else None)
        else:
            rules_dirs = (default_rules_dir(),)
            site_dir = Path(site) if site else None
    return RulePaths(rules_dirs, site_dir, Path(prefs) if prefs else None)


def _order_key(name: str) -> tuple[int, str]:
    # SpamAssassin.pm _reorder_dir: the official channel first, then plain string order.
    return (0 if name == _FIRST else 1, name)


def cf_files_in_dir(directory: str, suffix: str) -> list[str]:
    """Regular files of ``directory`` ending in ``.suffix`` (case-insensitive), in
    SpamAssassin's order, as ``"DIR/NAME"`` strings. Raises OSError if unreadable."""
    names = [
        name
        for name in os.listdir(directory)
        if name.lower().endswith("." + suffix) and os.path.isfile(os.path.join(directory, name))
    ]
    return [f"{directory}/{name}" for name in sorted(names, key=_order_key)]
