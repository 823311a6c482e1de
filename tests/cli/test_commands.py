"""The `lessonloop` commands as an author or operator runs them: output and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "tests" / "content" / "broken"


def lessonloop(
    *arguments: str, cwd: Path, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(environment or {})},
        timeout=60,
        check=False,
    )


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = lessonloop("--help", cwd=tmp_path)

    assert result.returncode == 0
    for line in (
        "validate  check content files and report every problem",
        "chat      talk to the bot in this terminal",
        "serve     serve learners on every configured platform",
        "run       serve learners on one chat platform",
        "db        manage the database",
    ):
        assert line in result.stdout


def test_validate_passes_the_shipped_content(tmp_path: Path) -> None:
    result = lessonloop("validate", str(ROOT / "content"), cwd=tmp_path)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.endswith("files checked, no problems\n")


def test_validate_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    result = lessonloop("validate", "broken/goto-nowhere.yaml", "broken/empty.yaml", cwd=BROKEN.parent)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("broken/empty.yaml:1:1: ")
    assert lines[1].startswith("broken/goto-nowhere.yaml:")
    assert "points nowhere" in lines[1]
    assert lines[2] == "2 problems in 2 files"
    assert result.stderr == ""


def test_validate_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = lessonloop("validate", "nowhere", cwd=tmp_path)

    assert (result.returncode, result.stderr) == (2, "lessonloop: no such file or folder: nowhere\n")


def test_db_upgrade_creates_the_default_sqlite_database_in_the_working_directory(tmp_path: Path) -> None:
    result = lessonloop("db", "upgrade", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "database created: sqlite:///lessonloop.db\n"
    assert (tmp_path / "lessonloop.db").is_file()
    again = lessonloop("db", "upgrade", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "database is up to date: sqlite:///lessonloop.db\n")
