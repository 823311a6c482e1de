"""A learner's courses and results at a glance, read without changing anything.

Platforms that can show a standing page (Slack's App Home tab) render this; it is computed
from the same rows `progress` reads, so the page and the chat never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.model import ContentPack
from bot.messages import Sender
from bot.phrases import learner_locale
from storage.db import Database
from storage.enrolments import EnrolmentRecord, learner_enrolments
from storage.learners import find_learner
from storage.models import QuizAttempt


@dataclass(frozen=True)
class CourseProgress:
    course_id: str
    title: str
    lessons_done: int
    lessons_total: int
    completed: bool
    current_lesson: str | None
    """The title of the lesson the learner is in or will start next; None once done."""
    current_number: int | None


@dataclass(frozen=True)
class QuizResult:
    quiz_id: str
    title: str
    best_percent: int
    passed: bool


@dataclass(frozen=True)
class CourseOffer:
    course_id: str
    title: str


@dataclass(frozen=True)
class Overview:
    known: bool
    """False before the learner's first event: nothing is stored about them yet."""
    locale: str
    courses: tuple[CourseProgress, ...]
    quizzes: tuple[QuizResult, ...]
    not_started: tuple[CourseOffer, ...]

    @property
    def in_progress(self) -> bool:
        return any(not course.completed for course in self.courses)


def learner_overview(content: ContentPack, database: Database, sender: Sender) -> Overview:
    """The overview of whoever `sender` is, known yet or not; changes nothing."""
    with database.transaction() as session:
        found = find_learner(session, sender.platform.value, sender.workspace, sender.user_id, lock=False)
        if found is None:
            locale = learner_locale(None, sender.locale_hint, content.default_locale)
            offers = tuple(CourseOffer(c.id, c.title.pick(locale)) for c in content.courses.values())
            return Overview(False, locale, (), (), offers)
        learner = found[0]
        locale = learner_locale(learner.locale, learner.locale_hint, content.default_locale)
        return overview_of(session, content, learner.id, locale, learner_enrolments(session, learner.id))


def overview_of(
    session: Session,
    content: ContentPack,
    learner_id: int,
    locale: str,
    enrolments: Sequence[EnrolmentRecord],
) -> Overview:
    """A known learner's overview, read in `session`, of their `enrolments` (the first
    started first): the one computation behind the `progress` command and the standing page."""
    attempts = session.scalars(
        select(QuizAttempt).where(QuizAttempt.learner_id == learner_id, QuizAttempt.finished_at.is_not(None))
    ).all()
    courses = []
    for enrolment in enrolments:
        course = content.courses.get(enrolment.course_id)
        if course is None:
            continue
        lesson = course.lesson(enrolment.lesson_id or "") if enrolment.status != "completed" else None
        courses.append(
            CourseProgress(
                course_id=course.id,
                title=course.title.pick(locale),
                lessons_done=len(enrolment.completed_lessons),
                lessons_total=len(course.lessons),
                completed=enrolment.status == "completed",
                current_lesson=lesson.title.pick(locale) if lesson else None,
                current_number=course.lessons.index(lesson) + 1 if lesson else None,
            )
        )
    best: dict[str, tuple[int, bool]] = {}
    for attempt in attempts:
        score = (attempt.score_percent or 0, bool(attempt.passed))
        best[attempt.quiz_id] = max(best.get(attempt.quiz_id, score), score)
    quizzes = tuple(
        QuizResult(quiz_id, content.quizzes[quiz_id].title.pick(locale), percent, passed)
        for quiz_id, (percent, passed) in best.items()
        if quiz_id in content.quizzes
    )
    enrolled = {course.course_id for course in courses}
    offers = tuple(
        CourseOffer(course.id, course.title.pick(locale))
        for course in content.courses.values()
        if course.id not in enrolled
    )
    return Overview(True, locale, tuple(courses), quizzes, offers)
