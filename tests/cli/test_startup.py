"""Starting `lessonloop chat`, `run telegram` or `run slack`: on SQLite the database is
created or upgraded right there, a read-only one is refused before any event could fail on
it; on PostgreSQL a schema that is not up to date is refused with the command to run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.phrases import phrase
from storage.db import Database
from storage.migrate import current_revision, head_revision, upgrade

ROOT = Path(__file__).resolve().parents[2]
CONTENT = {"LESSONLOOP_CONTENT_DIR": str(ROOT / "content")}
PLATFORM_TOKENS = {
    "TELEGRAM_BOT_TOKEN": "7000001:AAH-fake-token-for-lessonloop-tests_0123",
    "SLACK_BOT_TOKEN": "xoxb-fake-bot-token-0001",
    "SLACK_APP_TOKEN": "xapp-fake-app-token-0001",
}
SERVING = [("chat",), ("run", "telegram"), ("run", "slack")]


def lessonloop(
    *arguments: str, cwd: Path, environment: dict[str, str] | None = None, typed: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        cwd=cwd,
        input=typed,
        capture_output=True,
        text=True,
        env={**os.environ, **CONTENT, **(environment or {})},
        timeout=60,
        check=False,
    )


def migrated(url: str, revision: str = "head") -> None:
    database = Database(url)
    try:
        upgrade(database, revision)
    finally:
        database.dispose()


def test_chat_in_an_empty_folder_creates_the_database_and_starts_the_conversation(tmp_path: Path) -> None:
    first = lessonloop("chat", "--learner", "Ann", cwd=tmp_path, typed="help\n")

    assert (first.returncode, first.stderr) == (0, "lessonloop: database created: sqlite:///lessonloop.db\n")
    assert first.stdout.startswith("Hi Ann! I teach short lessons right here in chat")
    assert phrase("help", "en") in first.stdout

    again = lessonloop("chat", "--learner", "Ann", cwd=tmp_path, typed="progress\n")
    assert (again.returncode, again.stderr) == (0, "")


def test_an_old_database_is_upgraded_at_start_on_sqlite_and_refused_on_postgresql(
    empty_database_url: str, tmp_path: Path
) -> None:
    migrated(empty_database_url, "0004")
    shown = Database(empty_database_url)
    shown.dispose()
    url = shown.url.render_as_string(hide_password=True)

    result = lessonloop(
        "chat", cwd=tmp_path, typed="help\n", environment={"LESSONLOOP_DATABASE_URL": empty_database_url}
    )

    if shown.is_sqlite:
        assert (result.returncode, result.stderr) == (
            0,
            f"lessonloop: database upgraded from 0004 to 0006: {url}\n",
        )
        assert phrase("help", "en") in result.stdout
        assert current_revision(shown) == head_revision()
    else:
        assert (result.returncode, result.stdout, result.stderr) == (
            1,
            "",
            "lessonloop: the database is at revision 0004 and this lessonloop needs 0006: "
            "run `lessonloop db upgrade`\n",
        )


@pytest.mark.parametrize("command", SERVING, ids=" ".join)
def test_a_postgresql_schema_never_migrated_is_refused_with_the_command_to_run(
    command: tuple[str, ...], empty_database_url: str, tmp_path: Path
) -> None:
    if empty_database_url.startswith("sqlite"):
        pytest.skip("SQLite is created at start (see above)")

    result = lessonloop(
        *command, cwd=tmp_path, environment={**PLATFORM_TOKENS, "LESSONLOOP_DATABASE_URL": empty_database_url}
    )

    assert (result.returncode, result.stderr) == (
        1,
        "lessonloop: the database is not set up yet: run `lessonloop db upgrade`\n",
    )


@pytest.mark.parametrize("command", SERVING, ids=" ".join)
def test_a_read_only_sqlite_database_is_refused_at_start(command: tuple[str, ...], tmp_path: Path) -> None:
    # Tests run as root, whom file permissions do not stop: `mode=ro` makes SQLite itself
    # refuse writes, as it does for a file it can only open for reading.
    path = tmp_path / "lessonloop.db"
    migrated(f"sqlite:///{path}")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"

    result = lessonloop(
        *command, cwd=tmp_path, environment={**PLATFORM_TOKENS, "LESSONLOOP_DATABASE_URL": read_only}
    )

    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"lessonloop: the database {path} is read-only (attempt to write a readonly database): "
        "Lessonloop records every event there; make the file and its folder writable\n",
    )


def test_a_read_only_database_that_is_not_in_wal_mode_yet_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "lessonloop.db"
    sqlite3.connect(path).close()  # an empty file, as another tool might have left it

    result = lessonloop(
        "chat",
        cwd=tmp_path,
        environment={"LESSONLOOP_DATABASE_URL": f"sqlite:///file:{path}?mode=ro&uri=true"},
    )

    assert (result.returncode, result.stderr) == (
        2,
        f"lessonloop: the database {path} is read-only (attempt to write a readonly database): "
        "Lessonloop records every event there; make the file and its folder writable\n",
    )
