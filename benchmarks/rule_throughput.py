"""Benchmark: header+meta rule throughput — spamhdr vs a naive loop vs SpamAssassin 4.0.1.

Run: ``python -m benchmarks.rule_throughput [--messages N] [--repeat R] [--scaling]
[--rss] [--corpus DIR]`` (see benchmarks/README.md for what each figure means).

One invocation, the same messages (an evenly spaced sample of the corpus, sorted by path)
and the same stock 4.0.1 rules (``/usr/share/spamassassin`` + ``/etc/spamassassin`` with
the oracle's offline settings) for:

(a) spamhdr — ``check_message`` per message: reading the header section, computing the
    header values rules need, header rules, metas, score (everything but file reading);
    and, like for like with (c), the same without reading the header section: messages
    parsed beforehand (``parse_sa_message``, lazy: no value is computed), then
    ``run_rules`` timed — header values, Received parsing, rules, metas, score;
(b) naive — ``parse_sa_message``, then every header rule's compiled regex run on its
    value (``get(spec)``) in a plain Python loop; no metas, no scoring (so it does less
    than (a));
(c) SpamAssassin — ``tests/differential/harness/sa_check.pl --time``: the sum of its
    per-message ``check()`` times (PerMsgStatus creation + check; parsing excluded), in
    the header+meta configuration of ../shared/oracle/README.md. Skipped when
    ``spamassassin``/perl is not installed.

Each repetition times every message once; rates are messages per second; ratios are
computed per repetition and reported as median [min–max]. ``--scaling`` times rule sets
×1/×2/×4/×8 (synthetic copies of the stock header rules: renamed, literals perturbed) and
message lists ×1..×8; ``--rss`` measures the peak RSS of ``spamhdr check --json`` child
processes on 1,000 and 4,000 messages. Timings and subprocesses live here, never in the
library (STYLE point 1) and never in pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from benchmarks._synthetic_rules import synthetic_header_rules
from spamhdr._build import build_name
from spamhdr.engine import RuleSet, check_message, compile_ruleset, run_rules
from spamhdr.engine.reference import run_rules_reference
from spamhdr.message import TrustConfig, clear_memos, parse_sa_message
from spamhdr.options import DEFAULT_OPTIONS
from spamhdr.rules import Config, RulePaths, load_config

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
HARNESS = REPO / "tests" / "differential" / "harness" / "sa_check.pl"
RULES_DIR = Path("/usr/share/spamassassin")
SITE_DIR = Path("/etc/spamassassin")
# The oracle's offline settings (../shared/oracle/README.md), as sa_check.pl sets them.
POST_CONFIG = "\n".join(
    [
        "use_learner 0",
        "use_bayes 0",
        "use_bayes_rules 0",
        "bayes_auto_learn 0",
        "skip_rbl_checks 1",
        "dns_available no",
        "time_limit 0",
    ]
)


def _sample(corpus: Path, count: int) -> list[Path]:
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and not p.name.startswith("."))
    files = [p for p in files if p.name not in ("MANIFEST.md", "README.md")]
    if count >= len(files):
        return files
    step = len(files) / count
    return [files[int(i * step)] for i in range(count)]


def _load(extra: str = "") -> Config:
    return load_config(
        RulePaths((RULES_DIR,), SITE_DIR, None), post_config_text=POST_CONFIG + "\n" + extra
    )


def _time_each(messages: Sequence[bytes], work: Callable[[bytes], object]) -> float:
    start = time.perf_counter()
    for data in messages:
        work(data)
    return time.perf_counter() - start


def _cold(ruleset: RuleSet) -> None:
    """Empty the rule set's and the header values' memos: each round sees the messages
    for the first time (a repeated message would otherwise find its values memoized)."""
    clear = getattr(ruleset.plan, "clear_memos", None)
    if clear is not None:
        clear()
    clear_memos()


def _naive(ruleset: RuleSet) -> Callable[[bytes], object]:
    tests = [
        test
        for band in ruleset.bands
        for _spec, group in ruleset.header_tests.get(band, ())
        for test in group
    ]
    timeout = DEFAULT_OPTIONS.regex_timeout

    def work(data: bytes) -> object:
        message = parse_sa_message(data, ruleset.trust)  # type: ignore[arg-type]
        hits = 0
        for test in tests:
            value = message.get(test.spec)
            if test.pattern is None:
                hits += value is not None
            elif test.pattern.search(value if value is not None else b"", timeout=timeout):
                hits += 1
        return hits

    return work


def _spamassassin(files: Sequence[Path]) -> float | None:
    """Sum of SpamAssassin's per-message check() seconds, or None when unavailable."""
    if shutil.which("perl") is None or shutil.which("spamassassin") is None:
        return None
    proc = subprocess.run(
        ["perl", str(HARNESS), "--time"],
        input="\n".join(str(f) for f in files) + "\n",
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TZ": "UTC", "LC_ALL": "C"},
    )
    if proc.returncode != 0:
        print(f"  SpamAssassin harness failed: {proc.stderr.strip()[:200]}", file=sys.stderr)
        return None
    total = 0.0
    for line in proc.stdout.splitlines():
        record = json.loads(line)
        total += float(record.get("check_seconds", 0.0))
    return total


