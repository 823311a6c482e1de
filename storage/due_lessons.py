"""Moving the lessons that have fallen due into the outbox to learners.

A scheduled lesson waits as `enrolments.next_due_at`, not as a scheduler job: one periodic
sweep moves what is due, in batches, into `learner_messages`, where the process serving
the learner's platform sends it (`bot.delivery`). Each batch is one transaction that takes
the due enrolments (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so a second process sweeping
at the same moment takes other rows; SQLite has one writer at a time), queues a message
for each and clears `next_due_at`: a double tick, or two processes, never queue a lesson
twice. Learners who said `stop`, cannot be reached or are paused are left out and keep
their date.

On PostgreSQL a batch is one statement whose data-modifying CTEs take, clear and queue: no
round trips, and with statistics each step reads only the batch's rows (the due index in
its order up to the limit, the rows taken cleared by their `ctid`, learners and identities
looked up by key), never a whole table, so a batch costs the same however many enrolments
and identities there are. SQLite has no DML in a CTE: there it is three statements.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    any_,
    bindparam,
    func,
    insert,
    literal,
    literal_column,
    not_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause

from storage.models import Enrolment, Learner, LearnerIdentity, LearnerMessage

_ENROLMENTS = cast(Table, Enrolment.__table__)
_LEARNERS = cast(Table, Learner.__table__)
_IDENTITIES = cast(Table, LearnerIdentity.__table__)
_TO_LEARNERS = cast(Table, LearnerMessage.__table__)

BATCH = 5000

_QUEUED_COLUMNS = [
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
]


def may_speak_first(learners: Table) -> tuple[ColumnElement[bool], ...]:
    """Who the bot may write to first: not after `stop`, not blocked, not paused after the
    last unanswered nudge."""
    return (
        learners.c.subscribed.is_(True),
        learners.c.unreachable_at.is_(None),
        learners.c.paused_at.is_(None),
    )


def _due_where(*, fenced: bool) -> tuple[ColumnElement[bool], ...]:
    """Due, still in the course, and a learner who may be written to.

    "No learner who may not be written to", not a join with those who may: an anti-join
    keeps the enrolments outside, whatever the statistics. On tables just filled (none
    yet), PostgreSQL planned the join as a loop over learners that scanned every due
    enrolment for each: minutes for 100,000. `fenced` (PostgreSQL) adds `OFFSET 0`, which
    keeps the subquery from being turned into a join: it is then one look-up by primary
    key per due enrolment read, where the anti-join read every learner in every batch."""
    may_not = select(_LEARNERS.c.id).where(
        _LEARNERS.c.id == _ENROLMENTS.c.learner_id, not_(and_(*may_speak_first(_LEARNERS)))
    )
    if fenced:
        may_not = may_not.offset(literal_column("0"))
    return (
        _ENROLMENTS.c.next_due_at <= bindparam("now"),
        _ENROLMENTS.c.status == "active",
        _ENROLMENTS.c.lesson_id.is_not(None),
        ~may_not.exists(),
    )


_QUEUED_AT = bindparam("now", type_=_TO_LEARNERS.c.created_at.type)
"""Typed as the column is: on SQLite an untyped datetime was stored in the sqlite3 module's
own format (with "+00:00"), which does not compare as text with the rest."""

# --- SQLite: three statements -----------------------------------------------------------

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
    .where(*_due_where(fenced=False))
    .order_by(_ENROLMENTS.c.next_due_at, _ENROLMENTS.c.id)
    .limit(bindparam("limit"))
)

_QUEUE = insert(_TO_LEARNERS).from_select(
    _QUEUED_COLUMNS,
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
        _QUEUED_AT,
        _QUEUED_AT,
    )
    .select_from(_ENROLMENTS.join(_IDENTITIES, _IDENTITIES.c.learner_id == _ENROLMENTS.c.learner_id))
    .where(_ENROLMENTS.c.id.in_(bindparam("ids", expanding=True)), _IDENTITIES.c.id == _FIRST_IDENTITY)
    .order_by(_ENROLMENTS.c.id),
)

_CLEAR = (
    update(_ENROLMENTS).where(_ENROLMENTS.c.id.in_(bindparam("ids", expanding=True))).values(next_due_at=None)
)

# --- PostgreSQL: one statement ----------------------------------------------------------

_TID: ColumnClause[object] = literal_column("enrolments.ctid")
"""Where the row is: the rows taken are cleared through a TID scan of their `ctid`s (`=
ANY(ARRAY(...))`), where a join with the enrolments, on `id` or `ctid`, was planned as a
hash of the whole table in every batch. It stays valid while the batch holds the row's
lock."""

_TAKEN = (
    select(_TID.label("tid"))
    .where(*_due_where(fenced=True))
    # By the due index alone, so the scan stops at the limit: with `id` as well every due
    # enrolment was read and sorted in every batch.
    .order_by(_ENROLMENTS.c.next_due_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True, of=_ENROLMENTS)
    .cte("taken")
)

_CLEARED = (
    update(_ENROLMENTS)
    .where(any_(func.array(select(_TAKEN.c.tid).scalar_subquery())) == _TID)
    .values(next_due_at=None)
    .returning(_ENROLMENTS.c.id, _ENROLMENTS.c.learner_id, _ENROLMENTS.c.course_id, _ENROLMENTS.c.lesson_id)
    .cte("cleared")
)
"""What is queued is what was cleared (its `RETURNING`), so the two cannot disagree."""

_QUEUED = insert(_TO_LEARNERS).from_select(
    _QUEUED_COLUMNS,
    select(
        _CLEARED.c.learner_id,
        _IDENTITIES.c.platform,
        _IDENTITIES.c.workspace,
        _IDENTITIES.c.conversation_id,
        literal("lesson"),
        literal(""),
        _CLEARED.c.course_id,
        _CLEARED.c.lesson_id,
        literal("pending"),
        literal(0),
        _QUEUED_AT,
        _QUEUED_AT,
    )
    .select_from(_CLEARED.join(_IDENTITIES, _IDENTITIES.c.learner_id == _CLEARED.c.learner_id))
    # Each lesson once, to the learner's first identity: the lowest id of their identities,
    # found by learner. Not `ORDER BY id LIMIT 1` for each: without statistics PostgreSQL
    # walked the identities in id order, from the first, for every lesson.
    .ext(distinct_on(_CLEARED.c.id))
    .order_by(_CLEARED.c.id, _IDENTITIES.c.id),
)

# The count does not read `queued`: PostgreSQL runs a data-modifying CTE all the same.
_SWEEP = select(func.count()).select_from(_CLEARED).add_cte(_QUEUED.cte("queued"))

_NO_JIT = text("SET LOCAL jit = off")
"""The planner prices a batch (look-ups per row) near `jit_above_cost`; above it, the
statement was compiled to machine code, which cost time and saved none. Only this
transaction's setting."""


def queue_due_lessons(session: Session, now: datetime, limit: int = BATCH) -> int:
    """Queue up to `limit` lessons due by `now` (one transaction: `session`'s); how many."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_NO_JIT)
        return int(connection.execute(_SWEEP, {"now": now, "limit": limit}).scalar_one())
    ids = list(connection.execute(_DUE, {"now": now, "limit": limit}).scalars())
    if not ids:
        return 0
    connection.execute(_QUEUE, {"now": now, "ids": ids})
    connection.execute(_CLEAR, {"ids": ids})
    return len(ids)
