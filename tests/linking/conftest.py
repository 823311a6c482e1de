"""The bundled content with an engine that signs links, on each test's fresh database."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.engine import Engine
from storage.db import Database
from tests.linking.records import SECRET

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def bundled_content() -> ContentPack:
    return load_content([ROOT / "content"])


@pytest.fixture
def engine(bundled_content: ContentPack, database: Database) -> Engine:
    return Engine(bundled_content, database, link_secret=SECRET)