def _spread(values: Sequence[float], fmt: str = "{:,.0f}") -> str:
    return (
        f"{fmt.format(statistics.median(values))} "
        f"[{fmt.format(min(values))}–{fmt.format(max(values))}]"
    )


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False
        ).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def _throughput(files: list[Path], repeat: int) -> None:
    messages = [f.read_bytes() for f in files]
    start = time.perf_counter()
    ruleset = compile_ruleset(_load())
    compile_seconds = time.perf_counter() - start
    print(f"messages: {len(messages)}; rule set load+compile: {compile_seconds:.2f} s")
    plan = ruleset.plan
    print(
        f"header tests: {sum(len(g) for b in ruleset.header_tests.values() for _, g in b)}, "
        f"metas: {len(ruleset.metas)}, prefilter backend: {getattr(plan, 'backend', 'literals')}"
    )
    ours: list[float] = []
    checks: list[float] = []
    naive: list[float] = []
    theirs: list[float] = []
    naive_work = _naive(ruleset)
    cpu: list[float] = []
    trust = ruleset.trust if isinstance(ruleset.trust, TrustConfig) else None
    # check_message's choice: the reference scheduler for order-sensitive rule sets.
    run = run_rules_reference if getattr(plan, "order_sensitive", False) else run_rules
    for round_ in range(repeat):
        _cold(ruleset)
        cpu_start = time.process_time()
        ours.append(len(messages) / _time_each(messages, lambda d: check_message(ruleset, d)))
        cpu.append(1000 * (time.process_time() - cpu_start) / len(messages))
        _cold(ruleset)
        parsed = [parse_sa_message(data, trust) for data in messages]
        start = time.perf_counter()
        for message in parsed:
            run(ruleset, message)
        checks.append(len(messages) / (time.perf_counter() - start))
        del parsed
        naive.append(len(messages) / _time_each(messages, naive_work))
        sa_seconds = _spamassassin(files)
        if sa_seconds:
            theirs.append(len(messages) / sa_seconds)
        print(f"  round {round_ + 1}/{repeat} done", file=sys.stderr)
    print("\nmessages/s, median [min–max] over", repeat, "rounds")
    print(f"  spamhdr (parse+check)        {_spread(ours)}")
    print(f"  spamhdr (check only)         {_spread(checks)}  (header section read beforehand)")
    print(f"  spamhdr CPU ms/message       {_spread(cpu, '{:.3f}')}  (process time, not load)")
    print(f"  naive loop (parse+regexes)   {_spread(naive)}")
    if theirs:
        print(f"  SpamAssassin 4.0.1 check()   {_spread(theirs)}")
        ratio = [a / b for a, b in zip(ours, theirs, strict=True)]
        like = [a / b for a, b in zip(checks, theirs, strict=True)]
        print(f"  spamhdr / SpamAssassin       {_spread(ratio, '{:.1f}×')}  (parse+check)")
        print(
            f"  spamhdr / SpamAssassin       {_spread(like, '{:.1f}×')}  "
            "(check only on both sides; target ≥ 20×)"
        )
        print(
            f"  per message: spamhdr {1000 / statistics.median(ours):.3f} ms "
            f"(check only {1000 / statistics.median(checks):.3f} ms), "
            f"SpamAssassin {1000 / statistics.median(theirs):.3f} ms"
        )
    else:
        print("  SpamAssassin: not installed, skipped")
    ratio_naive = [a / b for a, b in zip(ours, naive, strict=True)]
    print(f"  spamhdr / naive              {_spread(ratio_naive, '{:.1f}×')}  (target ≥ 3×)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of this benchmark process: {peak:.0f} MiB")


