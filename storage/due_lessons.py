"""Moving the lessons that have fallen due into the outbox to learners.

A scheduled lesson waits as `enrolments.next_due_at`, not as a scheduler job: one periodic
sweep moves what is due, in batches, into `learner_messages`, where the process serving
the learner's platform sends it (`bot.delivery`). Each batch is one transaction that takes
the due enrolments (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so a second process sweeping
at the same moment takes other rows; SQLite has one writer at a time), queues a message
for each and clears `next_due_at`: a double tick, or two processes, never queue a lesson
twice. Learners who said `stop`, cannot be reached or are paused are left out and keep
their date.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, func, insert, literal, not_, select, update
from sqlalchemy.orm import Session

from storage.models import Enrolment, Learner, LearnerIdentity, LearnerMessage

_ENROLMENTS = cast(Table, Enrolment.__table__)
_LEARNERS = cast(Table, Learner.__table__)
_IDENTITIES = cast(Table, LearnerIdentity.__table__)
_TO_LEARNERS = cast(Table, LearnerMessage.__table__)

BATCH = 5000


def may_speak_first(learners: Table) -> tuple[ColumnElement[bool], ...]:
    """Who the bot may write to first: not after `stop`, not blocked, not paused after the
    last unanswered nudge."""
    return (
        learners.c.subscribed.is_(True),
        learners.c.unreachable_at.is_(None),
        learners.c.paused_at.is_(None),
    )


_FIRST_IDENTITY = (
    select(func.min(_IDENTITIES.c.id))
    .where(_IDENTITIES.c.learner_id == _ENROLMENTS.c.learner_id)
    .correlate(_ENROLMENTS)
    .scalar_subquery()
)
"""Where a learner is written to first: the platform they first came from (a learner known
on several platforms is reached on one)."""

_DUE = (
    select(_ENROLMENTS.c.id)
    .where(
        _ENROLMENTS.c.next_due_at <= bindparam("now"),
        _ENROLMENTS.c.status == "active",
        _ENROLMENTS.c.lesson_id.is_not(None),
        # "No learner who may not be written to", not a join with those who may: an
        # anti-join keeps the enrolments outside, whatever the statistics. On tables just
        # filled (none yet), PostgreSQL planned the join as a loop over learners that
        # scanned every due enrolment for each: minutes for 100,000.
        ~select(_LEARNERS.c.id)
        .where(_LEARNERS.c.id == _ENROLMENTS.c.learner_id, not_(and_(*may_speak_first(_LEARNERS))))
        .exists(),
    )
    .order_by(_ENROLMENTS.c.next_due_at, _ENROLMENTS.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)

_QUEUE = insert(_TO_LEARNERS).from_select(
    [
        "learner_id",
        "platform",
        "workspace",
        "conversation_id",
        "kind",
        "text",
        "course_id",
        "lesson_id",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    ],
    select(
        _ENROLMENTS.c.learner_id,
        _IDENTITIES.c.platform,
        _IDENTITIES.c.workspace,
        _IDENTITIES.c.conversation_id,
        literal("lesson"),
        literal(""),
        _ENROLMENTS.c.course_id,
        _ENROLMENTS.c.lesson_id,
        literal("pending"),
        literal(0),
        bindparam("now"),
        bindparam("now"),
    )
    .select_from(_ENROLMENTS.join(_IDENTITIES, _IDENTITIES.c.learner_id == _ENROLMENTS.c.learner_id))
    # In the WHERE, not the join: PostgreSQL would run it for every pair of rows.
    .where(_ENROLMENTS.c.id.in_(bindparam("ids", expanding=True)), _IDENTITIES.c.id == _FIRST_IDENTITY)
    .order_by(_ENROLMENTS.c.id),
)

_CLEAR = (
    update(_ENROLMENTS).where(_ENROLMENTS.c.id.in_(bindparam("ids", expanding=True))).values(next_due_at=None)
)


def queue_due_lessons(session: Session, now: datetime, limit: int = BATCH) -> int:
    """Queue up to `limit` lessons due by `now` (one transaction: `session`'s); how many."""
    connection = session.connection()
    ids = list(connection.execute(_DUE, {"now": now, "limit": limit}).scalars())
    if not ids:
        return 0
    connection.execute(_QUEUE, {"now": now, "ids": ids})
    connection.execute(_CLEAR, {"ids": ids})
    return len(ids)
