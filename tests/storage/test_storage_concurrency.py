"""Two real processes on one database: nothing claimed twice, nothing lost, nothing locked out.

Each child is started with `spawn` (a fresh interpreter, as a second worker would be) and
opens its own `Database` from the URL, so on PostgreSQL the URL's `search_path` is what
puts it in the test's schema. The children wait at a barrier so that their work overlaps.
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest
from sqlalchemy import text

from storage.db import Database
from storage.events import claim_event
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import Learner

PROCESSES = 2
CHILD_TIMEOUT_S = 120
EVENT_IDS = [f"Ev{number}" for number in range(200)]

Worker = Callable[[Database, Any], Any]


def run_in_processes(worker: Worker, url: str, argument: Any = None) -> list[Any]:
    """Run `worker(Database(url), argument)` in two spawned processes at once; their results."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES, timeout=CHILD_TIMEOUT_S)
    results = context.Queue()
    children = [
        context.Process(target=_child, args=(worker, url, argument, barrier, results))
        for _ in range(PROCESSES)
    ]
    for child in children:
        child.start()
    try:
        outcomes = [results.get(timeout=CHILD_TIMEOUT_S) for _ in children]
    except queue.Empty:
        pytest.fail(f"a child process gave no result within {CHILD_TIMEOUT_S} s")
    finally:
        _stop(children)
    failures = [detail for ok, detail in outcomes if not ok]
    assert not failures, "\n".join(failures)
    return [detail for _, detail in outcomes]


def _child(worker: Worker, url: str, argument: Any, barrier: Barrier, results: Any) -> None:
    database = Database(url)
    try:
        barrier.wait()
        results.put((True, worker(database, argument)))
    except BaseException:
        results.put((False, traceback.format_exc()))
    finally:
        database.dispose()


def _stop(children: list[Any]) -> None:
    for child in children:
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()
            child.join()


def add_learner(database: Database) -> int:
    now = datetime.now(UTC)
    with database.transaction() as session:
        learner = Learner(created_at=now, last_seen_at=now, attributes={"counter": "0"})
        session.add(learner)
    return learner.id


def read_counter(database: Database, learner_id: int) -> int:
    with database.transaction() as session:
        return int(session.get_one(Learner, learner_id).attributes["counter"])


def open_once(url: str) -> None:
    database = Database(url)
    with database.engine.connect():
        pass
    database.dispose()


# Workers: module-level functions, so that a spawned child can import them.


def claim_all(database: Database, event_ids: list[str]) -> list[str]:
    claimed = []
    for event_id in event_ids:
        with database.transaction() as session:
            if claim_event(session, "slack", event_id, datetime.now(UTC)):
                claimed.append(event_id)
    return claimed


def increment_counter(database: Database, job: tuple[int, int, bool]) -> None:
    """Read the learner's counter, then write it plus one, in one transaction, `times` times.

    Without `BEGIN IMMEDIATE` SQLite fails such transactions with "database is locked";
    without `FOR UPDATE` (`lock_row`) PostgreSQL loses increments.
    """
    learner_id, times, lock_row = job
    for _ in range(times):
        with database.transaction() as session:
            learner = session.get_one(Learner, learner_id, with_for_update=lock_row)
            counter = int(learner.attributes["counter"])
            learner.attributes = {**learner.attributes, "counter": str(counter + 1)}


def migrate(database: Database, _: None) -> str | None:
    upgrade(database)
    return current_revision(database)


def search_path_and_schema(database: Database, _: None) -> tuple[str, str]:
    with database.engine.connect() as connection:
        row = connection.execute(text("SELECT current_setting('search_path'), current_schema()")).one()
    return row[0], row[1]


# Tests.


def test_every_event_is_claimed_exactly_once(database_url: str, database: Database) -> None:
    claimed_by_each = run_in_processes(claim_all, database_url, EVENT_IDS)

    claims = Counter(event_id for claimed in claimed_by_each for event_id in claimed)
    assert sorted(claims) == sorted(EVENT_IDS)
    assert set(claims.values()) == {1}


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_read_then_write_transactions_queue_up_on_sqlite(database_url: str, database: Database) -> None:
    learner_id = add_learner(database)

    run_in_processes(increment_counter, database_url, (learner_id, 100, False))

    assert read_counter(database, learner_id) == 200


@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
def test_select_for_update_serialises_increments_on_postgresql(database_url: str, database: Database) -> None:
    learner_id = add_learner(database)

    run_in_processes(increment_counter, database_url, (learner_id, 50, True))

    assert read_counter(database, learner_id) == 100


def test_two_processes_migrating_a_new_database_at_once_both_succeed(empty_database_url: str) -> None:
    # Opened once first: two processes opening a brand-new SQLite file at the same moment can
    # fail in `storage.db` while switching it to WAL ("database is locked"), before any migration.
    open_once(empty_database_url)

    revisions = run_in_processes(migrate, empty_database_url)

    assert revisions == [head_revision()] * PROCESSES


@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
def test_the_url_puts_other_processes_in_the_test_schema(database_url: str, database: Database) -> None:
    with database.engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    assert schema.startswith("test_")

    assert run_in_processes(search_path_and_schema, database_url) == [(schema, schema)] * PROCESSES
