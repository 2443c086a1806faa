"""Header group → one Hyperscan database that names the rules worth confirming.

Input: the compiled regexes of one header-spec group (``groups.py``). Output: a
:class:`GroupScanner` whose :meth:`~GroupScanner.candidates` scans a value once and returns
the positions of the rules that *may* match it; every other rule provably does not match
(the database holds ``superset.py``'s superset of each regex, compiled with
``HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH``). ``groups.py`` confirms each candidate with
``regex``, so hits, spans and counts are unchanged; this module only decides how many
regex calls a value costs (issue 5: "an optional multi-pattern backend").

Optional: when the ``hyperscan`` package (``pip install spamhdr[fast]``) cannot be
imported, :data:`AVAILABLE` is False, no scanner is built and the engine runs its
pure-Python path (required-literal prefilters); results are the same either way.

Failure is never fatal: a rule whose translation Hyperscan refuses is left out of the
database (it then runs as without a scanner); a group whose database cannot be built gets
no scanner; a scan that fails (for instance the database's scratch space is in use by
another thread) returns None, meaning "every rule is a candidate".

Databases compile in milliseconds to a fraction of a second per group; an optional on-disk
cache (``cache_dir``) stores Hyperscan's own serialized databases (``hyperscan.dumpb``,
data only — loading one runs no code) under a hash of the patterns and the library
version, and is used only when the file belongs to the current user and is not writable
by others (nor is its directory); any problem with it means compiling afresh.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from spamhdr.engine.superset import translate

__all__ = ["AVAILABLE", "MAX_PATTERN_BYTES", "GroupScanner", "compile_scanner"]

_hs: Any
try:
    _hs = importlib.import_module("hyperscan")
except Exception:  # not installed, or its library does not load: pure-Python path
    _hs = None

#: Whether the Hyperscan backend can be used in this interpreter.
AVAILABLE = _hs is not None
_EXACT = _hs.HS_FLAG_SINGLEMATCH if _hs is not None else 0
_PREFILTER = (_hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_SINGLEMATCH) if _hs is not None else 0
_CACHE_FORMAT = b"spamhdr-hs-3"
#: Database ids of a rule's extra parts: its position plus a multiple of this.
_PART_STEP = 1 << 20
#: Translations longer than this stay out of the databases (they run with their literal
#: prefilters, as without Hyperscan). Every stock 4.0.1 rule fits since the databases are
#: cached: the longest are the fuzzy spellings spelled out over Latin-1 and UTF-8
#: (``SUBJECT_FUZZY_CHEAP``, ``__FUZZY_WELLSFARGO_FROM``, …) and the freemail address
#: lists of ``REPTO_419_FRAUD*``, up to 10.5 kB. With them inside, a compile without cache
#: takes 3.7 s instead of 1.6 s and peaks ~28 MiB higher (106 MiB for ``spamhdr check
#: --no-cache``), and a check saves ~20 µs: their regexes, with the timeout's clock calls,
#: ran on nearly every Subject and From (measured with the corpus sample of
#: ``benchmarks.rule_throughput``).
MAX_PATTERN_BYTES = 12000


def _collect(rule_id: int, _start: int, _end: int, _flags: int, found: list[int]) -> None:
    found.append(rule_id)


@dataclass(frozen=True, slots=True)
class GroupScanner:
    """One compiled database for the rules of a group.

    Attributes:
        database: the ``hyperscan.Database``.
        covered: positions (in the group) of the rules in the database; a covered rule
            that :meth:`candidates` does not return cannot match the value.
        exact: the covered rules whose translation is exact (``superset.Translation``)
            and compiled without prefilter approximation: for them a candidate is a
            value the regex matches.
        parts: (position, ids of its extra parts) for the rules whose translation has
            ``parts``: such a rule is a candidate only when all of them matched too.
    """

    database: Any
    covered: frozenset[int]
    exact: frozenset[int] = frozenset()
    parts: tuple[tuple[int, tuple[int, ...]], ...] = ()

    def candidates(self, value: bytes) -> set[int] | None:
        """Positions of the covered rules that may match ``value``; None when the scan
        failed (then every rule must be treated as a candidate)."""
        found: list[int] = []
        try:
            # Positional (data, match_event_handler, flags, context): the binding parses
            # keywords through a dict, measurably slower on ~27 scans per message.
            self.database.scan(value, _collect, 0, found)
        except Exception:  # scratch in use, or anything else: fall back, never fail
            return None
        if not self.parts:
            return set(found)
        matched = set(found)
        candidates = {rule_id for rule_id in matched if rule_id < _PART_STEP}
        for position, part_ids in self.parts:
            if position in candidates and not matched.issuperset(part_ids):
                candidates.discard(position)
        return candidates


#: (position in the group, pattern text, exact)
_Entry = tuple[int, bytes, bool]


def _compile(entries: Sequence[_Entry]) -> Any:
    database = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    database.compile(
        expressions=[text for _, text, _ in entries],
        ids=[position for position, _, _ in entries],
        elements=len(entries),
        flags=[_EXACT if exact else _PREFILTER for _, _, exact in entries],
    )
    return database


def _accepted(candidates: list[tuple[int, regex.Pattern[bytes]]]) -> list[_Entry]:
    """The translations Hyperscan compiles, one at a time, in prefilter mode (only used
    when the group as a whole was refused); an anchor placement Hyperscan refuses is
    retried without anchors."""
    kept: list[_Entry] = []
    for position, pattern in candidates:
        for anchors in (True, False):
            found = translate(pattern, anchors=anchors)
            if found is None or len(found.text) > MAX_PATTERN_BYTES:
                break
            entry = (position, found.text, False)
            try:
                _compile([entry])
            except Exception:
                continue
            kept.append(entry)
            break
    return kept


def _cache_path(cache_dir: Path, pairs: Sequence[_Entry]) -> Path:
    digest = hashlib.sha256(_CACHE_FORMAT)
    digest.update(str(getattr(_hs, "__version__", "")).encode())
    for position, text, exact in pairs:
        digest.update(b"%d\0%d\0%s\0" % (position, exact, text))
    return cache_dir / f"{digest.hexdigest()}.hsdb"


def _trusted(path: Path) -> bool:
    """Owned by the current user and writable by nobody else (checked for the file and
    its directory: in a directory others may write, a file could be swapped for another
    of ours, compiled from different patterns)."""
    for item in (path, path.parent):
        info = item.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            return False
    return True


def _load_cached(path: Path) -> Any:
    try:
        if not _trusted(path):
            return None
        database = _hs.loadb(path.read_bytes(), _hs.HS_MODE_BLOCK)
        database.scratch = _hs.Scratch(database)
        return database
    except Exception:
        return None


def _store_cached(path: Path, database: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_hs.dumpb(database))
        os.replace(temporary, path)
    except Exception:
        return  # the cache is an optimisation only


def compile_scanner(
    patterns: Sequence[regex.Pattern[bytes] | None], cache_dir: Path | None = None
) -> GroupScanner | None:
    """A scanner for a group's rules (``None`` entries: rules without a regex).

    Args:
        patterns: the group's compiled regexes, in group order.
        cache_dir: where serialized databases may be kept (None: always compile).

    Returns:
        the scanner, or None when Hyperscan is unavailable or no rule could be covered.
    """
    if _hs is None:
        return None
    candidates = [(i, p) for i, p in enumerate(patterns) if p is not None]
    entries: list[_Entry] = []
    for position, pattern in candidates:
        found = translate(pattern)
        if found is not None and len(found.text) <= MAX_PATTERN_BYTES:
            entries.append((position, found.text, found.exact))
            if len(patterns) < _PART_STEP:
                entries.extend(
                    (position + _PART_STEP * (k + 1), part, False)
                    for k, part in enumerate(found.parts)
                    if len(part) <= MAX_PATTERN_BYTES
                )
    if not entries:
        return None
    path = _cache_path(cache_dir, entries) if cache_dir is not None else None
    database = _load_cached(path) if path is not None and path.exists() else None
    if database is None:
        try:
            database = _compile(entries)
        except Exception:
            # Some translation is refused as it stands: everything in prefilter mode,
            # then one at a time. Not cached (the key names the first set).
            entries = [(position, text, False) for position, text, _ in entries]
            try:
                database = _compile(entries)
            except Exception:
                entries = _accepted(candidates)
                if not entries:
                    return None
                try:
                    database = _compile(entries)
                except Exception:
                    return None
        else:
            if path is not None:
                _store_cached(path, database)
    parts: dict[int, list[int]] = {}
    for rule_id, _, _ in entries:
        if rule_id >= _PART_STEP:
            parts.setdefault(rule_id % _PART_STEP, []).append(rule_id)
    return GroupScanner(
        database,
        frozenset(position for position, _, _ in entries if position < _PART_STEP),
        frozenset(position for position, _, exact in entries if exact),
        tuple((position, tuple(ids)) for position, ids in sorted(parts.items())),
    )
