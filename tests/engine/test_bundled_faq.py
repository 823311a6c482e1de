"""The bundled FAQ answers what an evaluator types first, in the words they type it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.engine import Engine
from bot.messages import Choice, ChoicePrompt, TextReply
from storage.db import Database
from storage.models import FaqQuestion
from tests.engine.chat import Chat, Clock

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([ROOT / "content"])


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("how do I change my plan", "change-plan"),
        ("How do I change my plan?", "change-plan"),
        ("can I switch to a different plan", "change-plan"),
        ("cancel my subscription", "cancel-subscription"),
        ("upgrade to pro", "upgrade-plan"),
        ("reset my password", "reset-password"),
        ("talk to a human", "contact-support"),
        ("I want to talk to a human", "contact-support"),
        ("can I speak to a person", "contact-support"),
        ("how do I contact support", "contact-support"),
    ],
)
def test_a_common_question_gets_its_answer(
    pack: ContentPack, database: Database, question: str, entry_id: str
) -> None:
    entry = pack.faq_entry(entry_id)
    assert entry is not None
    chat = Chat(Engine(pack, database, clock=Clock()))

    replies = chat.say(question)

    assert replies[:2] == (
        TextReply(entry.answer.pick("en")),
        ChoicePrompt(
            "Did that answer your question?",
            (Choice("1.0", "👍 Helped"), Choice("1.1", "🙋 Need a human"), *_lesson_button(pack, entry_id)),
            "1",
        ),
    )
    with database.transaction() as session:
        row = session.scalars(select(FaqQuestion)).one()
        assert (row.decision, row.entry_id) == ("answered", entry_id)


def _lesson_button(pack: ContentPack, entry_id: str) -> tuple[Choice, ...]:
    entry = pack.faq_entry(entry_id)
    if entry is None or entry.lesson is None:
        return ()
    lesson = pack.courses[entry.lesson.course_id].lesson(entry.lesson.lesson_id)
    assert lesson is not None
    return (Choice("1.2", f"📘 Lesson: {lesson.title.pick('en')}"),)
