"""Recognising a platform delivery that was already handled.

Slack retries an event it thinks went unanswered and Telegram may redeliver an update; the
primary key (platform, event id) of `processed_events` decides which delivery does the work.
`INSERT ... ON CONFLICT DO NOTHING RETURNING` answers in one statement, without an error
that would spoil the caller's transaction, and holds under concurrent workers: the database
lets exactly one insert of a key through.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import ModuleType
from typing import Any, cast

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import ProcessedEvent


def claim_event(session: Session, platform: str, event_id: str, received_at: datetime) -> bool:
    """Record the event in the caller's transaction; True if this call was the first to do so.

    The row is only permanent when the caller commits, so an event whose handling fails (and
    rolls back) is claimed again on redelivery. On PostgreSQL a concurrent claim of the same
    key waits for this transaction to end and then reports False (or True after a rollback).
    """
    connection = session.connection()
    statement = _CLAIM[connection.dialect.name]
    values = {"platform": platform, "event_id": event_id, "received_at": received_at}
    return connection.execute(statement, values).first() is not None


def _insert_unless_present(dialect: ModuleType) -> Insert:
    """The dialect's `INSERT ... ON CONFLICT (primary key) DO NOTHING RETURNING`.

    Built once per dialect and run as a Core statement on the session's connection: this
    runs for every event, and the ORM's bulk-insert path costs more than the insert itself.
    """
    insert: Callable[[Table], Any] = dialect.insert
    statement: Insert = (
        insert(_TABLE)
        .on_conflict_do_nothing(index_elements=["platform", "event_id"])
        .returning(_TABLE.c.event_id)
    )
    return statement


_TABLE = cast(Table, ProcessedEvent.__table__)
_CLAIM = {"postgresql": _insert_unless_present(postgresql), "sqlite": _insert_unless_present(sqlite)}
