"""Conversations with the engine on a small course, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.engine import Engine
from bot.messages import (
    Choice,
    ChoiceAccepted,
    ChoicePrompt,
    Platform,
    QuizQuestionReply,
    RatingScale,
    Sender,
    TextReply,
)
from bot.phrases import phrase
from storage.db import Database
from storage.models import (
    Enrolment,
    FaqQuestion,
    Interaction,
    Learner,
    QuizAnswer,
    QuizAttempt,
    SurveyAnswer,
    SurveyResponse,
)
from tests.engine.chat import Chat, Clock

CONTENT = Path(__file__).parent / "content"


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([CONTENT])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(pack: ContentPack, database: Database, clock: Clock) -> Engine:
    return Engine(pack, database, clock=clock)


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


def test_a_new_learner_is_greeted_and_offered_the_courses(chat: Chat) -> None:
    replies = chat.say("/start")

    assert replies == (
        TextReply(phrase("welcome_new", "en", name="Ann")),
        ChoicePrompt("Which course would you like to take?", (Choice("1.0", "Basics"),), "1"),
    )


def test_a_whole_course_is_taken_and_recorded(chat: Chat, database: Database) -> None:
    chat.say("start")
    assert chat.press("Basics") == (
        ChoiceAccepted("1", "Basics"),
        TextReply("📘 Lesson 1 of 2: Lesson one"),
        TextReply("Hello Ann!"),
        ChoicePrompt("Pick a colour", (Choice("2.0", "Red"), Choice("2.1", "Blue")), "2"),
    )
    assert chat.press("Blue") == (
        ChoiceAccepted("2", "Blue"),
        TextReply("Blue is calm."),
        TextReply("Name your project"),
    )
    assert chat.say("Apollo") == (
        TextReply("Project Apollo in blue."),
        TextReply("✅ Lesson complete: Lesson one"),
        ChoicePrompt(
            "Ready for the next lesson, “Lesson two”?",
            (Choice("3.0", "Next lesson"), Choice("3.1", "Later")),
            "3",
        ),
    )
    replies = chat.press("Next lesson")
    assert replies[:4] == (
        ChoiceAccepted("3", "Next lesson"),
        TextReply("📘 Lesson 2 of 2: Lesson two"),
        TextReply("Time for a quiz."),
        TextReply("📝 Quiz: Check (3 questions)"),
    )
    assert replies[4] == QuizQuestionReply(
        question="Which is a colour?",
        choices=(Choice("4.0", "Red"), Choice("4.1", "Seven")),
        correct=("4.0",),
        multiple=False,
        explanation="Colours are not numbers.",
        prompt_id="4",
        number=1,
        total=3,
    )
    assert chat.press("Red")[:2] == (
        ChoiceAccepted("4", "Red"),
        TextReply("✅ Correct!\nYes, red is a colour.\nColours are not numbers."),
    )
    chat.press("Two")
    chat.press("Three")
    toggled = chat.replies[-1]
    assert isinstance(toggled, QuizQuestionReply)
    assert [choice.label for choice in toggled.choices if choice.id in toggled.selected] == ["Two", "Three"]
    assert chat.press("Submit answer")[:2] == (
        ChoiceAccepted("5", "Two, Three"),
        TextReply("❌ Not quite. The right answer: Two, Four"),
    )
    assert chat.press("False")[:2] == (ChoiceAccepted("6", "False"), TextReply("✅ Correct!"))
    assert chat.texts()[-1] == "You scored 2/3 (67%). The pass mark is 70%."
    chat.press("Retry missed")
    assert chat.replies[1] == TextReply("📝 Retry: the question you missed")
    chat.say("1, 3")
    assert chat.texts()[-1] == "You scored 3/3 (100%) and passed! 🎉"
    scale = chat.replies[-1]
    assert isinstance(scale, RatingScale)
    assert [choice.label for choice in scale.choices] == [str(score) for score in range(11)]
    assert chat.press("3")[-1] == ChoicePrompt(
        "What should we fix?\nType your answer below.", (Choice("10.0", "Skip"),), "10"
    )
    assert chat.say("More dark mode") == (
        ChoiceAccepted("10", "More dark mode"),  # the Skip button goes, as after a press
        ChoicePrompt("Anything else?\nType your answer below.", (Choice("11.0", "Skip"),), "11"),
    )
    assert chat.press("Skip") == (
        ChoiceAccepted("11", "Skip"),
        TextReply("Thanks Ann!"),
        ChoicePrompt("All done.", (Choice("cta", "Open the app", url="https://app.example.com"),)),
        TextReply("✅ Lesson complete: Lesson two"),
        TextReply("🎉 You've finished “Basics”!"),
    )

    with database.transaction() as session:
        learner = session.scalars(select(Learner)).one()
        assert learner.answers == {"colour": "blue", "project": "Apollo"}
        enrolment = session.scalars(select(Enrolment)).one()
        assert (enrolment.status, enrolment.completed_lessons, enrolment.lesson_id) == (
            "completed",
            ["one", "two"],
            None,
        )
        attempts = session.scalars(select(QuizAttempt).order_by(QuizAttempt.id)).all()
        assert [(a.is_retry, a.score_percent, a.passed) for a in attempts] == [
            (False, 67, False),
            (True, 100, True),
        ]
        answers = session.scalars(select(QuizAnswer).order_by(QuizAnswer.id)).all()
        assert [(a.question_id, a.chosen, a.correct) for a in answers] == [
            ("q1", "a", True),
            ("q2", "a,b", False),
            ("q3", "false", True),
            ("q2", "a,c", True),
        ]
        response = session.scalars(select(SurveyResponse)).one()
        assert response.completed_at is not None
        nps = session.scalars(select(SurveyAnswer)).one()
        assert (nps.score, nps.band, nps.comment) == (3, "detractor", "More dark mode")
        sent = session.execute(
            select(Interaction.content_id, Interaction.kind, Interaction.detail).where(
                Interaction.direction == "out"
            )
        ).all()
        assert ("basics/one/0", "text", "Hello Ann!") in sent
        assert ("basics/one/1", "choice_accepted", "Blue") in sent
        assert ("check/q1", "quiz_question", "Which is a colour?") in sent
        assert ("nps/score", "choice_accepted", "3") in sent
        marks = session.scalars(select(Interaction.kind).where(Interaction.direction == "mark")).all()
        for milestone in (
            "enrolled",
            "lesson_completed",
            "quiz_completed",
            "survey_completed",
            "course_completed",
        ):
            assert milestone in marks


def test_the_same_event_delivered_twice_is_handled_once(chat: Chat, database: Database) -> None:
    first = chat.send("start", event_id="telegram-update-7")
    again = chat.send("start", event_id="telegram-update-7")

    assert first != ()
    assert again == ()
    with database.transaction() as session:
        inbound = session.scalars(select(Interaction).where(Interaction.direction == "in")).all()
        assert len(inbound) == 1


def test_a_restarted_engine_continues_at_the_same_step(
    pack: ContentPack, database: Database, clock: Clock
) -> None:
    chat = Chat(Engine(pack, database, clock=clock))
    chat.say("start")
    chat.press("Basics")
    chat.press("Red")

    reopened = Database(database.url)
    try:
        restarted = Chat(Engine(pack, reopened, clock=clock))
        assert restarted.say("resume") == (TextReply("Name your project"),)
        assert restarted.say("Zeus")[0] == TextReply("Project Zeus in red.")
    finally:
        reopened.dispose()


def test_typing_nonsense_at_a_button_step_re_prompts_with_the_choices(chat: Chat) -> None:
    chat.say("start")
    chat.press("Basics")

    assert chat.say("banana") == (
        TextReply("Please pick one of the options: type its number."),  # a terminal has no taps
        ChoicePrompt("Pick a colour", (Choice("2.0", "Red"), Choice("2.1", "Blue")), "2"),
    )
    assert chat.say("2")[:2] == (ChoiceAccepted("2", "Blue"), TextReply("Blue is calm."))


def test_on_a_chat_platform_the_re_prompt_mentions_buttons(engine: Engine) -> None:
    chat = Chat(engine)
    chat.sender = Sender(Platform.TELEGRAM, "ann", first_name="Ann")
    chat.say("start")
    chat.press("Basics")

    assert chat.say("banana")[0] == TextReply(
        "Please pick one of the options (tap a button or type its number)."
    )


def test_typing_a_label_counts_as_pressing_it(chat: Chat) -> None:
    chat.say("start")
    chat.press("Basics")

    assert chat.say("red")[:2] == (ChoiceAccepted("2", "Red"), TextReply("Red is bold."))


def test_a_stale_button_does_nothing_twice(chat: Chat) -> None:
    chat.say("start")
    chat.press("Basics")
    red = chat.choices()[0]
    chat.send(choices=(red.id,))

    assert chat.send(choices=(red.id,)) == (
        TextReply("That button has expired. Here's where we are:"),
        TextReply("Name your project"),
    )


def test_a_score_out_of_range_is_re_prompted(chat: Chat) -> None:
    chat.say("start")
    chat.press("Basics")
    chat.press("Red")
    chat.say("X")
    chat.press("Next lesson")
    chat.press("Red")
    chat.say("1,3")
    chat.press("False")
    scale = chat.replies[-1]
    assert isinstance(scale, RatingScale)

    assert chat.say("11") == (TextReply("Please choose a score from 0 to 10."), scale)
    assert chat.say("10")[0] == ChoiceAccepted(scale.prompt_id, "10")


def test_unknown_commands_get_help(chat: Chat) -> None:
    assert chat.say("/dance") == (
        TextReply("I don't know the command “/dance”."),
        TextReply(phrase("help", "en")),
    )


def test_stop_and_start_again(chat: Chat, database: Database) -> None:
    chat.say("start")
    assert chat.say("stop") == (TextReply(phrase("stopped", "en")),)
    with database.transaction() as session:
        assert session.scalars(select(Learner.subscribed)).one() is False

    assert chat.say("/start")[0] == TextReply("You're subscribed again.")
    with database.transaction() as session:
        assert session.scalars(select(Learner.subscribed)).one() is True


def test_language_switches_content_and_bot_phrases(chat: Chat) -> None:
    chat.say("start")
    assert chat.say("language ko") == (TextReply("언어 설정: 한국어."),)

    chat.say("courses")
    assert chat.press("기초")[1:3] == (TextReply("📘 레슨 1/2: 레슨 일"), TextReply("안녕하세요 Ann님!"))


def test_an_unknown_language_is_explained(chat: Chat) -> None:
    assert chat.say("/language xx") == (
        TextReply("I don't speak “xx” yet. Available: English (en), 한국어 (ko)."),
    )


def test_the_platform_locale_is_used_until_the_learner_chooses(engine: Engine) -> None:
    korean = Chat(engine, "kim", locale="ko-KR", first_name="Kim")

    assert korean.say("start")[0] == TextReply(phrase("welcome_new", "ko", name="Kim"))


def test_a_deep_link_enrols_and_records_the_source(chat: Chat, database: Database) -> None:
    replies = chat.send("/start basics", start_payload="basics")

    assert TextReply("📘 Lesson 1 of 2: Lesson one") in replies
    with database.transaction() as session:
        assert session.scalars(select(Learner.source)).one() == "basics"
        assert session.scalars(select(Enrolment.source)).one() == "basics"


def test_a_question_is_answered_and_rated(chat: Chat, database: Database) -> None:
    assert chat.say("I forgot my password") == (
        TextReply("Use the Forgot password link on the sign-in page."),
        ChoicePrompt(
            "Did that answer your question?",
            (
                Choice("1.0", "👍 Helped"),
                Choice("1.1", "🙋 Need a human"),
                Choice("1.2", "📘 Lesson: Lesson one"),
            ),
            "1",
        ),
    )
    assert chat.press("👍 Helped") == (ChoiceAccepted("1", "👍 Helped"), TextReply("Glad that helped!"))
    with database.transaction() as session:
        row = session.scalars(select(FaqQuestion)).one()
        assert (row.decision, row.entry_id, row.outcome) == ("answered", "reset-password", "helped")
        answer = select(Interaction.content_id).where(
            Interaction.detail == "Use the Forgot password link on the sign-in page."
        )
        assert session.scalars(answer).one() == "reset-password"


def test_a_question_with_nothing_close_is_not_guessed(chat: Chat, database: Database) -> None:
    assert chat.say("what is the airspeed of a swallow") == (
        TextReply(phrase("faq_unanswered", "en") + "\nWrite to help@example.com (weekdays 9-17)."),
    )
    with database.transaction() as session:
        row = session.scalars(select(FaqQuestion)).one()
        assert (row.decision, row.entry_id) == ("unanswered", None)


def test_need_a_human_gives_the_support_contact(chat: Chat, database: Database) -> None:
    chat.say("ask where do I find my invoices")
    assert chat.press("🙋 Need a human")[1] == TextReply(
        "I've noted that you'd like a person to help with this.\nWrite to help@example.com (weekdays 9-17)."
    )
    with database.transaction() as session:
        assert session.scalars(select(FaqQuestion.outcome)).one() == "need_human"


def test_a_question_in_the_middle_of_a_lesson_returns_to_the_lesson(chat: Chat) -> None:
    chat.say("start")
    chat.press("Basics")
    assert chat.say("how do I export my data?")[0] == TextReply("Settings, Export, Download.")
    assert chat.press("👍 Helped")[-1] == ChoicePrompt(
        "Pick a colour", (Choice("2.0", "Red"), Choice("2.1", "Blue")), "2"
    )


def test_learner_text_is_never_evaluated_as_a_template(chat: Chat) -> None:
    chat.say("start")
    chat.press("Basics")
    chat.press("Red")

    assert chat.say("{{ 7 * 7 }}")[0] == TextReply("Project {{ 7 * 7 }} in red.")


def test_progress_shows_lessons_and_best_quiz_score(chat: Chat) -> None:
    assert chat.say("progress") == (TextReply(phrase("no_progress", "en")),)
    chat.say("start")
    chat.press("Basics")
    chat.press("Red")
    chat.say("X")

    assert chat.say("/progress") == (TextReply("Your progress:\n• Basics: 1 of 2 lessons"),)


def test_an_internal_error_gets_an_apology_not_a_trace(
    pack: ContentPack, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    class BrokenMatcher:
        def match(self, question: str, locale: str) -> object:
            raise RuntimeError("index is corrupt")

    chat = Chat(Engine(pack, database, faq=BrokenMatcher()))  # type: ignore[arg-type]

    assert chat.say("how do I export?") == (TextReply(phrase("apology", "en")),)
    assert "index is corrupt" in caplog.text
    assert chat.say("help") == (TextReply(phrase("help", "en")),)


def test_a_long_typed_answer_replaces_the_skip_button_shortened(chat: Chat, database: Database) -> None:
    for step in ("start", "Basics", "Blue", "Apollo", "Next lesson", "Red", "Two", "Three"):
        if step in ("start", "Apollo"):
            chat.say(step)
        else:
            chat.press(step)
    for step in ("Submit answer", "False", "Retry missed"):
        chat.press(step)
    chat.say("1, 3")
    chat.press("3")
    answer = "Dark mode, please, and a calendar view that shows every project's deadlines at once."
    assert chat.say(answer)[0] == ChoiceAccepted("10", answer[:74] + "…")
    with database.transaction() as session:
        comment = session.scalars(select(SurveyAnswer.comment).where(SurveyAnswer.comment.is_not(None))).one()
    assert comment == answer  # stored whole; only the label on screen is cut
