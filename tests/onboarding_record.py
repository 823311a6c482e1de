"""What the database must hold after a learner walks the bundled onboarding course the way
the console, Telegram and Slack end-to-end tests do: every lesson done, the quiz passed
4/4, NPS 9 with its comment and the optional free text. One place, so the three
platforms are held to exactly the same outcome."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Enrolment, QuizAnswer, QuizAttempt, SurveyAnswer, SurveyResponse

ONBOARDING_LESSONS = ["welcome", "first-project", "invite-team", "stay-on-track", "wrap-up"]


def assert_onboarding_walk_recorded(session: Session) -> None:
    enrolment = session.scalars(select(Enrolment)).one()
    assert (enrolment.course_id, enrolment.status) == ("onboarding", "completed")
    assert enrolment.completed_lessons == ONBOARDING_LESSONS
    attempt = session.scalars(select(QuizAttempt)).one()
    assert (attempt.quiz_id, attempt.correct_count, attempt.score_percent, attempt.passed) == (
        "onboarding-check",
        4,
        100,
        True,
    )
    assert session.scalar(select(func.count()).select_from(QuizAnswer)) == 4
    response = session.scalars(select(SurveyResponse)).one()
    assert (response.survey_id, response.completed_at is not None) == ("nps", True)
    answers = session.scalars(select(SurveyAnswer).order_by(SurveyAnswer.id)).all()
    assert [(a.question_id, a.score, a.band, a.comment) for a in answers] == [
        ("score", 9, "promoter", "The Workload view"),
        ("anything_else", None, None, "Keep it up"),
    ]
