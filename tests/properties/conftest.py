"""Fixtures for the property tests: SQLite only (the doors, not the backends, are under test),
the bundled content loaded once, and an engine on each test's fresh database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.engine import Engine
from storage.db import Database
from tests.properties.watch import fresh_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def bundled_content() -> ContentPack:
    return load_content([ROOT / "content"])


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    with fresh_database(tmp_path) as database:
        yield database


@pytest.fixture
def engine(bundled_content: ContentPack, sqlite_database: Database) -> Engine:
    return Engine(bundled_content, sqlite_database)
