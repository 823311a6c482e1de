"""The content as xAPI activities: an IRI under `xapi_activity_base` for each course,
lesson, quiz, question and survey question, and its definition from the YAML.

An id is the content's own ids in a path (`courses/basics/lessons/one`), so it stays the
same for as long as the author keeps the ids; an activity the content no longer has still
gets its id and type, without a name.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from bot.content.model import (
    ContentPack,
    LocalText,
    QuizQuestion,
    RunQuiz,
    SurveyQuestion,
    SurveyQuestionType,
)
from bot.xapi.statements import (
    ASSESSMENT,
    COURSE,
    INTERACTION,
    LESSON,
    SURVEY,
    Activity,
    InteractionComponent,
)


class Activities:
    def __init__(self, pack: ContentPack, base: str) -> None:
        self._pack = pack
        self._base = base
        self._courses_of_quiz = _courses_running_quizzes(pack)

    def course(self, course_id: str) -> Activity:
        course = self._pack.courses.get(course_id)
        return Activity(self._iri("courses", course_id), COURSE, _names(course.title if course else None))

    def lesson(self, course_id: str, lesson_id: str) -> Activity:
        course = self._pack.courses.get(course_id)
        lesson = course.lesson(lesson_id) if course else None
        return Activity(
            self._iri("courses", course_id, "lessons", lesson_id),
            LESSON,
            _names(lesson.title if lesson else None),
        )

    def quiz(self, quiz_id: str) -> Activity:
        quiz = self._pack.quizzes.get(quiz_id)
        return Activity(self._iri("quizzes", quiz_id), ASSESSMENT, _names(quiz.title if quiz else None))

    def course_of_quiz(self, quiz_id: str) -> str | None:
        """The course whose lessons run this quiz, when exactly one does."""
        courses = self._courses_of_quiz.get(quiz_id, ())
        return courses[0] if len(courses) == 1 else None

    def question(self, quiz_id: str, question_id: str) -> Activity:
        quiz = self._pack.quizzes.get(quiz_id)
        question = quiz.question(question_id) if quiz else None
        iri = self._iri("quizzes", quiz_id, "questions", question_id)
        if question is None:
            return Activity(iri, INTERACTION, {}, "choice")
        return Activity(
            iri,
            INTERACTION,
            _names(question.text),
            "choice",
            choices=tuple(
                InteractionComponent(option.id, _names(option.text)) for option in question.options
            ),
            correct_responses=(_correct_pattern(question),),
        )

    def survey(self, survey_id: str) -> Activity:
        survey = self._pack.surveys.get(survey_id)
        return Activity(self._iri("surveys", survey_id), SURVEY, _names(survey.title if survey else None))

    def rating(self, survey_id: str, question_id: str, question_type: str) -> Activity:
        """A score question as a likert interaction: NPS 0..10, CSAT 1..5."""
        survey = self._pack.surveys.get(survey_id)
        question = next((q for q in survey.questions if q.id == question_id), None) if survey else None
        points = range(11) if question_type == SurveyQuestionType.NPS else range(1, 6)
        locale = survey.default_locale if survey else self._pack.default_locale
        return Activity(
            self._iri("surveys", survey_id, "questions", question_id),
            INTERACTION,
            _question_names(question),
            "likert",
            scale=tuple(InteractionComponent(str(point), {locale: str(point)}) for point in points),
        )

    def _iri(self, *segments: str) -> str:
        return self._base + "/".join(quote(segment, safe="") for segment in segments)


def _names(text: LocalText | None) -> Mapping[str, str]:
    return dict(text.variants) if text else {}


def _question_names(question: SurveyQuestion | None) -> Mapping[str, str]:
    return _names(question.text) if question else {}


def _correct_pattern(question: QuizQuestion) -> str:
    """The right option ids in the quiz's order, joined as xAPI joins a choice response."""
    return "[,]".join(option.id for option in question.options if option.correct)


def _courses_running_quizzes(pack: ContentPack) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for course in pack.courses.values():
        for lesson in course.lessons:
            for step in lesson.steps:
                if isinstance(step.action, RunQuiz) and course.id not in found.get(step.action.quiz_id, []):
                    found.setdefault(step.action.quiz_id, []).append(course.id)
    return {quiz_id: tuple(courses) for quiz_id, courses in found.items()}
