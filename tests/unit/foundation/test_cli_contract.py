"""The CLI contract every command shares: exit codes, no tracebacks, README == CI."""

from __future__ import annotations

import io
from pathlib import Path

from spamhdr.cli import main
from spamhdr.errors import EXIT_USAGE


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def test_no_command_is_a_usage_error() -> None:
    status, _, err = run()
    assert status == EXIT_USAGE
    assert "usage" in err.lower()


def test_unknown_option_is_a_usage_error_without_traceback() -> None:
    status, _, err = run("--no-such-option")
    assert status == EXIT_USAGE
    assert "Traceback" not in err
    assert err.startswith("spamhdr: error:")


def test_help_exits_zero() -> None:
    status, _, _ = run("--help")
    assert status == 0


def _readme_blocks(readme: str) -> list[str]:
    blocks, inside, current = [], False, []
    for line in readme.splitlines():
        if line.startswith("```"):
            if inside:
                blocks.append("\n".join(current).strip())
                current = []
            inside = not inside
        elif inside:
            current.append(line)
    return blocks


def test_ci_runs_the_readme_test_command(repo_dir: Path) -> None:
    readme = (repo_dir / "README.md").read_text()
    ci = (repo_dir / ".ci" / "run").read_text()
    blocks = _readme_blocks(readme)
    test_commands = [b for b in blocks if "pytest" in b]
    assert test_commands, "README must show the test command in a code block"
    assert test_commands[0] in ci.splitlines()


def test_readme_example_exists(repo_dir: Path) -> None:
    readme = (repo_dir / "README.md").read_text()
    install = next(b for b in _readme_blocks(readme) if "spamhdr explain" in b)
    example = install.split("spamhdr explain", 1)[1].split()[0]
    assert (repo_dir / example).is_file(), f"README runs {example}, which is missing"
