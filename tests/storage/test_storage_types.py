"""Column types that must behave the same on SQLite and PostgreSQL: datetimes and JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from storage.db import Database
from storage.models import Learner, ProcessedEvent

MOSCOW = timezone(timedelta(hours=3))
NOON_IN_MOSCOW = datetime(2024, 5, 1, 12, 0, tzinfo=MOSCOW)


def new_learner(**fields: object) -> Learner:
    now = datetime.now(UTC)
    return Learner(created_at=now, last_seen_at=now, **fields)


def save(database: Database, row: object) -> None:
    with database.transaction() as session:
        session.add(row)


def test_aware_datetime_comes_back_as_the_same_instant_and_aware(database: Database) -> None:
    save(database, ProcessedEvent(platform="slack", event_id="E1", received_at=NOON_IN_MOSCOW))

    with database.transaction() as session:
        received_at = session.scalars(select(ProcessedEvent.received_at)).one()

    assert received_at == NOON_IN_MOSCOW
    assert received_at.utcoffset() == timedelta(0)


def test_datetimes_compare_as_instants_in_sql(database: Database) -> None:
    """SQLite compares the stored text: that only works because everything is stored in UTC."""
    save(database, ProcessedEvent(platform="slack", event_id="E1", received_at=NOON_IN_MOSCOW))

    nine_utc = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    with database.transaction() as session:
        found = session.scalars(select(ProcessedEvent.event_id).where(ProcessedEvent.received_at == nine_utc))
        assert found.all() == ["E1"]
        later = select(ProcessedEvent).where(ProcessedEvent.received_at > nine_utc - timedelta(seconds=1))
        assert session.scalars(later).one().event_id == "E1"


def test_naive_datetime_is_refused(database: Database) -> None:
    naive = datetime(2024, 5, 1, 12, 0)  # noqa: DTZ001 - refusing it is the point
    event = ProcessedEvent(platform="slack", event_id="E1", received_at=naive)

    with pytest.raises(StatementError, match="naive datetime"):
        save(database, event)

    with database.transaction() as session:
        assert session.scalars(select(ProcessedEvent)).all() == []


def test_json_columns_round_trip(database: Database) -> None:
    attributes = {"plan": "pro", "city": "Zürich", "greeting": "こんにちは"}
    with database.transaction() as session:
        learner = new_learner(attributes=attributes, answers={"name": "Ada"})
        session.add(learner)

    with database.transaction() as session:
        stored = session.get_one(Learner, learner.id)
        assert stored.attributes == attributes
        assert stored.answers == {"name": "Ada"}


def test_json_defaults_to_an_empty_dict(database: Database) -> None:
    with database.transaction() as session:
        learner = new_learner()
        session.add(learner)

    with database.transaction() as session:
        stored = session.get_one(Learner, learner.id)
        assert (stored.attributes, stored.answers) == ({}, {})


def test_reassigning_a_json_dict_is_saved(database: Database) -> None:
    """The columns are plain JSON, not `MutableDict`: a new dict is what marks them changed."""
    with database.transaction() as session:
        learner = new_learner(attributes={"plan": "free"}, answers={})
        session.add(learner)

    with database.transaction() as session:
        stored = session.get_one(Learner, learner.id)
        stored.attributes = {**stored.attributes, "plan": "pro"}
        stored.answers = {**stored.answers, "goal": "speak Spanish"}

    with database.transaction() as session:
        stored = session.get_one(Learner, learner.id)
        assert stored.attributes == {"plan": "pro"}
        assert stored.answers == {"goal": "speak Spanish"}
