"""The learning report on a hand-built week: the period is the week of Monday 2 March 2026
(UTC), `NOW` is three weeks later."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from bot.content.model import Course, Lesson, LocalText
from bot.metrics.learning import FunnelStep, HardQuestion, LearningReport, learning_report
from bot.metrics.periods import period_containing
from bot.metrics.segment import ReportSegment
from storage.db import Database
from storage.models import Enrolment, QuizAnswer, QuizAttempt
from tests.metrics.hand_built import customer, learner, logged

EVERYONE = ReportSegment()
WEEK = period_containing("week", date(2026, 3, 2), ZoneInfo("UTC"))
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
_ENROLMENTS = cast(Table, Enrolment.__table__)
_ATTEMPTS = cast(Table, QuizAttempt.__table__)
_ANSWERS = cast(Table, QuizAnswer.__table__)


def day(number: float) -> datetime:
    """`number` days after Monday 10:00 (negative: before the week)."""
    return MONDAY + timedelta(days=number)


def _text(words: str) -> LocalText:
    return LocalText({"en": words}, "en")


ONBOARDING = Course(
    id="onboarding",
    title=_text("Onboarding"),
    description=None,
    lessons=tuple(Lesson(lesson_id, _text(lesson_id), ()) for lesson_id in ("welcome", "setup", "invite")),
    default_locale="en",
    locales=frozenset({"en"}),
)


def _enrolled(session: Session, learner_id: int, started: datetime, completed: datetime | None) -> None:
    session.execute(
        insert(_ENROLMENTS),
        {
            "learner_id": learner_id,
            "course_id": "onboarding",
            "status": "completed" if completed else "active",
            "completed_lessons": [],
            "started_at": started,
            "last_activity_at": completed or started,
            "completed_at": completed,
        },
    )


def _attempt(
    session: Session, learner_id: int, *, passed: bool | None, finished: datetime | None, retry: bool = False
) -> int:
    found: int = session.execute(
        insert(_ATTEMPTS).returning(_ATTEMPTS.c.id),
        {
            "learner_id": learner_id,
            "quiz_id": "basics",
            "is_retry": retry,
            "question_count": 4,
            "correct_count": 0,
            "passed": passed,
            "started_at": finished or day(0),
            "finished_at": finished,
        },
    ).scalar_one()
    return found


def _answered(
    session: Session, attempt_id: int, question_id: str, *, right: int, wrong: int, at: datetime
) -> None:
    session.execute(
        insert(_ANSWERS),
        [
            {
                "attempt_id": attempt_id,
                "question_id": question_id,
                "chosen": "x",
                "correct": correct,
                "answered_at": at,
            }
            for correct in [True] * right + [False] * wrong
        ],
    )


def _lessons(session: Session, learner_id: int, marks: list[tuple[float, str, str]]) -> None:
    for when, kind, lesson in marks:
        logged(
            session, learner_id, [day(when)], direction="mark", kind=kind, content_id=f"onboarding/{lesson}"
        )


def _history(database: Database) -> None:
    with database.transaction() as session:
        pro = customer(session, "pro-customer", MONDAY, plan="pro")
        ann = learner(session, "ann", day(-30), pro)
        bob, cem, dan, eve = (learner(session, name, day(-30)) for name in ("bob", "cem", "dan", "eve"))

        _enrolled(session, ann, day(0), day(2))  # 2 days
        _enrolled(session, bob, day(1), day(7))  # completed after the week, before now: 6 days
        _enrolled(session, cem, day(3), None)
        _enrolled(session, dan, day(-10), day(1))  # started before the week: not counted

        _lessons(
            session,
            ann,
            [
                (0, "lesson_started", "welcome"),
                (0.1, "lesson_completed", "welcome"),
                (1, "lesson_started", "setup"),
                (1.1, "lesson_completed", "setup"),
                (2, "lesson_started", "invite"),
                (2.1, "lesson_completed", "invite"),
            ],
        )
        _lessons(session, bob, [(1, "lesson_started", "welcome"), (1.1, "lesson_completed", "welcome")])
        _lessons(session, bob, [(2, "lesson_started", "setup"), (7, "lesson_completed", "setup")])
        _lessons(session, cem, [(3, "lesson_started", "welcome")])
        _lessons(session, dan, [(-3, "lesson_started", "invite"), (1, "lesson_completed", "invite")])
        _lessons(session, eve, [(4, "lesson_started", "invite")])  # a deep link straight to it

        first = _attempt(session, ann, passed=True, finished=day(2))
        failed = _attempt(session, bob, passed=False, finished=day(3))
        _attempt(session, bob, passed=True, finished=day(3.1), retry=True)  # retries are not attempts
        _attempt(session, cem, passed=None, finished=None)  # still going
        _attempt(session, dan, passed=True, finished=day(-2))  # before the week
        _answered(session, first, "a", right=1, wrong=3, at=day(2))
        _answered(session, failed, "a", right=0, wrong=2, at=day(3))  # a: 1 of 6 right
        _answered(session, first, "b", right=4, wrong=1, at=day(2))  # b: 4 of 5
        _answered(session, failed, "c", right=0, wrong=4, at=day(3))  # c: 4 answers, too few to rank
        _answered(session, first, "d", right=2, wrong=8, at=day(2))  # d: 2 of 10
        _answered(session, failed, "b", right=0, wrong=5, at=day(-1))  # before the week

        for learner_id, score, when in ((ann, "2/3", 5), (bob, "2/3", 5), (cem, "1/1", 6), (dan, "0/5", -1)):
            logged(session, learner_id, [day(when)], direction="mark", kind="review_completed", detail=score)


def _report(
    database: Database, segment: ReportSegment = EVERYONE, courses: tuple[Course, ...] = ()
) -> LearningReport:
    with database.transaction() as session:
        return learning_report(session, WEEK, segment, NOW, "en", courses=courses)


def test_a_week_of_learning(database: Database) -> None:
    _history(database)

    assert _report(database, courses=(ONBOARDING,)) == LearningReport(
        enrolments=3,
        completed=2,
        completion_rate=2 / 3,
        median_days_to_complete=4.0,
        funnel=(
            FunnelStep("onboarding", "welcome", reached=3, completed=2),  # cem stopped
            FunnelStep("onboarding", "setup", reached=2, completed=2),  # bob finished it the week after
            FunnelStep("onboarding", "invite", reached=2, completed=1),  # dan started it before the week
        ),
        quiz_attempts=2,
        quiz_pass_rate=0.5,
        hardest_questions=(
            HardQuestion("basics", "a", answered=6, right=1),
            HardQuestion("basics", "d", answered=10, right=2),
            HardQuestion("basics", "b", answered=5, right=4),
        ),
        review_asked=7,
        review_right=5,
        review_recall=5 / 7,
    )


def test_without_the_content_the_funnel_is_ordered_by_reach(database: Database) -> None:
    _history(database)

    funnel = _report(database).funnel

    assert [(step.lesson_id, step.reached, step.completed) for step in funnel] == [
        ("welcome", 3, 2),
        ("invite", 2, 1),
        ("setup", 2, 2),
    ]
    assert [step.drop_off for step in funnel] == pytest.approx([1 / 3, 0.5, 0.0])


def test_a_segment_and_an_empty_week(database: Database) -> None:
    _history(database)

    pro = _report(database, ReportSegment(plans=("pro",)))
    with database.transaction() as session:
        empty = learning_report(
            session, period_containing("week", date(2026, 2, 9), ZoneInfo("UTC")), EVERYONE, NOW, "en"
        )

    assert (pro.enrolments, pro.completed, pro.median_days_to_complete, pro.quiz_pass_rate) == (
        1,
        1,
        2.0,
        1.0,
    )
    assert (pro.review_asked, pro.review_right, len(pro.funnel)) == (3, 2, 3)
    assert empty == LearningReport(0, 0, None, None, (), 0, None, (), 0, 0, None)
