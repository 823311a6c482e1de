"""Moving the nudges that have fallen due into the outbox to learners.

A learner left at a lesson step has `reminder_due_at` set (`bot.flows.nudges`); the sweep
takes those due, queues one `reminder` row each and clears the date in the same
transaction, as `storage.due_lessons` does for lessons, so a nudge is queued once however
many processes sweep.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from storage.due_lessons import may_speak_first
from storage.learner_messages import NewOutreach, queue_outreach
from storage.models import Learner

_LEARNERS = cast(Table, Learner.__table__)

_DUE = (
    select(_LEARNERS.c.id)
    .where(_LEARNERS.c.reminder_due_at <= bindparam("now"), *may_speak_first(_LEARNERS))
    .order_by(_LEARNERS.c.reminder_due_at, _LEARNERS.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_CLEAR = (
    update(_LEARNERS).where(_LEARNERS.c.id.in_(bindparam("ids", expanding=True))).values(reminder_due_at=None)
)


def queue_due_reminders(session: Session, now: datetime, limit: int) -> int:
    """Queue up to `limit` nudges due by `now`; how many."""
    connection = session.connection()
    ids = list(connection.execute(_DUE, {"now": now, "limit": limit}).scalars())
    if not ids:
        return 0
    queue_outreach(session, [NewOutreach(learner_id, "reminder") for learner_id in ids], now)
    connection.execute(_CLEAR, {"ids": ids})
    return len(ids)
