"""Where the Telegram adapter's blocking database work runs: off the event loop, and on
SQLite in one thread.

The engine's transaction, the remembered prompts and polls and the polling offset are
blocking SQLAlchemy calls, so they run in worker threads. Spread over asyncio's default
pool, on SQLite those threads only queued for the database's one write lock, and a writer
that finds it taken sleeps in SQLite's busy handler (1, 2, 5, 10 ms...) well past the
moment it is free again. SQLite therefore gets one thread that runs the transactions back
to back; PostgreSQL, which locks a learner's row rather than the database, keeps several.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

from storage.db import Database

POSTGRESQL_THREADS = 8
"""Transactions in flight at once on PostgreSQL (the pool's default size is 5 + 10 overflow)."""

P = ParamSpec("P")
T = TypeVar("T")


class DatabaseThreads:
    def __init__(self, database: Database) -> None:
        self.database = database
        workers = 1 if database.is_sqlite else POSTGRESQL_THREADS
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="telegram-db")

    async def run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(*args, **kwargs)` in a database thread, awaited."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(work, *args, **kwargs))

    def close(self) -> None:
        """Finish what was queued, then stop the threads."""
        self._executor.shutdown(wait=True)
