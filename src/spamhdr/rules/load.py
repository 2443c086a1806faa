"""Loading: read the rule files (the I/O edge) and run parse → compile.

Input: :class:`~spamhdr.rules.paths.RulePaths` and options. Output: a
:class:`~spamhdr.rules.config.Config`; never raises for bad rule text (unreadable files,
binary junk and over-long lines become diagnostics).

File order (``SpamAssassin.pm init``, spec §1): site ``*.pre``, rules ``*.pre``, rules
``*.cf``, site ``*.cf``, extra (lint) files, user prefs, then an optional
``post_config_text``. A file already read is skipped (``read_cf_file``), which also makes
``include`` loops harmless; ``include`` of a directory reads its ``*.cf`` files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from spamhdr.options import DEFAULT_OPTIONS, Options
from spamhdr.rules.compile import compile_config
from spamhdr.rules.config import Config
from spamhdr.rules.diagnostics import Diagnostic
from spamhdr.rules.directives import HANDLERS, find_handler
from spamhdr.rules.parser import SourceFile, parse_sources
from spamhdr.rules.paths import RulePaths, cf_files_in_dir

__all__ = ["FileReader", "load_config", "locale_tag", "parse_text"]


def locale_tag(environ: dict[str, str] | None = None) -> str:
    """The locale ``lang`` lines are compared with (``Conf/Parser.pm parse``)."""
    env = dict(os.environ) if environ is None else environ
    lang = (env.get("LANGUAGE") or "").split(":")[0]
    lang = lang or env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or "C"
    if lang in ("C", "POSIX"):
        return "en_US"
    for sep in "@.+,":
        lang = lang.split(sep)[0]
    return lang


class FileReader:
    """Reads files and directories once each, as ``SpamAssassin.pm read_cf`` does."""

    def __init__(self, options: Options = DEFAULT_OPTIONS) -> None:
        self.options = options
        self.seen: set[str] = set()
        self.stats: list[tuple[str, int, int]] = []  # (path, size, mtime_ns) for caching

    def _problem(self, path: str, kind: str, message: str) -> SourceFile:
        diag = Diagnostic(
            path, 0, None, "warning" if kind == "unreadable-file" else "error", kind, message
        )
        return SourceFile(path, None, diag)

    def read_file(self, path: str) -> list[SourceFile]:
        if path in self.seen:
            return []
        self.seen.add(path)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
                stat = os.fstat(handle.fileno())
        except OSError as exc:
            return [self._problem(path, "unreadable-file", f'cannot open "{path}": {exc.strerror}')]
        self.stats.append((path, stat.st_size, stat.st_mtime_ns))
        if b"\x00" in data:
            return [self._problem(path, "binary-file", "file contains NUL bytes; not read")]
        return [SourceFile(path, data.decode("latin-1"))]

    def read(self, path: str, suffix: str = "cf") -> list[SourceFile]:
        """A directory's ``*.suffix`` files, or one file; nothing for a missing path."""
        path = os.path.expanduser(path)
        try:
            is_dir = os.path.isdir(path)
            exists = os.path.exists(path)
        except OSError:
            return []
        if not exists:
            return []
        if is_dir:
            try:
                names = cf_files_in_dir(path, suffix)
            except OSError as exc:
                return [self._problem(path, "unreadable-file", f"cannot opendir {path}: {exc}")]
            self.stats.append((path, -1, os.stat(path).st_mtime_ns))
            found: list[SourceFile] = []
            for name in names:
                found.extend(self.read_file(name))
            return found
        if os.path.isfile(path) and os.path.getsize(path) > 0:
            return self.read_file(path)
        return []

    def include(self, path: str) -> list[SourceFile]:
        path = os.path.expanduser(path)
        if path in self.seen:
            diag = Diagnostic(
                path, 0, None, "warning", "include-loop", f"skipping already read file: {path}"
            )
            return [SourceFile(path, None, diag)]
        return self.read(path, "cf")


def _sources(paths: RulePaths, reader: FileReader) -> list[SourceFile]:
    sources: list[SourceFile] = []
    if paths.site_dir is not None:
        sources += reader.read(str(paths.site_dir), "pre")
    for rules in paths.rules_dirs:
        sources += reader.read(str(rules), "pre")
    for rules in paths.rules_dirs:
        sources += reader.read(str(rules), "cf")
    if paths.site_dir is not None:
        sources += reader.read(str(paths.site_dir), "cf")
    for extra in paths.extra_files:
        found = reader.read(str(extra), "cf")
        if not found and not os.path.exists(extra):
            found = [
                reader._problem(
                    str(extra),
                    "unreadable-file",
                    f'cannot open "{extra}": No such file or directory',
                )
            ]
        sources += found
    if paths.prefs is not None:
        sources += reader.read(str(paths.prefs), "cf")
    return sources


def load_config(
    paths: RulePaths,
    options: Options = DEFAULT_OPTIONS,
    *,
    lint: bool = False,
    lang: str | None = None,
    post_config_text: str | None = None,
) -> Config:
    """Read and compile a configuration as SpamAssassin 4.0.1 does.

    Args:
        paths: what to read (:func:`~spamhdr.rules.resolve_rule_paths`).
        options: limits and ``local_tests_only`` (used by ``if`` conditions).
        lint: ``--lint`` behaviour: always-matching regexps are refused.
        lang: locale for ``lang xx`` lines (default: from the environment like SA).
        post_config_text: configuration text appended after everything (as SpamAssassin's
            ``post_config_text``; file name ``(post_config_text)``).

    Returns:
        The compiled :class:`Config`; problems are in ``Config.diagnostics``.
    """
    reader = FileReader(options)
    sources = _sources(paths, reader)
    if post_config_text:
        sources.append(SourceFile("(post_config_text)", post_config_text))
    prefs = str(paths.prefs) if paths.prefs is not None else None
    state = parse_sources(
        sources,
        reader.include,
        handlers=HANDLERS,
        fallback=find_handler,
        lang=lang if lang is not None else locale_tag(),
        options=options,
        lint=lint,
        user_prefs=prefs,
    )
    config = compile_config(state)
    if not config.util_rb_tld:
        # RegistryBoundaries.pm warns (plain warn, not a lint issue) when no TLDs are known.
        no_tlds = Diagnostic(
            "(config)",
            0,
            None,
            "warning",
            "no-tlds",
            "registryboundaries: no tlds defined, need to run sa-update",
        )
        config = replace(config, diagnostics=(*config.diagnostics, no_tlds))
    return config


def parse_text(
    text: str,
    *,
    name: str = "(text)",
    options: Options = DEFAULT_OPTIONS,
    lint: bool = False,
    plugins: Sequence[str] = (),
    lang: str = "en_US",
) -> Config:
    """Compile configuration text alone (no files; ``include`` reads nothing).

    ``plugins`` are loaded first, as if a ``.pre`` file had ``loadplugin`` lines for them
    (short names like ``"HeaderEval"`` or full module names).
    """
    prefix = "".join(
        f"loadplugin {p if '::' in p else 'Mail::SpamAssassin::Plugin::' + p}\n" for p in plugins
    )
    sources = [SourceFile("(plugins)", prefix)] if prefix else []
    sources.append(SourceFile(name, text))
    state = parse_sources(
        sources,
        lambda _path: [],
        handlers=HANDLERS,
        fallback=find_handler,
        lang=lang,
        options=options,
        lint=lint,
    )
    return compile_config(state)


def _unused(_: Path) -> None:  # pragma: no cover - keeps Path imported for type readers
    return None
