"""The clock the delivery tests move, and the engine, sweep and outbox of one process on
the content of `tests/delivery/proactive/` (a test module may override `engine`)."""

from __future__ import annotations

import pytest

from bot.adapters.database_work import DatabaseWork
from bot.content.model import ContentPack
from bot.engine import Engine
from storage.db import Database
from tests.delivery.proactive_chat import World, proactive_content
from tests.engine.chat import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def proactive_pack() -> ContentPack:
    return proactive_content()


@pytest.fixture
def engine(proactive_pack: ContentPack, database: Database, clock: Clock) -> Engine:
    return Engine(proactive_pack, database, clock=clock)


@pytest.fixture
def world(engine: Engine, database_work: DatabaseWork, clock: Clock) -> World:
    return World(engine, database_work, clock)
