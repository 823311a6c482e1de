"""The outbox to a Learning Record Store: which learning records are new, claiming them
for sending, and what became of them.

Where the rows come from: a look over the four record tables, not an insert beside each
record in the turn's transaction. The look is one `INSERT ... SELECT` per kind of record,
run by the sender before each claim, so the engine's hot path (a turn, the batched
interaction log) stays as it is, nothing is queued while no LRS is configured, and a
deployment that sets one later gets its whole history queued on the first look. It
starts `OVERLAP` before the newest record already queued, not at it: on PostgreSQL a turn
that began earlier may commit after a later one, and a cursor at the newest record would
step over it for good. What the overlap sees again is dropped by the unique (kind, id),
so any number of processes may look at once (each inserts in the records' order, so two
never wait on each other's rows). A record is stamped with its turn's clock inside the
turn's transaction, so it comes into view within seconds of its time: the overlap holds
while the serving processes' clocks agree to well within ten minutes.

Claiming is every outbox's (`storage.outbox`): `FOR UPDATE SKIP LOCKED` on PostgreSQL,
SQLite's one writer, and a lease after which a row whose sender died is claimed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, literal, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.lrs_models import LrsDelivery
from storage.models import Interaction, QuizAnswer, QuizAttempt, SurveyAnswer
from storage.outbox import LEASE, claim_due

_DELIVERIES = cast(Table, LrsDelivery.__table__)

OVERLAP = timedelta(minutes=10)
"""How far before the newest queued record each look starts: longer than a turn may take
between stamping its records and committing them."""


@dataclass(frozen=True)
class LearningRecord:
    kind: str
    """lesson_completed, quiz_answer, quiz_attempt or survey_answer"""
    id: int
    """The row's id in its table (`interactions`, `quiz_answers` ...)."""


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    record: LearningRecord
    attempts: int
    """This one included."""


@dataclass(frozen=True)
class LrsStatus:
    """What `lessonloop xapi status` says."""

    queued: int
    sent: int
    failed: int
    oldest_queued_at: datetime | None
    """When the oldest record still waiting happened."""
    last_error: str | None
    last_error_at: datetime | None


@dataclass(frozen=True)
class _Source:
    id: InstrumentedAttribute[int]
    at: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None]
    which: tuple[ColumnElement[bool], ...]


_SOURCES = {
    "lesson_completed": _Source(
        Interaction.id,
        Interaction.at,
        (Interaction.kind == "lesson_completed", Interaction.direction == "mark"),
    ),
    "quiz_answer": _Source(QuizAnswer.id, QuizAnswer.answered_at, ()),
    "quiz_attempt": _Source(
        QuizAttempt.id,
        QuizAttempt.finished_at,
        (QuizAttempt.finished_at.is_not(None), QuizAttempt.passed.is_not(None)),
    ),
    "survey_answer": _Source(
        SurveyAnswer.id,
        SurveyAnswer.answered_at,
        (SurveyAnswer.question_type.in_(("nps", "csat")), SurveyAnswer.score.is_not(None)),
    ),
}


def queue_new_records(session: Session, now: datetime) -> int:
    """Queue every learning record not queued yet; how many were queued. `now` bounds
    where the look starts, should a record carry a time ahead of it."""
    queued = 0
    for kind, source in _SOURCES.items():
        newest = session.scalar(
            select(func.max(_DELIVERIES.c.recorded_at)).where(_DELIVERIES.c.record_kind == kind)
        )
        already = (
            select(_DELIVERIES.c.id)
            .where(_DELIVERIES.c.record_kind == kind, _DELIVERIES.c.record_id == source.id)
            .exists()
        )
        # Due from the record's own time: claims then take the history oldest first, across kinds.
        rows = select(literal(kind), source.id, source.at, literal("pending"), literal(0), source.at).where(
            *source.which, ~already
        )
        if newest is not None:
            rows = rows.where(source.at >= min(newest, now) - OVERLAP)
        rows = rows.order_by(source.at, source.id)  # ids in the order things happened: sent so too
        columns = ["record_kind", "record_id", "recorded_at", "status", "attempts", "next_attempt_at"]
        dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        result = session.execute(
            dialect.insert(_DELIVERIES)
            .from_select(columns, rows)
            .on_conflict_do_nothing(index_elements=["record_kind", "record_id"]),
            execution_options={"preserve_rowcount": True},
        )
        queued += max(cast(Any, result).rowcount, 0)
    return queued


def claim_deliveries(
    session: Session, now: datetime, limit: int, *, lease: timedelta = LEASE
) -> list[ClaimedDelivery]:
    """The longest-due rows, oldest record first, each the caller's for `lease`."""
    attempts = claim_due(session, _DELIVERIES, true(), now, limit, lease=lease)
    if not attempts:
        return []
    rows = session.execute(
        select(_DELIVERIES.c.id, _DELIVERIES.c.record_kind, _DELIVERIES.c.record_id)
        .where(_DELIVERIES.c.id.in_(attempts))
        .order_by(_DELIVERIES.c.recorded_at, _DELIVERIES.c.id)
    ).all()
    return [
        ClaimedDelivery(row.id, LearningRecord(row.record_kind, row.record_id), attempts[row.id])
        for row in rows
    ]


def deliveries_sent(session: Session, delivery_ids: Sequence[int], now: datetime) -> None:
    if delivery_ids:
        session.execute(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id.in_(delivery_ids))
            .values(status="sent", sent_at=now, last_error=None)
        )


def deliveries_retried(
    session: Session, delivery_ids: Sequence[int], error: str, retry_at: datetime, now: datetime
) -> None:
    """Not taken for now (the LRS away, busy or failing): due again at `retry_at`."""
    if delivery_ids:
        session.execute(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id.in_(delivery_ids))
            .values(next_attempt_at=retry_at, last_error=error[:2000], last_error_at=now)
        )


def delivery_failed(session: Session, delivery_id: int, error: str, now: datetime) -> None:
    """Refused for what it says (the LRS found the statement invalid): kept, not retried."""
    session.execute(
        update(_DELIVERIES)
        .where(_DELIVERIES.c.id == delivery_id)
        .values(status="failed", last_error=error[:2000], last_error_at=now)
    )


def lrs_status(session: Session) -> LrsStatus:
    counted = select(_DELIVERIES.c.status, func.count()).group_by(_DELIVERIES.c.status)
    counts: dict[str, int] = dict(session.execute(counted).all())
    oldest = session.scalar(
        select(func.min(_DELIVERIES.c.recorded_at)).where(_DELIVERIES.c.status == "pending")
    )
    last = session.execute(
        select(_DELIVERIES.c.last_error, _DELIVERIES.c.last_error_at)
        .where(_DELIVERIES.c.last_error_at.is_not(None), _DELIVERIES.c.last_error.is_not(None))
        .order_by(_DELIVERIES.c.last_error_at.desc(), _DELIVERIES.c.id.desc())
        .limit(1)
    ).first()
    return LrsStatus(
        queued=counts.get("pending", 0),
        sent=counts.get("sent", 0),
        failed=counts.get("failed", 0),
        oldest_queued_at=oldest,
        last_error=last.last_error if last else None,
        last_error_at=last.last_error_at if last else None,
    )
