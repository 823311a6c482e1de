"""A report reads in `Database.reading`: on SQLite a deferred transaction, so a long report
(the dashboard's, inside `serve`) does not hold the write lock the bot's own writes wait
for, as every `transaction` (BEGIN IMMEDIATE) does."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Learner
from tests.metrics.hand_built import learner

FIRST_CONTACT = datetime(2026, 11, 2, tzinfo=UTC)


def test_the_bot_writes_while_a_report_is_reading(database: Database) -> None:
    with database.transaction() as session:
        learner(session, "Ann", FIRST_CONTACT)

    with database.reading() as report:
        assert report.scalar(select(func.count()).select_from(Learner)) == 1
        started = time.monotonic()
        with database.transaction() as bot:  # another connection, on this same thread
            learner(bot, "Bo", FIRST_CONTACT)
        waited = time.monotonic() - started
        # The report's snapshot is the one it began with.
        assert report.scalar(select(func.count()).select_from(Learner)) == 1

    assert waited < 1.0
    with database.reading() as later:
        assert later.scalar(select(func.count()).select_from(Learner)) == 2
