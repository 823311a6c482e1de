"""`InboxWorker`: an entry stored by a live process is worked once, by that process.

The keeper that takes over dead processes' entries also lists this process's own claims
(a lane that stopped on a database error leaves them behind). Under load its answer can
reach the event loop in the same breath as a store's: the store has claimed the new
entry, but `receive` has not yet opened the learner's lane. The keeper must not take
that entry over, or it is worked twice, the first time as if its process had died.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from bot.adapters.database_work import DatabaseWork
from bot.adapters.inbox_worker import InboxWorker
from storage.db import Database
from storage.inbox import Arrival, Entry
from storage.migrate import upgrade


def _nothing_to_save(_session: Session, _saved: Sequence[None]) -> None:
    """The test's entries leave nothing to save."""


def test_an_entry_just_stored_is_not_taken_over_by_its_own_process(tmp_path: Path) -> None:
    # SQLite: its one database thread runs what waits for it in order, in one batch, which
    # is what lets the store and the keeper's pass be made to answer together.
    database = Database(f"sqlite:///{tmp_path}/inbox.db")
    try:
        upgrade(database)
        asyncio.run(_an_entry_just_stored_is_not_taken_over(database))
    finally:
        database.dispose()


async def _an_entry_just_stored_is_not_taken_over(database: Database) -> None:
    threads = DatabaseWork(database, name="test")
    worked: list[tuple[str, int]] = []

    async def work(entry: Entry) -> None:
        worked.append((entry.event_id, entry.attempts))

    inbox: InboxWorker[None] = InboxWorker(threads, "telegram", work, _nothing_to_save)
    arrival = Arrival("telegram", "1001", "42", "update", "{}", datetime.now(UTC))
    gate = threading.Event()
    try:
        held = asyncio.create_task(threads.run(gate.wait, 10))
        await asyncio.sleep(0.05)  # the database thread is busy: what follows queues
        receiving = asyncio.create_task(inbox.receive(arrival))
        await asyncio.sleep(0.05)  # the store waits first in line
        inbox.start()
        await asyncio.sleep(0.05)  # the keeper's first pass waits behind it
        _let_both_commit_before_the_loop_hears(gate)
        assert await receiving
        await held
        await inbox.close()
    finally:
        threads.close()
    assert worked == [("1001", 1)]


def _let_both_commit_before_the_loop_hears(gate: threading.Event) -> None:
    """Free the database thread, and hold the event loop while it runs the store and the
    keeper's pass, so their answers are waiting together when the loop goes on."""
    gate.set()
    time.sleep(0.5)
