"""Rule regexes: accepted or refused exactly as SpamAssassin's ``compile_regexp`` does.

Hypothesis generates batches of rule regexes (well formed ones with every construct real
rule files use, and pieces thrown together that Perl often refuses); one Perl process
(``harness/sa_regex.pl``) compiles each batch with ``Mail::SpamAssassin::Util::compile_regexp``
as ``Parser.pm add_test`` does. For every regex: the same verdict (a rule whose regex
SpamAssassin refuses is missing from its configuration, so this decides whether the rule
exists), the same compiled text (``(?^aa:(?flags)pattern)``, the dump's pattern), and for
refusals the same message kind. With ``--lint`` semantics too (always-matching regexps).

Not generated (documented deviations, docs/rules.md): ``\\p{..}``, ``\\X``, ``\\N{NAME}``,
``(?^..)``, ``/n``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from _rules_gen import regex_text
from _rules_sa import classify
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from spamhdr.rules.perl_regex import RegexProblem, compile_perl_regex

HARNESS = Path(__file__).parent / "harness" / "sa_regex.pl"


def _spamassassin(regexes: list[str], lint: bool) -> list[tuple[str | None, str | None]]:
    lines = "".join(json.dumps(r) + "\n" for r in regexes)
    proc = subprocess.run(
        ["perl", str(HARNESS), *(["--lint"] if lint else [])],
        input=lines.encode("ascii"),
        capture_output=True,
        check=True,
        timeout=120,
    )
    return [tuple(json.loads(line)) for line in proc.stdout.decode("ascii").splitlines()]


def _as_rule_text(text: str) -> str:
    # What reaches compile_regexp: the .cf comment rule turned "\#" into "#" and cut the
    # line at an unescaped "#" (the generator only writes "\#").
    return text.replace("\\#", "#")


@settings(
    max_examples=40,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(regex_text(), min_size=80, max_size=80), lint=st.booleans())
def test_generated_regexes_compile_like_spamassassin(
    batch: list[str], lint: bool, spamassassin_bin: str
) -> None:
    regexes = [_as_rule_text(text) for text in batch if "#" not in text.replace("\\#", "")]
    problems = []
    for text, (compiled, error) in zip(regexes, _spamassassin(regexes, lint), strict=True):
        ours = compile_perl_regex(text, lint=lint)
        if isinstance(ours, RegexProblem):
            if compiled is not None:
                problems.append(f"{text!r}: SpamAssassin accepts {compiled!r}, we say {ours}")
            else:
                assert error is not None
                theirs = classify(f"invalid regexp for X '{text}': {error.splitlines()[0]}")
                if theirs != ours.kind:
                    problems.append(f"{text!r}: kind {ours.kind} != {theirs} ({error!r})")
        elif compiled is None:
            problems.append(f"{text!r}: SpamAssassin refuses ({error!r}), we accept")
        elif ours.perl_form != compiled.replace("\n)", ")"):
            # Perl ends a pattern whose last /x comment runs to the end with a newline.
            problems.append(f"{text!r}: compiled {compiled!r} != ours {ours.perl_form!r}")
    assert not problems, f"{len(problems)} of {len(regexes)}:\n" + "\n".join(problems[:40])
