"""Helpers shared by the rules differential tests (not a test module).

* :func:`classify` / :func:`normalise`: SpamAssassin lint messages → spamhdr's diagnostic
  kinds (``spamhdr.rules.KINDS``) and message text without SpamAssassin's ``config:``
  prefix and ``in FILE (line N): LINE`` suffix.
* :func:`sa_lint`: run the real ``spamassassin --lint`` and collect its messages and its
  issue count.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "KIND_OF",
    "LOCATION",
    "SPAMHDR_ONLY",
    "TWICE",
    "classify",
    "kind_counts",
    "normalise",
    "sa_lint",
]

# SpamAssassin message (after "config: ") → our kind.
KIND_OF = [
    (r"^invalid regexp for \S+ '.*': missing regexp delimiters$", "missing-delimiters"),
    (r"^invalid regexp for \S+ '.*': backslash delimiter not allowed$", "missing-delimiters"),
    (r"^invalid regexp for \S+ '.*': unquoted delimiter", "unquoted-delimiter"),
    (r"^invalid regexp for \S+ '.*': invalid end delimiter/mods$", "invalid-end-delimiter"),
    (r"^invalid regexp for \S+ '.*': always matching regexp", "always-matching-regexp"),
    (r"^invalid regexp for \S+ '.*': eval \(\?\{\}\) found$", "regexp-code-block"),
    (r"^invalid regexp for ", "invalid-regexp"),
    (r"^invalid header modifier for ", "invalid-header-modifier"),
    (r"^invalid head test ", "invalid-head-test"),
    (r"^invalid '\w+' value", "invalid-value"),
    (r"^missing '\w+' value", "missing-value"),
    (r"^missing '\w+' condition", "missing-condition"),
    (r"^error: rule '.*' has invalid characters", "invalid-rule-name"),
    (r"^error: rule '.*' is too long", "rule-name-too-long"),
    (r"^warning: rule name '.*' is over 40 chars", "long-rule-name"),
    (r"^invalid expression for rule ", "invalid-meta-expression"),
    (r"^invalid meta \S+ token: ", "invalid-meta-token"),
    (r"^invalid meta \S+ rule: ", "invalid-meta-rule"),
    (r"^rules: excluding meta test ", "unsolved-meta-dependency"),
    (r"^failed to parse line, now a plugin", "migrated-setting"),
    (r"^failed to parse line", "unparseable-line"),
    (r"^missing starting 'if'", "missing-if"),
    (r"^'else' missing starting if", "else-without-if"),
    (r"^'\w+' must be standalone", "not-standalone"),
    (r"^unclosed '\w+' found", "unclosed-conditional"),
    (r"^(?:not allowed|unparseable) value '", "bad-condition"),
    (r"^bad 'if' line", "bad-condition"),
    (r"^'if can .*' not available in user_prefs", "user-prefs-can"),
    (r"^error parsing conditional", "condition-error"),
    (r"^configuration file '.*' requires version ", "require-version"),
    (r"^syntax error for eval function ", "eval-syntax-error"),
    (r"^wrong rule type defined for ", "wrong-eval-type"),
    (r"^rules: unknown eval ", "unknown-eval"),
    (r"^registryboundaries: no tlds defined", "no-tlds"),
    (r"^plugin: failed to parse plugin", "plugin-not-found"),
    # Run-time warnings of eval plugins on --lint's test message (DNSEval check_start,
    # WLBLEval lists): not lint issues, not modelled by spamhdr.
    (r"^dnseval: ", "not-modelled"),
    (r"^Use of uninitialized value ", "not-modelled"),
    (r"^eval: could not find list", "not-modelled"),
    # A meta dividing by an expression that is 0 on the test message (Perl dies in the sub).
    (r"^plugin: eval failed: Illegal division by zero", "not-modelled"),
]
LOCATION = re.compile(r" in (\S+) \(line (\d+)\)(?:: .*)?$")
# Perl's own compiler warnings while SpamAssassin evaluates an `if` condition or checks a
# meta expression, and continuation lines of multi-line messages: not SpamAssassin messages.
PERL_NOISE = re.compile(
    r"^(?![a-z]+: ).* at \(eval \d+\) line \d+|^(?:\\t|\s)*\(Missing operator before|^\)"
)
# Warnings spamhdr adds where SpamAssassin stays silent (docs/rules.md): an include of a file
# already read, an unknown eval function in a rule --lint does not run, a ReplaceTags
# result Perl refuses (SpamAssassin logs it at info level).
SPAMHDR_ONLY = frozenset(("include-loop", "unknown-eval-idle", "replace-tags-failed"))
# Printed twice by SpamAssassin (a plain warn() and lint_warn()), one event each.
TWICE = ("require-version", "condition-error")


def normalise(message: str) -> str:
    """SpamAssassin's message without ``config: `` and the ``in FILE (line N)`` suffix."""
    message = re.sub(r" at \S+ line \d+\.$", "", message.removeprefix("config: ").rstrip())
    return LOCATION.sub("", message)


def classify(message: str) -> str:
    """Our diagnostic kind for a normalised SpamAssassin message."""
    for pattern, kind in KIND_OF:
        if re.search(pattern, message):
            return kind
    raise AssertionError(f"unclassified SpamAssassin message: {message}")


def sa_lint(
    spamassassin_bin: str,
    rules: Path,
    site: Path,
    prefs: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[list[str], int]:
    """``spamassassin --lint``: (warn messages in order, issue count; 0 when clean)."""
    command = [spamassassin_bin, "--lint", "-C", str(rules), "--siteconfigpath", str(site)]
    if prefs is not None:
        command += ["-p", str(prefs)]
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        encoding="latin-1",
        timeout=120,
        check=False,
        env=dict(env) if env is not None else None,
    )
    messages, issues = [], 0
    for line in proc.stderr.splitlines():
        match = re.search(r"\] warn: (.*)$", line)
        if not match:
            continue
        text = match.group(1).replace("\\\\", "\\")
        summary = re.match(r"lint: (\d+) issues detected", text)
        if summary:
            issues = int(summary.group(1))
            continue
        # Logger.pm prints the 11th and later identical lines as one line with a count.
        repeated = re.search(r" \[\.\.\. logline repeated (\d+) times\]$", text)
        copies = 1
        if repeated:
            text, copies = text[: repeated.start()], int(repeated.group(1))
        if not PERL_NOISE.search(text):
            messages.extend([text] * copies)
    return messages, issues


def kind_counts(messages: list[str]) -> Counter[str]:
    """How many times SpamAssassin reported each kind (messages it prints twice, once)."""
    counts = Counter(classify(normalise(m)) for m in messages)
    for kind in TWICE:
        if kind in counts:
            counts[kind] = (counts[kind] + 1) // 2
    return counts
