"""Learners keep their place and their answers go to the prompt they were shown: coming
back to a quiz's retry offer, a FAQ answer's lesson button, skipped lessons, what failing a
quiz means (the author's choice), the course's description, and `start COURSE/LESSON`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.engine import Engine
from bot.messages import ChoiceAccepted, ChoicePrompt, QuizQuestionReply, TextReply
from bot.metrics.learning import FunnelStep, learning_report
from bot.metrics.periods import period_containing
from bot.metrics.segment import ReportSegment
from bot.phrases import phrase
from storage.db import Database
from storage.models import Enrolment, Interaction, SurveyAnswer
from tests.engine.chat import Chat, Clock

CONTENT = Path(__file__).parent / "flows"
RETRY_OFFER = "Would you like to retry the question you missed?"


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([CONTENT])


@pytest.fixture
def engine(pack: ContentPack, database: Database) -> Engine:
    return Engine(pack, database, clock=Clock())


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


def marks(database: Database) -> list[tuple[str, str | None]]:
    with database.transaction() as session:
        rows = session.execute(
            select(Interaction.kind, Interaction.content_id)
            .where(Interaction.direction == "mark")
            .order_by(Interaction.id)
        ).all()
    return [(kind, content_id) for kind, content_id in rows]


def enrolment(database: Database, course_id: str = "tour") -> Enrolment:
    with database.transaction() as session:
        found = session.scalars(select(Enrolment).where(Enrolment.course_id == course_id)).one()
        session.expunge(found)
        return found


def at_the_retry_offer(chat: Chat) -> None:
    chat.say("courses")
    chat.press("Tour")
    chat.press("Yes")  # intro
    chat.press("Next lesson")  # basics: the warmup quiz
    chat.press("False")
    assert chat.replies[-1] == ChoicePrompt(RETRY_OFFER, chat.choices(), chat.replies[-1].prompt_id)  # type: ignore[union-attr]


def _restarted(chat: Chat) -> None:
    old = chat.engine
    chat.engine = Engine(old.content, old.database, faq=old.faq, clock=old.clock)
    chat.say("start")


COMING_BACK: dict[str, Callable[[Chat], object]] = {
    "start": lambda chat: chat.say("start"),
    "resume": lambda chat: chat.say("resume"),
    "the course's deep link": lambda chat: chat.send("/start tour", start_payload="tour"),
    "the course list": lambda chat: (chat.say("courses"), chat.press("▶ Tour")),
    "a restart": _restarted,
}


@pytest.mark.parametrize("way", COMING_BACK)
def test_a_learner_back_at_the_retry_offer_finds_it_and_1_means_retry(
    chat: Chat, database: Database, way: str
) -> None:
    at_the_retry_offer(chat)
    offer = chat.replies[-1]

    COMING_BACK[way](chat)

    assert chat.replies[-1] == offer  # the same buttons, still live
    assert chat.say("1")[0] == ChoiceAccepted(offer.prompt_id, "Retry missed")  # type: ignore[union-attr]
    assert isinstance(chat.replies[-1], QuizQuestionReply)
    with database.transaction() as session:
        assert session.scalars(select(SurveyAnswer)).all() == []


def test_a_faq_answers_lesson_button_opens_that_lesson_and_no_other(chat: Chat, database: Database) -> None:
    chat.say("start")
    chat.say("how do I go deeper?")
    replies = chat.press("📘 Lesson: Deep")

    assert replies[1:] == (
        TextReply("Three short lessons about colours."),
        TextReply("📘 Lesson 3 of 3: Deep"),
        TextReply("Deeper."),
        TextReply("📝 Quiz: Gate (1 question)"),
        replies[-1],
    )
    started = [content_id for kind, content_id in marks(database) if kind.startswith("lesson_")]
    assert started == ["tour/deep"]
    assert enrolment(database).completed_lessons == []


def test_a_faq_lesson_button_pressed_once_a_lesson_is_open_keeps_the_lesson(chat: Chat) -> None:
    chat.say("start")
    chat.say("how do I go deeper?")
    lesson_button = next(c for c in chat.choices() if c.label == "📘 Lesson: Deep")
    chat.press("👍 Helped")
    chat.say("courses")
    chat.press("Tour")
    open_prompt = chat.replies[-1]

    assert chat.send(choices=(lesson_button.id,)) == (TextReply(phrase("expired", "en")), open_prompt)


def test_a_skipped_lesson_is_recorded_as_skipped_and_not_counted(chat: Chat, database: Database) -> None:
    chat.say("courses")
    chat.press("Tour")

    replies = chat.press("Skip this lesson")
    assert replies[1] == TextReply("⏭ Lesson skipped: Intro")
    assert replies[2] == ChoicePrompt("Ready for the next lesson, “Basics”?", chat.choices(), "3")
    assert ("lesson_skipped", "tour/intro") in marks(database)
    assert ("lesson_completed", "tour/intro") not in marks(database)
    assert enrolment(database).completed_lessons == []
    assert chat.say("progress")[0] == TextReply("Your progress:\n• Tour: 0 of 3 lessons")


def test_a_course_ended_with_a_lesson_skipped_is_not_completed(
    chat: Chat, database: Database, pack: ContentPack
) -> None:
    chat.say("courses")
    chat.press("Tour")
    for label in ("Skip this lesson", "Next lesson", "True", "5", "Next lesson", "True", "True"):
        chat.press(label)

    assert chat.replies[-1] == TextReply(phrase("course_ended_skipped", "en", title="Tour"))
    ended = enrolment(database)
    assert (ended.status, ended.completed_at, ended.completed_lessons) == ("ended", None, ["basics", "deep"])
    assert "course_completed" not in [kind for kind, _ in marks(database)]
    week = period_containing("week", date(2026, 11, 24), ZoneInfo("UTC"))
    with database.transaction() as session:
        report = learning_report(
            session,
            week,
            ReportSegment(),
            datetime(2026, 12, 1, tzinfo=UTC),
            "en",
            courses=(pack.courses["tour"],),
        )
    assert (report.enrolments, report.completed) == (1, 0)
    assert report.funnel[0] == FunnelStep("tour", "intro", reached=1, completed=0)


def test_a_quiz_that_must_be_passed_offers_only_a_retry_until_it_is(chat: Chat, database: Database) -> None:
    chat.say("start tour/deep")
    replies = chat.press("False")

    assert replies[-1] == ChoicePrompt(
        "To go on, pass the quiz: try the question you missed again.",
        chat.choices(),
        replies[-1].prompt_id,  # type: ignore[union-attr]
    )
    assert [choice.label for choice in chat.choices()] == ["Retry missed"]
    assert chat.say("2") == (TextReply(phrase("reprompt_choice_console", "en")), replies[-1])
    chat.press("Retry missed")
    chat.press("False")
    chat.press("Retry missed")
    assert chat.press("True")[-1] == QuizQuestionReply(
        question="Grass is green.",
        choices=chat.choices(),
        correct=(chat.choices()[0].id,),
        multiple=False,
        explanation="",
        prompt_id=chat.replies[-1].prompt_id,  # type: ignore[union-attr]
        number=1,
        total=1,
    )


def test_a_quiz_failed_sends_the_learner_to_its_lesson_then_the_quiz_again(
    chat: Chat, database: Database
) -> None:
    chat.say("start tour/deep")
    chat.press("True")  # the gate, passed

    assert chat.press("False")[-4:] == (
        TextReply("You scored 0/1 (0%). The pass mark is 100%."),
        TextReply("Let's go over “Recap” again, then try the quiz once more."),
        TextReply("Recap: red is a colour."),
        chat.replies[-1],
    )
    assert chat.say("resume")[-1] == chat.replies[-1]  # the recap's question stays the place
    replies = chat.press("Ready")
    assert replies[1:3] == (
        TextReply("✅ Lesson complete: Recap"),
        TextReply("📝 Quiz: Deep check (1 question)"),
    )
    assert chat.press("True")[-4:-1] == (
        TextReply("You scored 1/1 (100%) and passed! 🎉"),
        TextReply("All deep."),
        TextReply("✅ Lesson complete: Deep"),
    )
    assert enrolment(database).completed_lessons == ["deep"]
    assert ("remedial_completed", "refresh/recap") in marks(database)
    with database.transaction() as session:
        assert session.scalars(select(Enrolment.course_id)).all() == ["tour"]


def test_the_course_description_comes_before_its_first_lesson(chat: Chat) -> None:
    chat.say("courses")

    assert chat.press("Tour")[1:3] == (
        TextReply("Three short lessons about colours."),
        TextReply("📘 Lesson 1 of 3: Intro"),
    )


def test_start_course_lesson_opens_that_lesson_where_the_course_allows_it(chat: Chat) -> None:
    assert chat.say("start tour/deep")[2:4] == (TextReply("📘 Lesson 3 of 3: Deep"), TextReply("Deeper."))


def test_start_course_lesson_goes_by_the_course_where_lessons_come_in_order(chat: Chat) -> None:
    assert chat.say("start refresh/extra")[1] == TextReply("📘 Lesson 1 of 2: Recap")


def test_an_authors_preview_opens_any_lesson(pack: ContentPack, database: Database) -> None:
    author = Chat(Engine(pack, database, clock=Clock(), every_lesson_open=True), user="author")

    assert author.say("start refresh/extra")[1:] == (
        TextReply("📘 Lesson 2 of 2: Extra"),
        TextReply("Something extra."),
        TextReply("✅ Lesson complete: Extra"),
        TextReply(phrase("course_ended_skipped", "en", title="Refresh")),
    )
