"""The sweep that moves due lessons into the outbox to learners: what is due and reachable
is queued once, to where the learner is; two processes sweeping at once queue each lesson
once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from storage.db import Database
from storage.due_lessons import queue_due_lessons
from storage.models import Enrolment, Learner, LearnerIdentity, LearnerMessage
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
