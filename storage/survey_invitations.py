"""Surveys the bot sends on its own: one invitation per learner, survey and trigger, due at
a time, moved later while it may not go out, and moved into the outbox when due.

The engine creates invitations when a trigger fires (first contact, a course completed, a
hand-off resolved, the last one of a recurring survey sent) and decides, when one is sent,
whether the survey can start now (`bot.flows.invitations`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.due_lessons import may_speak_first
from storage.learner_messages import NewOutreach, queue_outreach
from storage.models import Learner, SurveyInvitation

_INVITATIONS = cast(Table, SurveyInvitation.__table__)
_LEARNERS = cast(Table, Learner.__table__)


@dataclass(frozen=True)
class Invitation:
    id: int
    learner_id: int
    survey_id: str
    reason: str
    status: str


def invite(
    session: Session, learner_id: int, survey_id: str, *, reason: str, due_at: datetime, now: datetime
) -> None:
    """Invite the learner to `survey_id` at `due_at` for `reason`, unless that was done already."""
    values = {
        "learner_id": learner_id,
        "survey_id": survey_id,
        "reason": reason,
        "status": "pending",
        "due_at": due_at,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_INVITATIONS)
    session.execute(statement.values(values).on_conflict_do_nothing())


def find_invitation(session: Session, invitation_id: int) -> Invitation | None:
    row = session.execute(select(_INVITATIONS).where(_INVITATIONS.c.id == invitation_id)).first()
    return None if row is None else Invitation(row.id, row.learner_id, row.survey_id, row.reason, row.status)


def postpone_invitation(session: Session, invitation_id: int, due_at: datetime) -> None:
    """Not now: due again at `due_at`."""
    session.execute(
        update(_INVITATIONS).where(_INVITATIONS.c.id == invitation_id).values(status="pending", due_at=due_at)
    )


def close_invitation(session: Session, invitation_id: int, status: str, now: datetime) -> None:
    """`sent` (the survey started) or `dropped` (the survey is gone from the content)."""
    session.execute(
        update(_INVITATIONS).where(_INVITATIONS.c.id == invitation_id).values(status=status, sent_at=now)
    )


def cover_invitations(
    session: Session, learner_id: int, survey_id: str, until: datetime, now: datetime
) -> None:
    """The survey just started for one reason: its other invitations due by `until` (they
    would wait out the quiet period only to ask the same again) are `covered` by it; not
    a recurring one's, which keeps its own cadence."""
    session.execute(
        update(_INVITATIONS)
        .where(
            _INVITATIONS.c.learner_id == learner_id,
            _INVITATIONS.c.survey_id == survey_id,
            _INVITATIONS.c.status.in_(("pending", "queued")),
            _INVITATIONS.c.due_at <= until,
            _INVITATIONS.c.reason.not_like("every:%"),
        )
        .values(status="covered", sent_at=now)
    )


_DUE = (
    select(_INVITATIONS.c.id, _INVITATIONS.c.learner_id)
    .join(_LEARNERS, _LEARNERS.c.id == _INVITATIONS.c.learner_id)
    .where(
        _INVITATIONS.c.status == "pending",
        _INVITATIONS.c.due_at <= bindparam("now"),
        *may_speak_first(_LEARNERS),
    )
    .order_by(_INVITATIONS.c.due_at, _INVITATIONS.c.id)
    .limit(bindparam("limit"))
    .with_for_update(of=_INVITATIONS, skip_locked=True)
)
_QUEUED = (
    update(_INVITATIONS)
    .where(_INVITATIONS.c.id.in_(bindparam("ids", expanding=True)))
    .values(status="queued")
)


def queue_due_invitations(session: Session, now: datetime, limit: int) -> int:
    """Queue up to `limit` surveys due by `now`; how many."""
    connection = session.connection()
    due = connection.execute(_DUE, {"now": now, "limit": limit}).all()
    if not due:
        return 0
    queue_outreach(session, [NewOutreach(row.learner_id, "survey", invitation_id=row.id) for row in due], now)
    connection.execute(_QUEUED, {"ids": [row.id for row in due]})
    return len(due)
