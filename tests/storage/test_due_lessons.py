"""The sweep that moves due lessons into the outbox to learners: what is due and reachable
is queued once, to where the learner is; two processes sweeping at once queue each lesson
once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, text, update

from storage.db import Database
from storage.due_lessons import _SWEEP, queue_due_lessons
from storage.models import Enrolment, Learner, LearnerIdentity, LearnerMessage
from tests.delivery.due_crowd import seed
from tests.storage.test_storage_concurrency import run_in_processes

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def learners_due(
    database: Database,
    count: int,
    *,
    due: datetime = NOW,
    subscribed: bool = True,
    platform: str = "telegram",
) -> list[int]:
    """`count` learners, each enrolled in `onboarding` with `welcome` done and `first-project` due."""
    with database.transaction() as session:
        connection = session.connection()
        learner_ids = []
        for _ in range(count):
            learner_id = connection.execute(
                insert(Learner).returning(Learner.id),
                {
                    "created_at": NOW,
                    "last_seen_at": NOW,
                    "subscribed": subscribed,
                    "attributes": {},
                    "answers": {},
                },
            ).scalar_one()
            learner_ids.append(learner_id)
        connection.execute(
            insert(LearnerIdentity),
            [
                {
                    "learner_id": learner_id,
                    "platform": platform,
                    "workspace": "",
                    "user_id": str(1000 + learner_id),
                    "conversation_id": str(1000 + learner_id),
                    "created_at": NOW,
                }
                for learner_id in learner_ids
            ],
        )
        connection.execute(
            insert(Enrolment),
            [
                {
                    "learner_id": learner_id,
                    "course_id": "onboarding",
                    "status": "active",
                    "lesson_id": "first-project",
                    "completed_lessons": ["welcome"],
                    "started_at": NOW - timedelta(days=1),
                    "last_activity_at": NOW - timedelta(days=1),
                    "next_due_at": due,
                }
                for learner_id in learner_ids
            ],
        )
    return learner_ids


def queued(database: Database) -> list[tuple[object, ...]]:
    with database.transaction() as session:
        rows = session.execute(
            select(
                LearnerMessage.learner_id,
                LearnerMessage.platform,
                LearnerMessage.conversation_id,
                LearnerMessage.kind,
                LearnerMessage.course_id,
                LearnerMessage.lesson_id,
            ).order_by(LearnerMessage.id)
        ).all()
    return [tuple(row) for row in rows]


def test_what_is_due_and_reachable_is_queued_once(database: Database) -> None:
    [due] = learners_due(database, 1)
    learners_due(database, 1, due=NOW + timedelta(minutes=1))  # not yet
    [stopped] = learners_due(database, 1, subscribed=False)
    [blocked] = learners_due(database, 1)
    with database.transaction() as session:
        session.get_one(Learner, blocked).unreachable_at = NOW - timedelta(days=2)

    with database.transaction() as session:
        assert queue_due_lessons(session, NOW) == 1
    with database.transaction() as session:
        assert queue_due_lessons(session, NOW) == 0  # a second tick queues nothing more

    assert queued(database) == [(due, "telegram", str(1000 + due), "lesson", "onboarding", "first-project")]
    with database.transaction() as session:
        waiting = {
            row.learner_id: row.next_due_at
            for row in session.execute(select(Enrolment.learner_id, Enrolment.next_due_at))
        }
    assert waiting[due] is None
    assert waiting[stopped] == NOW  # kept: the lesson is sent if they say `start` before it is stale
    assert waiting[blocked] == NOW


def test_a_sweep_goes_in_batches(database: Database) -> None:
    learners_due(database, 12)
    with database.transaction() as session:
        assert queue_due_lessons(session, NOW, limit=5) == 5
    with database.transaction() as session:
        assert queue_due_lessons(session, NOW, limit=5) == 5
    with database.transaction() as session:
        assert queue_due_lessons(session, NOW, limit=5) == 2
    assert len(queued(database)) == 12


def sweep_until_empty(database: Database, _argument: object) -> int:
    total = 0
    while True:
        with database.transaction() as session:
            moved = queue_due_lessons(session, NOW, limit=50)
        if not moved:
            return total
        total += moved


def test_two_processes_sweeping_at_once_queue_each_lesson_once(database: Database, database_url: str) -> None:
    learner_ids = learners_due(database, 1000)

    counts = run_in_processes(sweep_until_empty, database_url)

    assert sum(counts) == 1000
    assert Counter(row[0] for row in queued(database)) == Counter(learner_ids)


def test_learners_paused_or_done_are_left_out_and_keep_their_date(database: Database) -> None:
    [paused] = learners_due(database, 1)
    [completed] = learners_due(database, 1)
    [finished] = learners_due(database, 1)
    with database.transaction() as session:
        session.get_one(Learner, paused).paused_at = NOW - timedelta(hours=1)
        session.execute(update(Enrolment).where(Enrolment.learner_id == completed).values(status="completed"))
        session.execute(update(Enrolment).where(Enrolment.learner_id == finished).values(lesson_id=None))

    with database.transaction() as session:
        assert queue_due_lessons(session, NOW) == 0

    assert queued(database) == []
    with database.transaction() as session:
        assert set(session.scalars(select(Enrolment.next_due_at))) == {NOW}


def add_identity(database: Database, learner_id: int, platform: str) -> None:
    with database.transaction() as session:
        session.execute(
            insert(LearnerIdentity),
            {
                "learner_id": learner_id,
                "platform": platform,
                "workspace": "",
                "user_id": f"{platform}-{learner_id}",
                "conversation_id": f"{platform}-{learner_id}",
                "created_at": NOW,
            },
        )


def test_a_learner_on_several_platforms_is_sent_one_lesson_where_they_came_from(database: Database) -> None:
    [from_slack] = learners_due(database, 1, platform="slack")
    add_identity(database, from_slack, "telegram")
    [from_telegram] = learners_due(database, 1, platform="telegram")
    add_identity(database, from_telegram, "slack")
    add_identity(database, from_telegram, "teams")

    with database.transaction() as session:
        assert queue_due_lessons(session, NOW) == 2

    assert sorted((row[0], row[1]) for row in queued(database)) == [
        (from_slack, "slack"),
        (from_telegram, "telegram"),
    ]


def test_the_longest_due_go_first(database: Database) -> None:
    [two_hours] = learners_due(database, 1, due=NOW - timedelta(hours=2))
    [one_hour] = learners_due(database, 1, due=NOW - timedelta(hours=1))
    [three_hours] = learners_due(database, 1, due=NOW - timedelta(hours=3))

    for _ in range(3):
        with database.transaction() as session:
            assert queue_due_lessons(session, NOW, limit=1) == 1

    assert [row[0] for row in queued(database)] == [three_hours, two_hours, one_hour]


def test_a_lesson_locked_by_another_transaction_is_skipped_and_keeps_its_date(database: Database) -> None:
    """PostgreSQL: a row another process is taking (or a turn is changing) is left to it."""
    if database.is_sqlite:
        pytest.skip("SQLite has one writer at a time: nothing is locked while the sweep runs")
    locked, free = learners_due(database, 2)
    with database.engine.connect() as other:
        other.execute(select(Enrolment.id).where(Enrolment.learner_id == locked).with_for_update())
        with database.transaction() as session:
            assert queue_due_lessons(session, NOW) == 1
        other.rollback()

    assert [row[0] for row in queued(database)] == [free]
    with database.transaction() as session:
        assert session.scalar(select(Enrolment.next_due_at).where(Enrolment.learner_id == locked)) == NOW
        assert queue_due_lessons(session, NOW) == 1
    assert [row[0] for row in queued(database)] == [free, locked]


def plan_nodes(plan: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Every node of an EXPLAIN (FORMAT JSON) plan: its type and the table it reads."""
    nodes = [(plan["Node Type"], plan.get("Relation Name"))]
    for child in plan.get("Plans", []):
        nodes.extend(plan_nodes(child))
    return nodes


def test_a_batch_reads_only_its_own_rows_on_postgresql(database: Database) -> None:
    """The plan of a batch, with statistics as autovacuum gathers them: the due index read
    in its order, the rows taken cleared by their ctid, learners and identities looked up
    by key. A whole table read (a sequential scan, or one hashed for a join) would make
    every batch cost as much as the table is large."""
    if database.is_sqlite:
        pytest.skip("the statement is PostgreSQL's")
    seed(database, 20_000)
    with database.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
        compiled = _SWEEP.compile(dialect=connection.dialect)
        parameters = compiled.construct_params({"now": datetime.now(UTC), "limit": 5000})
        [explained] = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", parameters).scalar_one()
        connection.rollback()

    nodes = plan_nodes(explained["Plan"])
    assert ("Index Scan", "enrolments") in nodes
    assert ("Tid Scan", "enrolments") in nodes
    assert ("Index Scan", "learners") in nodes
    assert ("Index Scan", "learner_identities") in nodes
    assert not [node for node in nodes if node[0] in ("Seq Scan", "Hash", "Hash Join", "Bitmap Heap Scan")]
