"""Where the adapters' blocking database work runs: off the event loop, and on SQLite in
one thread that commits whatever is queued together.

The engine's transaction, the inbox, the remembered prompts and polls and the polling
offset are blocking SQLAlchemy calls, so they run in worker threads. Spread over a pool,
on SQLite those threads only queue for the database's one write lock, and a writer that
finds it taken sleeps in SQLite's busy handler well past the moment it is free again.
SQLite therefore gets one thread, and it runs the jobs waiting for it in one
`Database.batch`: each job's transactions become savepoints, and one commit (whose WAL
writing costs more than a small transaction's statements) makes them all permanent.
Nobody waits for a batch to fill: a job queued while the database is idle starts at once,
and jobs queued while a batch runs join it, up to `MAX_BATCH` jobs or `MAX_BATCH_S` of work. A job's result
is handed back only after its batch is committed, so "stored" still means stored.
PostgreSQL, which locks a learner's row rather than the database, runs transactions side
by side on several threads instead.

`urgent` work (what an acknowledgement to the platform waits for) goes to the front of the
queue, so it never waits behind more than the batch already running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, ParamSpec, TypeVar

from storage.db import Database

log = logging.getLogger(__name__)

POSTGRESQL_THREADS = 8
"""Transactions in flight at once on PostgreSQL (the pool's default size is 5 + 10 overflow)."""
POSTGRESQL_URGENT_THREADS = 2
MAX_BATCH = 64
MAX_BATCH_S = 0.02
"""Jobs, and seconds of work, per SQLite commit at most: they bound how long the write lock
is held (other processes on the file wait for it) and how long the first job of a batch
waits for its answer."""

P = ParamSpec("P")
T = TypeVar("T")


class DatabaseWork:
    def __init__(self, database: Database, *, name: str) -> None:
        self.database = database
        self._committer: _GroupCommitter | None = None
        self._pools: tuple[ThreadPoolExecutor, ThreadPoolExecutor] | None = None
        if database.is_sqlite:
            self._committer = _GroupCommitter(database, name)
        else:
            self._pools = (
                ThreadPoolExecutor(POSTGRESQL_THREADS, thread_name_prefix=f"{name}-db"),
                ThreadPoolExecutor(POSTGRESQL_URGENT_THREADS, thread_name_prefix=f"{name}-db-urgent"),
            )

    async def run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(*args, **kwargs)` in a database thread, awaited until it is committed."""
        return await self._submit(partial(work, *args, **kwargs), urgent=False)

    async def run_urgent(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`run`, ahead of the work already waiting."""
        return await self._submit(partial(work, *args, **kwargs), urgent=True)

    async def _submit(self, work: Callable[[], T], *, urgent: bool) -> T:
        loop = asyncio.get_running_loop()
        if self._pools is not None:
            return await loop.run_in_executor(self._pools[1 if urgent else 0], work)
        assert self._committer is not None
        future: asyncio.Future[T] = loop.create_future()
        self._committer.submit(_Job(work, loop, future), urgent=urgent)
        return await future

    def close(self) -> None:
        """Finish what was queued, then stop the threads."""
        if self._committer is not None:
            self._committer.stop()
        if self._pools is not None:
            for pool in self._pools:
                pool.shutdown(wait=True)


@dataclass
class _Job:
    work: Callable[[], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


_Outcome = tuple[_Job, Any, BaseException | None]


class _GroupCommitter(threading.Thread):
    """The one SQLite thread: runs the jobs waiting (urgent first) in one batch, until
    none is left or the batch is full, and answers them once it is committed."""

    def __init__(self, database: Database, name: str) -> None:
        super().__init__(name=f"{name}-db", daemon=True)
        self._database = database
        self._waiting = threading.Condition()
        self._urgent: deque[_Job] = deque()
        self._normal: deque[_Job] = deque()
        self._stopping = False
        self.start()

    def submit(self, job: _Job, *, urgent: bool) -> None:
        with self._waiting:
            if self._stopping:
                raise RuntimeError("the database thread has stopped")
            (self._urgent if urgent else self._normal).append(job)
            self._waiting.notify()

    def stop(self) -> None:
        with self._waiting:
            self._stopping = True
            self._waiting.notify()
        self.join()

    def run(self) -> None:
        while True:
            with self._waiting:
                while not self._urgent and not self._normal and not self._stopping:
                    self._waiting.wait()
            first = self._take()
            if first is None:  # stopping, and nothing left
                return
            _answer(self._run_batch(first))

    def _take(self) -> _Job | None:
        with self._waiting:
            if self._urgent:
                return self._urgent.popleft()
            return self._normal.popleft() if self._normal else None

    def _run_batch(self, first: _Job) -> list[_Outcome]:
        """`first`, then whatever is waiting, up to `MAX_BATCH` jobs or `MAX_BATCH_S` of
        work (jobs queued meanwhile join too), then one commit."""
        outcomes: list[_Outcome] = []
        started = time.monotonic()
        job: _Job | None = first
        try:
            with self._database.batch():
                while job is not None:
                    try:
                        outcomes.append((job, job.work(), None))
                    except BaseException as error:  # that job's savepoint is undone; the rest stand
                        outcomes.append((job, None, error))
                    full = len(outcomes) >= MAX_BATCH or time.monotonic() - started >= MAX_BATCH_S
                    job = None if full else self._take()
        except Exception as error:  # the batch could not begin or commit: none of it was kept
            log.warning("a batch of database work failed to commit: %s", error)
            return [(done, None, error) for done, _result, _error in outcomes] or [(first, None, error)]
        return outcomes


def _answer(outcomes: list[_Outcome]) -> None:
    """Hand every result to its event loop, with one wake-up per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, theirs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits any more
            loop.call_soon_threadsafe(_settle, theirs)


def _settle(outcomes: list[_Outcome]) -> None:
    for job, result, error in outcomes:
        if job.future.done():  # the caller stopped waiting
            continue
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)
