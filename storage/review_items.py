"""The quiz questions each learner has under review, and moving due review rounds into the
outbox to learners.

One round is queued per learner and course when any of its questions falls due; the
engine then picks which to ask (`bot.schedule.review.reviews_to_send`). `queued_at` marks
the questions a queued round covers, so the sweep queues a round once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from storage.due_lessons import may_speak_first
from storage.learner_messages import NewOutreach, queue_outreach
from storage.models import Learner, ReviewItem

_ITEMS = cast(Table, ReviewItem.__table__)
_LEARNERS = cast(Table, Learner.__table__)


@dataclass(frozen=True)
class UnderReview:
    quiz_id: str
    question_id: str
    step: int
    due_at: datetime
    last_asked_at: datetime | None


def _one(learner_id: int, quiz_id: str, question_id: str) -> tuple[ColumnElement[bool], ...]:
    return (
        _ITEMS.c.learner_id == learner_id,
        _ITEMS.c.quiz_id == quiz_id,
        _ITEMS.c.question_id == question_id,
    )


def under_review(session: Session, learner_id: int, quiz_id: str, question_id: str) -> UnderReview | None:
    row = session.execute(select(_ITEMS).where(*_one(learner_id, quiz_id, question_id))).first()
    return (
        None
        if row is None
        else UnderReview(row.quiz_id, row.question_id, row.step, row.due_at, row.last_asked_at)
    )


def put_under_review(
    session: Session,
    learner_id: int,
    *,
    course_id: str,
    quiz_id: str,
    question_id: str,
    step: int,
    due_at: datetime,
) -> None:
    """Start or move a question's review: asked again at `due_at`, on review step `step`."""
    where = _one(learner_id, quiz_id, question_id)
    moved = session.execute(update(_ITEMS).where(*where).values(step=step, due_at=due_at, queued_at=None))
    if moved.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(
            insert(_ITEMS),
            {
                "learner_id": learner_id,
                "course_id": course_id,
                "quiz_id": quiz_id,
                "question_id": question_id,
                "step": step,
                "due_at": due_at,
            },
        )


def end_review(session: Session, learner_id: int, quiz_id: str, question_id: str) -> None:
    """The question was answered right after its longest gap: it leaves review."""
    session.execute(delete(_ITEMS).where(*_one(learner_id, quiz_id, question_id)))


def course_reviews(session: Session, learner_id: int, course_id: str) -> list[UnderReview]:
    rows = session.execute(
        select(_ITEMS).where(_ITEMS.c.learner_id == learner_id, _ITEMS.c.course_id == course_id)
    )
    return [
        UnderReview(row.quiz_id, row.question_id, row.step, row.due_at, row.last_asked_at) for row in rows
    ]


def asked_in_review(
    session: Session,
    learner_id: int,
    *,
    quiz_id: str,
    question_ids: Iterable[str],
    now: datetime,
    again_at: datetime,
) -> None:
    """Questions asked now: due again at `again_at` unless answered before."""
    session.execute(
        update(_ITEMS)
        .where(
            _ITEMS.c.learner_id == learner_id,
            _ITEMS.c.quiz_id == quiz_id,
            _ITEMS.c.question_id.in_(list(question_ids)),
        )
        .values(last_asked_at=now, due_at=again_at, queued_at=None)
    )


def postpone_reviews(
    session: Session, learner_id: int, course_id: str, now: datetime, until: datetime
) -> None:
    """The round could not ask what is due (the learner busy, the day's limit reached):
    what is due comes back at `until`."""
    where = (_ITEMS.c.learner_id == learner_id, _ITEMS.c.course_id == course_id)
    session.execute(update(_ITEMS).where(*where, _ITEMS.c.due_at <= now).values(due_at=until))
    session.execute(update(_ITEMS).where(*where).values(queued_at=None))


_DUE = (
    select(_ITEMS.c.id, _ITEMS.c.learner_id, _ITEMS.c.course_id)
    .join(_LEARNERS, _LEARNERS.c.id == _ITEMS.c.learner_id)
    .where(_ITEMS.c.due_at <= bindparam("now"), _ITEMS.c.queued_at.is_(None), *may_speak_first(_LEARNERS))
    .order_by(_ITEMS.c.due_at, _ITEMS.c.id)
    .limit(bindparam("limit"))
    .with_for_update(of=_ITEMS, skip_locked=True)
)
_QUEUED = (
    update(_ITEMS).where(_ITEMS.c.id.in_(bindparam("ids", expanding=True))).values(queued_at=bindparam("now"))
)


def queue_due_reviews(session: Session, now: datetime, limit: int) -> int:
    """Queue a review round for each learner and course with a question due by `now`
    (looking at up to `limit` questions); how many questions the rounds cover."""
    connection = session.connection()
    due = connection.execute(_DUE, {"now": now, "limit": limit}).all()
    if not due:
        return 0
    rounds = dict.fromkeys((row.learner_id, row.course_id) for row in due)
    queue_outreach(
        session, [NewOutreach(learner, "review", course_id=course) for learner, course in rounds], now
    )
    connection.execute(_QUEUED, {"now": now, "ids": [row.id for row in due]})
    return len(due)