def _best_cold(ruleset: RuleSet, messages: Sequence[bytes], rounds: int = 2) -> float:
    best = float("inf")
    for _ in range(rounds):
        _cold(ruleset)
        best = min(best, _time_each(messages, partial(check_message, ruleset)))
    return best


def _scaling(files: list[Path], corpus: Path) -> None:
    messages = [f.read_bytes() for f in files]
    base_config = _load()
    print("\nscaling: rules (synthetic copies of the stock header rules)")
    baseline = None
    for factor in (1, 2, 4, 8):
        extra = synthetic_header_rules(base_config, factor - 1)
        start = time.perf_counter()
        ruleset = compile_ruleset(_load(extra))
        compiled = time.perf_counter() - start
        count = sum(len(g) for b in ruleset.header_tests.values() for _, g in b)
        per_message = 1000 * _best_cold(ruleset, messages) / len(messages)
        baseline = baseline or per_message
        print(
            f"  rules ×{factor}: {count:5d} header tests, compile {compiled:5.1f} s, "
            f"{per_message:.3f} ms/message (×{per_message / baseline:.2f}; target ≤ ×3 at ×8)"
        )
    ruleset = compile_ruleset(base_config)
    # Distinct messages (a repeated one would find its values memoized): ×8 is the whole
    # corpus, ×1 an eighth of it, each an evenly spaced sample.
    everything = _sample(corpus, 10**9)
    base = max(1, len(everything) // 8)
    print(f"scaling: messages (distinct, evenly spaced samples of {base}×k corpus files)")
    first = None
    for factor in (1, 2, 4, 8):
        batch = [f.read_bytes() for f in _sample(corpus, base * factor)]
        _cold(ruleset)
        seconds = _time_each(batch, lambda d: check_message(ruleset, d))
        per_message = 1000 * seconds / len(batch)
        first = first or per_message
        print(
            f"  messages ×{factor}: {len(batch):6d} messages, {seconds:6.2f} s, "
            f"{per_message:.3f} ms/message (×{per_message / first:.2f}; linear = ×1.00)"
        )


def _rss(corpus: Path) -> None:
    print("\npeak RSS of `spamhdr check --json` (stock rules), child processes")
    for count in (1000, 4000):
        files = _sample(corpus, count)  # distinct messages (a repeat could hit a memo)
        with tempfile.TemporaryDirectory() as tmp:
            for i, path in enumerate(files):
                os.symlink(path, Path(tmp) / f"m{i:05d}")
            report = Path(tmp) / "peak-rss"
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks._peak_rss",
                    str(report),
                    "spamhdr",
                    "check",
                    "--json",
                    "--no-cache",  # the worst case: the databases are compiled in-process
                    "--rules",
                    str(RULES_DIR),
                    "--site",
                    str(SITE_DIR),
                    tmp,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=REPO,
                check=False,
            )
            peak = int(report.read_text()) / 1024 if report.exists() else float("nan")
            print(
                f"  {len(files):5d} messages: peak RSS {peak:.0f} MiB "
                f"(exit {proc.returncode}; target ≤ 150 MiB, flat)"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rule_throughput")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scaling", action="store_true", help="also run the scaling mode")
    parser.add_argument("--rss", action="store_true", help="also measure spamhdr check RSS")
    parser.add_argument("--only-extra", action="store_true", help="skip the main comparison")
    args = parser.parse_args(argv)
    files = _sample(args.corpus, args.messages)
    if not files:
        print(f"no messages under {args.corpus}", file=sys.stderr)
        return 2
    print(f"machine: {_machine()}")
    print(f"spamhdr build: {build_name()} (setup.py; SPAMHDR_PURE=1 installs pure Python)")
    if not args.only_extra:
        _throughput(files, args.repeat)
    if args.scaling:
        _scaling(files, args.corpus)
    if args.rss:
        _rss(args.corpus)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
