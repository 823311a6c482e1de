"""A turn's enrolments: read once, written back with only what changed, new ones inserted,
and a list of all of them that shows the turn's changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select

from storage.db import Database
from storage.enrolments import EnrolmentRecord, TurnEnrolments, learner_enrolments
from storage.models import Enrolment
from tests.storage.test_due_lessons import learners_due

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_an_enrolment_is_read_once_and_only_what_changed_is_written(database: Database) -> None:
    [learner_id] = learners_due(database, 1, due=NOW)
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with database.transaction() as session:
        enrolments = TurnEnrolments(session, learner_id)
        first = enrolments.find("onboarding")
        assert first is not None
        assert enrolments.find("onboarding") is first
        assert enrolments.find("no-such-course") is None
        first.completed_lessons = [*first.completed_lessons, "first-project"]
        first.next_due_at = None
        enrolments.save()
        enrolments.save()  # nothing changed since: nothing written
    updates = [sql for sql in statements if sql.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    written = updates[0].split(" WHERE ")[0]
    assert "completed_lessons" in written
    assert "next_due_at" in written
    assert "status" not in written
    assert "last_activity_at" not in written
    with database.transaction() as session:
        stored = session.scalars(select(Enrolment).where(Enrolment.learner_id == learner_id)).one()
        assert (stored.completed_lessons, stored.next_due_at) == (["welcome", "first-project"], None)


def test_a_new_enrolment_is_inserted_and_listed_with_the_turns_changes(database: Database) -> None:
    [learner_id] = learners_due(database, 1, due=NOW)
    with database.transaction() as session:
        enrolments = TurnEnrolments(session, learner_id)
        onboarding = enrolments.find("onboarding")
        assert onboarding is not None
        onboarding.status = "completed"
        enrolments.add(
            EnrolmentRecord(
                0, learner_id, "pro", "active", "one", [], "campaign", NOW + timedelta(hours=1), NOW
            )
        )
        listed = enrolments.all()
        assert [(each.course_id, each.status) for each in listed] == [
            ("onboarding", "completed"),
            ("pro", "active"),
        ]
        assert listed[0] is onboarding
    with database.transaction() as session:
        stored = learner_enrolments(session, learner_id)
    assert [(each.course_id, each.status, each.source) for each in stored] == [
        ("onboarding", "completed", None),
        ("pro", "active", "campaign"),
    ]
    assert stored[1].id > 0
