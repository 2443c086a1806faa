"""Corpus: every message of ../shared/corpus parses without an exception, and every message
whose header block carries an ``X-Spam*``, ``X-Spamd-*`` or ``X-Rspamd-*`` field yields at
least one report (issue 2, acceptance)."""

from __future__ import annotations

from pathlib import Path

from spamhdr.headers import parse_header_block
from spamhdr.report import parse_reports


def _messages(shared_dir: Path) -> list[Path]:
    root = shared_dir / "corpus"
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.parent != root  # skip MANIFEST/TSV
    )


def _carries_scanner_field(data: bytes) -> bool:
    names = (f.name.lower() for f in parse_header_block(data).fields)
    return any(n.startswith(("x-spam", "x-rspamd-")) for n in names)


def test_corpus_parses_and_tagged_messages_have_reports(shared_dir: Path) -> None:
    paths = _messages(shared_dir)
    assert len(paths) > 4000  # MANIFEST.md: 4989 messages
    tagged = 0
    missing: list[str] = []
    producers: dict[str, int] = {}
    for path in paths:
        data = path.read_bytes()
        reports = parse_reports(data)  # any exception fails the test
        for report in reports:
            producers[report.producer] = producers.get(report.producer, 0) + 1
        if _carries_scanner_field(data):
            tagged += 1
            if not reports:
                missing.append(str(path.relative_to(shared_dir)))
    assert missing == []
    # MANIFEST.md counts 328 messages with an X-Spam-* field; X-Spamd/X-Rspamd add a few
    assert tagged >= 300
    # the corpus has SpamAssassin (lore, sa-tdata) and rspamd (lfdr) blocks
    assert producers.get("spamassassin", 0) > 200
    assert producers.get("rspamd", 0) > 40
