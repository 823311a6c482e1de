"""`DatabaseWork`: the adapters' database jobs, grouped into shared commits on SQLite."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event

from bot.adapters.database_work import MAX_BATCH_S, DatabaseWork
from storage.db import Database
from storage.events import claim_event
from storage.migrate import upgrade
from tests.committed_rows import committed_event_ids

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class BrokenError(Exception):
    pass


def claim(database: Database, event_id: str) -> str:
    with database.transaction() as session:
        claim_event(session, "slack", event_id, NOW)
    return event_id


def fail(database: Database, event_id: str) -> str:
    with database.transaction() as session:
        claim_event(session, "slack", event_id, NOW)
        raise BrokenError(event_id)


def test_an_answer_comes_only_once_its_work_is_committed(database: Database) -> None:
    asyncio.run(_an_answer_comes_only_once_its_work_is_committed(database))


async def _an_answer_comes_only_once_its_work_is_committed(database: Database) -> None:
    work = DatabaseWork(database, name="test")
    try:
        assert await work.run(claim, database, "one") == "one"
        assert committed_event_ids(database) == ["one"]
    finally:
        work.close()


def test_a_failing_job_fails_alone(database: Database) -> None:
    asyncio.run(_a_failing_job_fails_alone(database))


async def _a_failing_job_fails_alone(database: Database) -> None:
    work = DatabaseWork(database, name="test")
    try:
        results = await asyncio.gather(
            work.run(claim, database, "before"),
            work.run(fail, database, "broken"),
            work.run(claim, database, "after"),
            return_exceptions=True,
        )
    finally:
        work.close()
    assert results[0] == "before"
    assert results[2] == "after"
    assert isinstance(results[1], BrokenError)
    assert committed_event_ids(database) == ["after", "before"]


class Gate:
    """A job that holds the database thread until the test opens it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()

    def __call__(self) -> str:
        self.entered.set()
        assert self.opened.wait(10)
        return "gate"


def test_no_job_of_a_batch_is_answered_before_the_batch_commits(tmp_path: Path) -> None:
    asyncio.run(_no_job_of_a_batch_is_answered_before_the_batch_commits(tmp_path))


async def _no_job_of_a_batch_is_answered_before_the_batch_commits(tmp_path: Path) -> None:
    """A job done while a later job of its batch still runs must not hear "done" yet: its
    row is not committed until the whole batch is."""
    database = _sqlite(tmp_path)
    work = DatabaseWork(database, name="test")
    try:
        first_gate, second_gate = Gate(), Gate()
        blocker = asyncio.ensure_future(work.run(first_gate))
        await asyncio.to_thread(first_gate.entered.wait, 10)
        claimed = asyncio.ensure_future(work.run(claim, database, "early"))
        late = asyncio.ensure_future(work.run(second_gate))
        await asyncio.sleep(0)
        first_gate.opened.set()
        await asyncio.to_thread(second_gate.entered.wait, 10)  # "early" ran; the batch is open
        done, _pending = await asyncio.wait([claimed], timeout=0.2)
        assert not done
        assert committed_event_ids(database) == []
        second_gate.opened.set()
        assert await claimed == "early"
        assert committed_event_ids(database) == ["early"]
        await asyncio.gather(blocker, late)
    finally:
        work.close()
        database.dispose()


def test_jobs_that_queue_while_a_batch_runs_join_it(tmp_path: Path) -> None:
    asyncio.run(_jobs_that_queue_while_a_batch_runs_join_it(tmp_path))


async def _jobs_that_queue_while_a_batch_runs_join_it(tmp_path: Path) -> None:
    database, commits = _counting_commits(tmp_path)
    work = DatabaseWork(database, name="test")
    try:
        gate = Gate()
        first = asyncio.ensure_future(work.run(gate))
        await asyncio.to_thread(gate.entered.wait, 10)
        queued = [asyncio.ensure_future(work.run(claim, database, f"e{number}")) for number in range(5)]
        await asyncio.sleep(0)  # let them reach the queue
        gate.opened.set()
        assert await first == "gate"
        assert await asyncio.gather(*queued) == [f"e{number}" for number in range(5)]
    finally:
        work.close()
        database.dispose()
    assert len(commits) == 1  # the five queued while the gate ran joined its batch
    assert committed_event_ids(database) == [f"e{number}" for number in range(5)]


def test_urgent_work_goes_ahead_of_the_work_waiting(tmp_path: Path) -> None:
    asyncio.run(_urgent_work_goes_ahead_of_the_work_waiting(tmp_path))


async def _urgent_work_goes_ahead_of_the_work_waiting(tmp_path: Path) -> None:
    database = _sqlite(tmp_path)
    order: list[str] = []
    work = DatabaseWork(database, name="test")
    try:
        gate = Gate()
        first = asyncio.ensure_future(work.run(gate))
        await asyncio.to_thread(gate.entered.wait, 10)
        jobs = [
            asyncio.ensure_future(work.run(order.append, "engine-1")),
            asyncio.ensure_future(work.run(order.append, "engine-2")),
            asyncio.ensure_future(work.run_urgent(order.append, "store")),
        ]
        await asyncio.sleep(0)
        gate.opened.set()
        await first
        await asyncio.gather(*jobs)
    finally:
        work.close()
        database.dispose()
    assert order == ["store", "engine-1", "engine-2"]


def test_closing_finishes_the_work_already_queued(database: Database) -> None:
    asyncio.run(_closing_finishes_the_work_already_queued(database))


async def _closing_finishes_the_work_already_queued(database: Database) -> None:
    work = DatabaseWork(database, name="test")
    jobs = [asyncio.ensure_future(work.run(claim, database, f"q{number}")) for number in range(3)]
    await asyncio.sleep(0)
    await asyncio.to_thread(work.close)
    assert await asyncio.gather(*jobs) == ["q0", "q1", "q2"]
    with pytest.raises(RuntimeError):
        await work.run(claim, database, "too late")


def _counting_commits(tmp_path: Path) -> tuple[Database, list[int]]:
    """A SQLite database, and a list that grows by one at each of its commits."""
    database = _sqlite(tmp_path)
    commits: list[int] = []
    event.listen(database.engine, "commit", lambda _connection: commits.append(1))
    return database, commits


def _sqlite(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path}/work.db")
    upgrade(database)
    return database


def test_a_batch_that_has_worked_long_enough_commits_before_taking_more(tmp_path: Path) -> None:
    asyncio.run(_a_batch_that_has_worked_long_enough_commits_before_taking_more(tmp_path))


async def _a_batch_that_has_worked_long_enough_commits_before_taking_more(tmp_path: Path) -> None:
    database, commits = _counting_commits(tmp_path)
    work = DatabaseWork(database, name="test")
    try:
        gate = Gate()

        def slow() -> str:
            gate()
            time.sleep(MAX_BATCH_S * 1.5)
            return claim(database, "slow")

        first = asyncio.ensure_future(work.run(slow))
        await asyncio.to_thread(gate.entered.wait, 10)
        queued = [asyncio.ensure_future(work.run(claim, database, f"e{number}")) for number in range(3)]
        await asyncio.sleep(0)
        gate.opened.set()
        assert await first == "slow"
        await asyncio.gather(*queued)
    finally:
        work.close()
        database.dispose()
    assert len(commits) == 2  # the slow job's batch closed after it; the three went together
