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
        "run       serve learners on a chat platform",
        "db        manage the database",
    ):
        assert line in result.stdout


def test_validate_passes_the_shipped_content(tmp_path: Path) -> None:
    result = lessonloop("validate", str(ROOT / "content"), cwd=tmp_path)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.endswith("file(s) checked, no problems\n")


def test_validate_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    result = lessonloop("validate", "broken/goto-nowhere.yaml", "broken/empty.yaml", cwd=BROKEN.parent)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("broken/empty.yaml:1:1: ")
    assert lines[1].startswith("broken/goto-nowhere.yaml:")
    assert "points nowhere" in lines[1]
    assert lines[2] == "2 problem(s) in 2 file(s)"
    assert result.stderr == ""


def test_validate_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = lessonloop("validate", "nowhere", cwd=tmp_path)

    assert (result.returncode, result.stderr) == (2, "lessonloop: no such file or folder: nowhere\n")


def test_db_upgrade_creates_the_default_sqlite_database_in_the_working_directory(tmp_path: Path) -> None:
    result = lessonloop("db", "upgrade", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "database is up to date: sqlite:///lessonloop.db\n"
    assert (tmp_path / "lessonloop.db").is_file()
    assert lessonloop("db", "upgrade", cwd=tmp_path).returncode == 0


def test_chat_on_a_database_that_was_never_migrated_says_what_to_do(tmp_path: Path) -> None:
    result = lessonloop("chat", cwd=tmp_path, environment={"LESSONLOOP_CONTENT_DIR": str(ROOT / "content")})

    assert result.returncode == 1
    assert result.stderr == "lessonloop: the database is not set up yet: run `lessonloop db upgrade`\n"


def test_chat_refuses_broken_content_and_says_where(tmp_path: Path) -> None:
    lessonloop("db", "upgrade", cwd=tmp_path)
    result = lessonloop("chat", cwd=tmp_path, environment={"LESSONLOOP_CONTENT_DIR": str(BROKEN)})

    assert result.returncode == 1
    assert "goto-nowhere.yaml:" in result.stderr
    assert result.stderr.endswith("lessonloop: the content has problems; fix them and try again\n")


def test_a_bad_config_file_is_reported_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "lessonloop.toml").write_text('[lessonloop]\ndatabse_url = "sqlite://"\n')

    result = lessonloop("db", "upgrade", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.startswith("lessonloop: ")
    assert "unknown setting(s) databse_url" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_says_what_the_platform_lacks_before_loading_anything(tmp_path: Path) -> None:
    """A missing token is reported first: not after the content and the FAQ model were
    loaded, nor hidden behind a database that is not set up yet."""
    unset = {name: "" for name in os.environ if name.startswith(("TELEGRAM_", "SLACK_"))}
    environment = {**unset, "LESSONLOOP_DATABASE_URL": f"sqlite:///{tmp_path}/never-migrated.db"}

    telegram = lessonloop("run", "telegram", cwd=tmp_path, environment=environment)
    slack = lessonloop("run", "slack", "--http", cwd=tmp_path, environment=environment)

    assert telegram.returncode == 2
    assert telegram.stderr.startswith(
        "lessonloop: TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather"
    )
    assert slack.returncode == 2
    assert slack.stderr == (
        "lessonloop: missing SLACK_BOT_TOKEN (OAuth & Permissions → Bot User OAuth Token, xoxb-...); "
        "SLACK_SIGNING_SECRET (Basic Information → Signing Secret)\n"
    )
    assert not (tmp_path / "never-migrated.db").exists()
