"""Run ``python -m <module> [args]`` in this process and report its own peak RSS.

Usage: ``python -m benchmarks._peak_rss <report-file> <module> [args...]``.

Why not the parent's ``wait4`` rusage: Linux carries the resident-set high-water mark of
the memory image a process had *before* ``exec`` into its ``ru_maxrss``, and Python starts
children with ``vfork`` (the parent's image), so a child of a large benchmark process
reports the parent's peak. ``VmHWM`` in ``/proc/self/status`` belongs to the current
image only; it is written to ``<report-file>`` in KiB when the module exits (``ru_maxrss``
where ``/proc`` is missing).
"""

from __future__ import annotations

import atexit
import resource
import runpy
import sys
from pathlib import Path


def _peak_kib() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    report, module, *args = sys.argv[1:]
    atexit.register(lambda: Path(report).write_text(str(_peak_kib())))
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
