"""What the learners learned in a period: enrolments and how many finished, where in each
course they stopped, how the quizzes went, and whether missed questions stuck when they
came back for review. Counted in the database; only per-enrolment durations (for the
median) and grouped rows come back.

- Completion: of the enrolments started in the period, the share completed by `now`
  (a course finished once stays finished, even if the learner took it again).
- The funnel, per course and lesson: *reached* is the learners who started the lesson in
  the period (`lesson_started`), *completed* those of them who then finished it
  (`lesson_completed`, up to `now`), *drop-off* the share of reached who did not.
- Quiz pass rate: first attempts (not retries of missed questions) finished in the period.
- Hardest questions: the lowest share answered right, among questions answered at least
  `MIN_ANSWERS` times in the period (retries included: every answer given).
- Review recall: of the questions asked again in review rounds finished in the period,
  the share answered right (the `review_completed` marks, `right/asked`).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Float, Select, Table, and_, case, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from bot.content.model import Course
from bot.metrics.periods import Period
from bot.metrics.segment import ReportSegment, segment_learners
from storage.models import Enrolment, Interaction, QuizAnswer, QuizAttempt

MIN_ANSWERS = 5
"""A question answered fewer times than this is not ranked: one wrong answer is not "hard"."""
HARDEST = 10
"""How many of the hardest questions a report lists."""

_ENROLMENTS = cast(Table, Enrolment.__table__)
_INTERACTIONS = cast(Table, Interaction.__table__)
_ATTEMPTS = cast(Table, QuizAttempt.__table__)
_ANSWERS = cast(Table, QuizAnswer.__table__)


@dataclass(frozen=True)
class FunnelStep:
    course_id: str
    lesson_id: str
    reached: int
    completed: int

    @property
    def drop_off(self) -> float | None:
        """Share of the learners who reached the lesson and did not finish it."""
        return 1 - self.completed / self.reached if self.reached else None


@dataclass(frozen=True)
class HardQuestion:
    quiz_id: str
    question_id: str
    answered: int
    right: int

    @property
    def share_right(self) -> float:
        return self.right / self.answered


@dataclass(frozen=True)
class LearningReport:
    enrolments: int
    completed: int
    completion_rate: float | None
    median_days_to_complete: float | None
    funnel: tuple[FunnelStep, ...]
    """Course by course; each course's lessons in the content's order (lessons the content
    no longer has, or every lesson when no courses are given: most reached first)."""
    quiz_attempts: int
    quiz_pass_rate: float | None
    hardest_questions: tuple[HardQuestion, ...]
    review_asked: int
    review_right: int
    review_recall: float | None


def learning_report(
    session: Session,
    period: Period,
    segment: ReportSegment,
    now: datetime,
    default_locale: str,
    *,
    courses: Sequence[Course] = (),
) -> LearningReport:
    """`courses` (the content's) give the funnel its lesson order; without them the data does."""
    learners = _learners(segment, now, default_locale)
    enrolled, completed, days = _completion(session, period, now, learners)
    attempts, passed = _quizzes(session, period, learners)
    asked, right = _reviews(session, period, learners)
    return LearningReport(
        enrolments=enrolled,
        completed=completed,
        completion_rate=completed / enrolled if enrolled else None,
        median_days_to_complete=statistics.median(days) if days else None,
        funnel=_funnel(session, period, now, learners, courses),
        quiz_attempts=attempts,
        quiz_pass_rate=passed / attempts if attempts else None,
        hardest_questions=_hardest(session, period, learners),
        review_asked=asked,
        review_right=right,
        review_recall=right / asked if asked else None,
    )


def _learners(segment: ReportSegment, now: datetime, default_locale: str) -> Select[tuple[int]] | None:
    """The segment's learner ids (None for everyone: nothing to filter)."""
    return None if segment.everyone else segment_learners(segment, now, default_locale)


def _of(column: ColumnElement[int], learners: Select[tuple[int]] | None) -> list[ColumnElement[bool]]:
    return [] if learners is None else [column.in_(learners)]


def _completion(
    session: Session, period: Period, now: datetime, learners: Select[tuple[int]] | None
) -> tuple[int, int, list[float]]:
    """Enrolments started in the period, how many were completed, and in how many days each."""
    enrolment = _ENROLMENTS.c
    started = [
        enrolment.started_at >= period.start,
        enrolment.started_at < period.end,
        *_of(enrolment.learner_id, learners),
    ]
    enrolled = session.scalar(select(func.count()).where(*started)) or 0
    finished = session.execute(
        select(enrolment.started_at, enrolment.completed_at).where(
            *started, enrolment.completed_at.is_not(None), enrolment.completed_at <= now
        )
    ).all()
    days = [(completed_at - started_at).total_seconds() / 86400 for started_at, completed_at in finished]
    return enrolled, len(days), days


def _funnel(
    session: Session,
    period: Period,
    now: datetime,
    learners: Select[tuple[int]] | None,
    courses: Sequence[Course],
) -> tuple[FunnelStep, ...]:
    log = _INTERACTIONS.c
    started = (
        select(log.learner_id, log.content_id)
        .where(
            log.kind == "lesson_started",
            log.at >= period.start,
            log.at < period.end,
            log.content_id.is_not(None),
            *_of(log.learner_id, learners),
        )
        .distinct()
        .subquery()
    )
    finished = (
        select(log.learner_id, log.content_id)
        .where(log.kind == "lesson_completed", log.at >= period.start, log.at <= now)
        .distinct()
        .subquery()
    )
    rows = session.execute(
        select(started.c.content_id, func.count(), func.count(finished.c.learner_id))
        .select_from(
            started.outerjoin(
                finished,
                and_(
                    finished.c.learner_id == started.c.learner_id,
                    finished.c.content_id == started.c.content_id,
                ),
            )
        )
        .group_by(started.c.content_id)
    ).all()
    by_course: defaultdict[str, list[FunnelStep]] = defaultdict(list)
    for content_id, reached, completed in rows:
        course_id, _, lesson_id = content_id.partition("/")
        by_course[course_id].append(FunnelStep(course_id, lesson_id, reached, completed))
    order = {course.id: [lesson.id for lesson in course.lessons] for course in courses}
    steps: list[FunnelStep] = []
    for course_id in sorted(by_course, key=lambda each: (each not in order, each)):
        lessons = order.get(course_id, [])
        position = {lesson_id: index for index, lesson_id in enumerate(lessons)}
        steps.extend(
            sorted(
                by_course[course_id],
                key=lambda step: (position.get(step.lesson_id, len(lessons)), -step.reached, step.lesson_id),
            )
        )
    return tuple(steps)


def _quizzes(session: Session, period: Period, learners: Select[tuple[int]] | None) -> tuple[int, int]:
    attempt = _ATTEMPTS.c
    finished, passed = session.execute(
        select(func.count(), func.count(case((attempt.passed.is_(True), 1)))).where(
            attempt.is_retry.is_(False),
            attempt.finished_at >= period.start,
            attempt.finished_at < period.end,
            *_of(attempt.learner_id, learners),
        )
    ).one()
    return finished, passed


def _hardest(
    session: Session, period: Period, learners: Select[tuple[int]] | None
) -> tuple[HardQuestion, ...]:
    answer, attempt = _ANSWERS.c, _ATTEMPTS.c
    answered = func.count()
    right = func.count(case((answer.correct.is_(True), 1)))
    rows = session.execute(
        select(attempt.quiz_id, answer.question_id, answered, right)
        .select_from(_ANSWERS.join(_ATTEMPTS, attempt.id == answer.attempt_id))
        .where(
            answer.answered_at >= period.start,
            answer.answered_at < period.end,
            *_of(attempt.learner_id, learners),
        )
        .group_by(attempt.quiz_id, answer.question_id)
        .having(answered >= MIN_ANSWERS)
        .order_by(
            (sql_cast(right, Float) / answered).asc(), answered.desc(), attempt.quiz_id, answer.question_id
        )
        .limit(HARDEST)
    ).all()
    return tuple(
        HardQuestion(quiz_id, question_id, count, hits) for quiz_id, question_id, count, hits in rows
    )


def _reviews(session: Session, period: Period, learners: Select[tuple[int]] | None) -> tuple[int, int]:
    """Asked and right over the review rounds finished in the period. Their marks say
    `right/asked`; grouped by that text in the database, few distinct values come back."""
    log = _INTERACTIONS.c
    rows = session.execute(
        select(log.detail, func.count())
        .where(
            log.kind == "review_completed",
            log.at >= period.start,
            log.at < period.end,
            *_of(log.learner_id, learners),
        )
        .group_by(log.detail)
    ).all()
    asked = right = 0
    for detail, rounds in rows:
        hits, _, total = (detail or "").partition("/")
        if hits.isdigit() and total.isdigit():
            asked += int(total) * rounds
            right += int(hits) * rounds
    return asked, right
