"""What every property test of an inbound door watches, and how it runs.

- `PROPERTY_SETTINGS`: reproducible runs (derandomized, no example database), no deadline
  (a shared 2-core machine makes timings noisy; the loader has its own hard time budget).
- `Tracebacks`: every log record carrying a traceback, at any level, from any logger, while
  the block runs. Levels are lowered to DEBUG for the duration so nothing is filtered out.
- `snapshot` / `changes`: the rows that make up learners' state, before and after a request.
- `Served`: an async context manager (the real adapter and its fakes) kept running on an
  event loop in a thread of its own, so Hypothesis can drive it from the test's thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import traceback
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from storage.db import Database
from storage.migrate import upgrade

T = TypeVar("T")
World = TypeVar("World")

PROPERTY_SETTINGS = settings(
    deadline=None,
    database=None,
    derandomize=True,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)


def for_all(inputs: st.SearchStrategy[T], check: Callable[[T], None], *, examples: int) -> None:
    """`check` every input Hypothesis draws from `inputs`, `examples` of them; a failure
    shows the shrunk input as `Falsifying example: each_input(sent=...)`."""

    @settings(PROPERTY_SETTINGS, max_examples=examples)
    @given(sent=inputs)
    def each_input(sent: T) -> None:
        check(sent)

    root = logging.getLogger()
    others = [handler for handler in root.handlers if not isinstance(handler, Tracebacks)]
    for handler in others:  # pytest's, added for this test's call: its replays would flood them
        root.removeHandler(handler)
    try:
        each_input()
    finally:
        for handler in others:
            root.addHandler(handler)


LEARNER_STATE_TABLES = (
    "learners",
    "learner_identities",
    "enrolments",
    "quiz_attempts",
    "quiz_answers",
    "survey_responses",
    "survey_answers",
    "faq_questions",
    "handoffs",
    "learner_messages",
    "platform_messages",
)
"""Where a learner's state lives: who they are, their place in the conversation (JSON on
the learner row), courses, answers, questions, hand-offs and messages queued for them, and
the messages on screen whose buttons still count."""

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(database: Database) -> Snapshot:
    with database.transaction() as session:
        return {
            table: [tuple(row) for row in session.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
            for table in LEARNER_STATE_TABLES
        }


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """What differs, table by table, as rows removed (-) and added (+); [] when nothing does."""
    found = []
    for table in LEARNER_STATE_TABLES:
        old, new = before[table], after[table]
        if old != new:
            removed = [row for row in old if row not in new]
            added = [row for row in new if row not in old]
            lines = [f"- {_short(row)}" for row in removed[:3]] + [f"+ {_short(row)}" for row in added[:3]]
            found.append(f"{table}:\n    " + "\n    ".join(lines))
    return found


def _short(value: object, limit: int = 400) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + f"... ({len(shown)} characters)"


def shown(value: object, limit: int = 1500) -> str:
    """A value for a failure message, cut to a readable length."""
    return _short(value, limit)


class Tracebacks(logging.Handler):
    """Collects the log records that carry an exception or a stack; a failure message
    shows those of its own example."""

    def __init__(self) -> None:
        super().__init__(level=1)
        self.records: list[logging.LogRecord] = []
        self._lock_records = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if (record.exc_info and record.exc_info[0] is not None) or record.stack_info:
            with self._lock_records:
                self.records.append(record)

    def take(self) -> list[str]:
        """The tracebacks logged since the last call, one readable paragraph each."""
        with self._lock_records:
            taken, self.records = self.records, []
        return [_describe(record) for record in taken]


def _describe(record: logging.LogRecord) -> str:
    lines = [f"{record.levelname} {record.name}: {record.getMessage()}"]
    if record.exc_info and record.exc_info[1] is not None:
        lines += traceback.format_exception(record.exc_info[1])[-6:]
    if record.stack_info:
        lines.append(record.stack_info[-1000:])
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip()


@contextmanager
def watching_tracebacks() -> Iterator[Tracebacks]:
    """Every logger lets everything through to a `Tracebacks` on the root, for the block.

    SQLAlchemy's loggers keep their levels: below WARNING they echo every statement, and
    what they log with a traceback (a pool that cannot reset a connection) is at ERROR."""
    root = logging.getLogger()
    handler = Tracebacks()
    loggers = [root] + [
        logger
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger) and not name.startswith("sqlalchemy")
    ]
    levels = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        if logger is root or logger.level != logging.NOTSET:
            logger.setLevel(logging.DEBUG)
        logger.disabled = False
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger, level, disabled in levels:
            logger.setLevel(level)
            logger.disabled = disabled


class Served:
    """An event loop in a thread, holding `world` (an async context manager) open; `run`
    runs a coroutine there and waits for it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="property-loop", daemon=True)
        self._thread.start()

    def run(self, work: Awaitable[T], timeout: float = 60) -> T:
        async def wrapped() -> T:
            return await work

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout)

    def call(self, work: Callable[[], T]) -> T:
        """`work()` on the loop's thread (for state that belongs to the loop)."""

        async def wrapped() -> T:
            return work()

        return self.run(wrapped())

    @contextmanager
    def holding(self, world: AbstractAsyncContextManager[World]) -> Iterator[World]:
        """Enter `world` in one task on the loop, yield what it gives, and exit it in that same task."""
        ready: concurrent.futures.Future[World] = concurrent.futures.Future()
        stop = asyncio.Event()

        async def hold() -> None:
            try:
                async with world as entered:
                    ready.set_result(entered)
                    await stop.wait()
            except BaseException as error:
                if not ready.done():
                    ready.set_exception(error)
                raise

        held = asyncio.run_coroutine_threadsafe(hold(), self.loop)
        entered = ready.result(timeout=60)
        try:
            yield entered
        finally:
            self.loop.call_soon_threadsafe(stop.set)
            held.result(timeout=60)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@contextmanager
def served() -> Iterator[Served]:
    loop = Served()
    try:
        yield loop
    finally:
        loop.close()


@contextmanager
def fresh_database(folder: Path) -> Iterator[Database]:
    """A fresh SQLite database in `folder`, migrated with the code production runs."""
    database = Database(f"sqlite:///{folder}/lessonloop.db")
    try:
        upgrade(database)
        yield database
    finally:
        database.dispose()
