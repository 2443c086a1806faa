"""Load time of the stock SpamAssassin configuration (issue 3: under 1 s on one core).

Run: ``python -m benchmarks.rules_load [RULES_DIR [SITE_DIR]]`` (default
``/usr/share/spamassassin`` and ``/etc/spamassassin``). Each measurement runs in a fresh
interpreter (the ``regex`` module caches compiled patterns per process, which would
flatter repeated in-process loads); we report the best of 5 cold loads for the normal load
(header regexes compiled, others validated and compiled on first use) and for ``--lint``
mode (every regex compiled, as ``spamhdr lint`` does).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_CHILD = """
import sys, time
t0 = time.perf_counter()
from spamhdr.rules import RulePaths, load_config
from pathlib import Path
t1 = time.perf_counter()
paths = RulePaths((Path(sys.argv[1]),), Path(sys.argv[2]), None)
config = load_config(paths, lint=sys.argv[3] == "1")
t2 = time.perf_counter()
print(f"{t1 - t0:.4f} {t2 - t1:.4f} {len(config.rules)} {len(config.errors)}")
"""


def _lines(*dirs: Path) -> int:
    total = 0
    for directory in dirs:
        for path in sorted(directory.glob("*.cf")) + sorted(directory.glob("*.pre")):
            total += len(path.read_bytes().split(b"\n"))
    return total


def measure(rules: Path, site: Path, lint: bool, runs: int = 5) -> tuple[float, float, int]:
    best = float("inf")
    imports = 0.0
    count = 0
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(rules), str(site), "1" if lint else "0"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        imports, load, count = float(out[0]), float(out[1]), int(out[2])
        best = min(best, load)
    return best, imports, count


def main() -> None:
    rules = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/usr/share/spamassassin")
    site = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/etc/spamassassin")
    print(f"configuration: {rules} + {site} ({_lines(rules, site)} lines)")
    for lint in (False, True):
        best, imports, count = measure(rules, site, lint)
        mode = "lint" if lint else "load"
        print(f"{mode}: best of 5 cold runs {best:.3f} s ({count} rules; import {imports:.3f} s)")


if __name__ == "__main__":
    main()
