"""One immutable options object for every stage (STYLE.md point 8).

Change it with :func:`dataclasses.replace`; never mutate. Stages take an ``Options`` and
read only the fields they need.
"""

from __future__ import annotations

from dataclasses import dataclass

from spamhdr.errors import UsageError

__all__ = ["DEFAULT_OPTIONS", "Options"]


@dataclass(frozen=True, slots=True)
class Options:
    """Switches and limits shared by parsing, compiling, matching and deciding.

    Attributes:
        strict: raise on the first defect instead of recording it (for tests and tooling).
        regex_timeout: seconds one regex match may take before it is abandoned and recorded
            as a defect (the ``timeout=`` of the ``regex`` module).
        max_header_bytes: header blocks longer than this are cut, with a defect.
        max_line_bytes: rule-file lines longer than this are rejected with a diagnostic.
        score_set: SpamAssassin score set 0-3; 0 = no Bayes, no network (spamhdr's default).
        local_tests_only: the value of ``local_tests_only`` in ``if`` and meta expressions.
    """

    strict: bool = False
    regex_timeout: float = 1.0
    max_header_bytes: int = 1024 * 1024
    max_line_bytes: int = 1024 * 1024
    score_set: int = 0
    local_tests_only: bool = True

    def __post_init__(self) -> None:
        if self.regex_timeout <= 0:
            raise UsageError(f"regex_timeout must be positive, got {self.regex_timeout}")
        if not 0 <= self.score_set <= 3:
            raise UsageError(f"score_set must be 0, 1, 2 or 3, got {self.score_set}")
        if self.max_header_bytes <= 0 or self.max_line_bytes <= 0:
            raise UsageError("byte limits must be positive")


DEFAULT_OPTIONS = Options()
