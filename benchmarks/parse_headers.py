"""Benchmark: report parsing on the shared corpus, one core.

Run: ``python -m benchmarks.parse_headers [CORPUS_DIR] [--seconds N]``

Prints three rates:

* ``X-Spam-Status`` values per second — each value parsed alone as a one-field header
  block (tokenizing, producer signature, SA/amavis/rspamd parsing, findings); the issue's
  target is at least 20,000/s;
* header blocks per second — ``parse_reports`` on already split header blocks of the
  corpus messages that carry scanner fields (attribution of all blocks included);
* whole messages per second — ``parse_reports`` on the raw message bytes (header
  reading, body-report search included).

Each rate is the best of several rounds of at least ``--seconds`` (default 1) of work.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from spamhdr.headers import parse_header_block, split_message
from spamhdr.report import parse_reports

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def _load(corpus: Path) -> tuple[list[bytes], list[bytes], list[bytes]]:
    statuses: list[bytes] = []
    heads: list[bytes] = []
    messages: list[bytes] = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file() and p.parent != corpus):
        data = path.read_bytes()
        block = parse_header_block(data)
        names = [f.name.lower() for f in block.fields]
        if not any(n.startswith(("x-spam", "x-rspamd-")) for n in names):
            continue
        messages.append(data)
        heads.append(split_message(data)[0])
        for field in block.get_all("X-Spam-Status"):
            statuses.append(b"X-Spam-Status: " + field.raw + b"\n")
    return statuses, heads, messages


def _rate(items: list[bytes], work: Callable[[bytes], object], seconds: float) -> float:
    best = 0.0
    for _ in range(3):
        done = 0
        start = time.perf_counter()
        while True:
            for item in items:
                work(item)
            done += len(items)
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        best = max(best, done / elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    statuses, heads, messages = _load(args.corpus)
    print(
        f"corpus: {args.corpus} ({len(messages)} messages with scanner fields, "
        f"{len(statuses)} X-Spam-Status values)"
    )
    rate = _rate(statuses, parse_reports, args.seconds)
    print(f"X-Spam-Status values/s: {rate:,.0f}  (target >= 20,000)")
    print(f"header blocks/s:        {_rate(heads, parse_reports, args.seconds):,.0f}")
    print(f"whole messages/s:       {_rate(messages, parse_reports, args.seconds):,.0f}")


if __name__ == "__main__":
    main()
