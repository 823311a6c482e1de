"""A learner's quiz attempts and answers, written as the quiz goes.

Plain Core statements built once: a quiz answer is among the commonest events, and the
ORM's unit of work (an object per row, a flush, and for the score a load by primary key)
cost several times the insert or update itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Session

from storage.models import QuizAnswer, QuizAttempt

_ATTEMPTS = cast(Table, QuizAttempt.__table__)
_ANSWERS = cast(Table, QuizAnswer.__table__)
_START = insert(_ATTEMPTS).returning(_ATTEMPTS.c.id)
_ANSWER = insert(_ANSWERS)
_SCORE = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
    .values(
        correct_count=bindparam("correct"),
        score_percent=bindparam("percent"),
        passed=bindparam("passed"),
        finished_at=bindparam("now"),
    )
)


def start_attempt(
    session: Session,
    *,
    learner_id: int,
    quiz_id: str,
    is_retry: bool,
    question_count: int,
    correct_count: int,
    now: datetime,
) -> int:
    """A new attempt's id; `correct_count` carries over what a retry need not ask again."""
    values = {
        "learner_id": learner_id,
        "quiz_id": quiz_id,
        "is_retry": is_retry,
        "question_count": question_count,
        "correct_count": correct_count,
        "started_at": now,
    }
    return int(session.connection().execute(_START, values).scalar_one())


def record_answer(
    session: Session, attempt_id: int, question_id: str, chosen: list[str], *, correct: bool, now: datetime
) -> None:
    values = {
        "attempt_id": attempt_id,
        "question_id": question_id,
        "chosen": ",".join(chosen),
        "correct": correct,
        "answered_at": now,
    }
    session.connection().execute(_ANSWER, values)


def score_attempt(
    session: Session, attempt_id: int, *, correct: int, percent: int, passed: bool, now: datetime
) -> None:
    values = {"attempt_id": attempt_id, "correct": correct, "percent": percent, "passed": passed, "now": now}
    session.connection().execute(_SCORE, values)
