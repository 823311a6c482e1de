"""A question asked in the middle of something: whatever is pressed under the answer, the
learner is back at the very prompt that was open, and nothing was completed or skipped.

Three places a learner can be (a lesson's buttons, the quiz's "retry the questions you
missed?", a survey's score), each with every button the FAQ puts under what it says.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import HandoffSettings
from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.engine import Engine
from bot.messages import ChoiceAccepted, ChoicePrompt, RatingScale, TextReply
from bot.phrases import phrase
from storage.db import Database
from storage.models import Interaction
from tests.engine.chat import Chat, Clock

CONTENT = Path(__file__).parent / "content"
EXPORT_ANSWER = TextReply("Settings, Export, Download.")
CONTACT = "\nWrite to help@example.com (weekdays 9-17)."
FLOW_MARKS = {
    "lesson_answered",
    "lesson_completed",
    "lesson_started",
    "quiz_answered",
    "quiz_completed",
    "quiz_retried",
    "quiz_started",
    "survey_answered",
    "survey_skipped",
    "survey_completed",
    "course_completed",
}


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([CONTENT])


def at_a_lesson_step(chat: Chat) -> None:
    chat.say("start")
    chat.press("Basics")


def at_the_retry_prompt(chat: Chat) -> None:
    chat.say("start")
    for label in ("Basics", "Blue"):
        chat.press(label)
    chat.say("Apollo")
    for label in ("Next lesson", "Red", "Two", "Three", "Submit answer", "False"):
        chat.press(label)


def at_a_survey_score(chat: Chat) -> None:
    at_the_retry_prompt(chat)
    chat.press("Retry missed")
    chat.say("1, 3")


PLACES: dict[str, Callable[[Chat], None]] = {
    "lesson step": at_a_lesson_step,
    "retry prompt": at_the_retry_prompt,
    "survey score": at_a_survey_score,
}


def _open_prompt(chat: Chat) -> ChoicePrompt | RatingScale:
    prompt = chat.replies[-1]
    assert isinstance(prompt, ChoicePrompt | RatingScale)
    return prompt


def _ask_about_exporting(chat: Chat) -> ChoicePrompt:
    """The learner asks (typed, or with `ask` where text would be an answer)."""
    replies = chat.say("ask how do I export my data?")
    assert replies[0] == EXPORT_ANSWER
    feedback = replies[1]
    assert isinstance(feedback, ChoicePrompt)
    assert [choice.label for choice in feedback.choices] == ["👍 Helped", "🙋 Need a human"]
    return feedback


def _flow_marks_since(database: Database, interaction_id: int) -> list[str]:
    with database.transaction() as session:
        kinds = session.scalars(
            select(Interaction.kind).where(Interaction.id > interaction_id, Interaction.direction == "mark")
        ).all()
    return [kind for kind in kinds if kind in FLOW_MARKS]


def _last_interaction(database: Database) -> int:
    with database.transaction() as session:
        return max(session.scalars(select(Interaction.id)).all())


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize(
    ("button", "says"),
    [
        ("👍 Helped", "Glad that helped!"),
        ("🙋 Need a human", phrase("faq_noted_human", "en") + CONTACT),
    ],
)
def test_a_button_under_an_answer_comes_back_to_the_open_prompt(
    pack: ContentPack, database: Database, place: str, button: str, says: str
) -> None:
    chat = Chat(Engine(pack, database, clock=Clock()))
    PLACES[place](chat)
    open_prompt = _open_prompt(chat)
    before = _last_interaction(database)

    feedback = _ask_about_exporting(chat)

    assert chat.press(button) == (ChoiceAccepted(feedback.prompt_id, button), TextReply(says), open_prompt)
    assert _flow_marks_since(database, before) == []


@pytest.mark.parametrize("place", PLACES)
def test_a_hand_off_under_an_answer_comes_back_to_the_open_prompt(
    pack: ContentPack, database: Database, place: str
) -> None:
    support = HandoffSettings(webhook_url="https://helpdesk.invalid/hook", webhook_secret="s3cret")
    chat = Chat(Engine(pack, database, clock=Clock(), handoff=support))
    PLACES[place](chat)
    open_prompt = _open_prompt(chat)
    before = _last_interaction(database)

    feedback = _ask_about_exporting(chat)

    assert chat.press("🙋 Need a human") == (
        ChoiceAccepted(feedback.prompt_id, "🙋 Need a human"),
        TextReply(phrase("handoff_opened", "en")),
        open_prompt,
    )
    assert _flow_marks_since(database, before) == []


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("then", ["👍 Helped", "🙋 Need a human"])
def test_a_did_you_mean_pick_answers_and_then_comes_back_to_the_open_prompt(
    pack: ContentPack, database: Database, place: str, then: str
) -> None:
    chat = Chat(Engine(pack, database, clock=Clock()))
    PLACES[place](chat)
    open_prompt = _open_prompt(chat)
    before = _last_interaction(database)

    chat.say("ask download")
    suggestions = _open_prompt(chat)
    assert [c.label for c in chat.choices()] == [
        "How do I export my data?",
        "Where do I find my invoices?",
        "None of these",
    ]
    picked = chat.press("How do I export my data?")
    assert picked[:2] == (ChoiceAccepted(suggestions.prompt_id, "How do I export my data?"), EXPORT_ANSWER)
    feedback = picked[2]
    assert isinstance(feedback, ChoicePrompt)

    assert chat.press(then)[0] == ChoiceAccepted(feedback.prompt_id, then)
    assert chat.replies[-1] == open_prompt
    assert _flow_marks_since(database, before) == []


@pytest.mark.parametrize("place", PLACES)
def test_none_of_the_suggestions_comes_back_to_the_open_prompt(
    pack: ContentPack, database: Database, place: str
) -> None:
    chat = Chat(Engine(pack, database, clock=Clock()))
    PLACES[place](chat)
    open_prompt = _open_prompt(chat)
    before = _last_interaction(database)

    chat.say("ask download")
    suggestions = _open_prompt(chat)

    assert chat.press("None of these") == (
        ChoiceAccepted(suggestions.prompt_id, "None of these"),
        TextReply(phrase("faq_unanswered", "en") + CONTACT),
        open_prompt,
    )
    assert _flow_marks_since(database, before) == []


@pytest.mark.parametrize("place", PLACES)
def test_an_answer_mid_flow_offers_no_lesson_that_would_leave_it(
    pack: ContentPack, database: Database, place: str
) -> None:
    """Jumping to the answer's related lesson would abandon the open prompt: mid-flow the
    answer comes with Helped and Need a human only."""
    chat = Chat(Engine(pack, database, clock=Clock()))
    PLACES[place](chat)
    open_prompt = _open_prompt(chat)

    replies = chat.say("ask I forgot my password")

    assert replies[0] == TextReply("Use the Forgot password link on the sign-in page.")
    assert [c.label for c in chat.choices()] == ["👍 Helped", "🙋 Need a human"]
    assert chat.press("👍 Helped")[-1] == open_prompt


def test_the_retry_prompt_still_works_after_a_question(pack: ContentPack, database: Database) -> None:
    chat = Chat(Engine(pack, database, clock=Clock()))
    at_the_retry_prompt(chat)
    open_prompt = _open_prompt(chat)
    _ask_about_exporting(chat)
    chat.press("🙋 Need a human")

    replies = chat.press("Retry missed")

    assert replies[:2] == (
        ChoiceAccepted(open_prompt.prompt_id, "Retry missed"),
        TextReply(phrase("quiz_retry_intro", "en", count=1)),
    )


def test_stray_text_at_the_retry_prompt_is_re_prompted(pack: ContentPack, database: Database) -> None:
    chat = Chat(Engine(pack, database, clock=Clock()))
    at_the_retry_prompt(chat)
    open_prompt = _open_prompt(chat)

    assert chat.say("banana") == (TextReply(phrase("reprompt_choice_console", "en")), open_prompt)
