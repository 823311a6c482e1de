"""A learner takes the whole onboarding course in Telegram, by polling and by webhook.

The same walk as the console test (tests/cli/test_console_course.py), done the Telegram
way: `/start`, inline buttons, quiz questions answered as native quiz polls (the
multiple-answer one on a keyboard of tick boxes), the NPS keyboard, typed answers and two
FAQ questions. Afterwards both what the fake Telegram received and what the database
holds must tell exactly what happened.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.engine import Engine
from storage.db import Database
from storage.models import (
    FaqQuestion,
    Interaction,
    Learner,
    PlatformMessage,
    QuizAnswer,
)
from tests.onboarding_record import assert_onboarding_walk_recorded
from tests.telegram.fake_chats import Person
from tests.telegram.harness import Learner as TelegramLearner
from tests.telegram.harness import Mode, telegram_world

ANN = Person(51001, "Ann", "Lee", language_code="en")

# (action, what): say a message, press a button by its label, or answer the open quiz poll.
WALK = [
    ("say", "/start"),
    ("press", "Getting started with Tasklane"),
    ("press", "I lead a team"),
    ("press", "Next lesson"),
    ("say", "Apollo <launch> & co"),
    ("press", "Yes, it's there!"),
    ("press", "Next lesson"),
    ("press", "2 to 5 people"),
    ("press", "Next lesson"),
    ("press", "In Slack"),
    ("poll", "Workload"),
    ("press", "Invite them by email from Settings → Members → Invite"),
    ("press", "Share an invite link in your team chat"),
    ("press", "Submit answer"),
    ("poll", "True"),
    ("poll", "Press N"),
    ("press", "Next lesson"),
    ("say", "Write the launch plan"),
    ("press", "9"),
    ("say", "The Workload view"),
    ("say", "Keep it up"),
    ("say", "how do I reset my password"),
    ("press", "👍 Helped"),
    ("say", "can I get a refund?"),
    ("press", "🙋 Need a human"),
]


async def walk(learner: TelegramLearner) -> None:
    for action, what in WALK:
        if action == "say":
            await learner.say(what)
        elif action == "press":
            await learner.press(what)
        else:
            await learner.answer_poll(what)


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_a_learner_takes_the_onboarding_course_in_telegram(
    engine: Engine, database: Database, mode: Mode
) -> None:
    async def scenario() -> None:
        async with telegram_world(engine, mode) as world:
            fake = world.fake
            ann = TelegramLearner(world, ANN)
            await walk(ann)
            chat = ann.visible()
            assert chat[1] == (
                "bot: Hi Ann! I teach short lessons right here in chat, and I answer product questions "
                "any time. Type help to see what I can do."
            )
            assert "bot: Which course would you like to take?\n\n✅ Getting started with Tasklane" in chat
            # The learner's own text comes back escaped, never as markup.
            assert any("“Apollo <launch> & co”" in line for line in chat)
            assert "bot: You scored 4/4 (100%) and passed! 🎉" in chat
            assert "bot: 🎉 You've finished “Getting started with Tasklane”!" in chat
            assert not [line for line in chat if "Sorry" in line]
            # Three questions were native quiz polls; the multiple-answer one a keyboard.
            polls = fake.called("sendPoll")
            assert [call.params["type"] for call in polls] == ["quiz"] * 3
            assert all(call.params["is_anonymous"] is False for call in polls)
            assert all(call.params.get("explanation") for call in polls)
            # Every press got its spinner stopped, and every pressed keyboard is gone.
            presses = sum(1 for action, _ in WALK if action == "press")
            assert len(fake.called("answerCallbackQuery")) == presses
            assert all(fake.answered_queries.values())
            # No button is left, not even the Skip of a survey question answered by typing.
            live = [m.text for m in ann.transcript() if any(b.callback_data for b in m.buttons)]
            assert live == []
            assert set(fake.commands) == {"", "en", "ko"}
            assert [command["command"] for command in fake.commands["en"]] == [
                "start", "courses", "progress", "ask", "language", "timezone", "invite", "stop", "help",
            ]  # fmt: skip
            assert fake.allowed_updates == ["message", "callback_query", "poll_answer"]

    asyncio.run(scenario())
    with database.transaction() as session:
        learner = session.scalars(select(Learner)).one()
        assert (learner.first_name, learner.locale_hint, learner.locale) == ("Ann", "en", None)
        assert_onboarding_walk_recorded(session)
        answers = session.scalars(select(QuizAnswer).order_by(QuizAnswer.id)).all()
        assert [(a.question_id, a.chosen, a.correct) for a in answers] == [
            ("workload", "b", True),
            ("invite_ways", "a,b", True),
            ("slack_reminders", "true", True),
            ("new_task", "a", True),
        ]
        questions = session.scalars(select(FaqQuestion).order_by(FaqQuestion.id)).all()
        assert [(q.decision, q.outcome, q.platform) for q in questions] == [
            ("answered", "helped", "telegram"),
            ("answered", "need_human", "telegram"),
        ]
        inbound = session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.direction == "in")
        )
        assert inbound == len(WALK)
        polls = session.scalar(
            select(func.count()).select_from(PlatformMessage).where(PlatformMessage.kind == "quiz_poll")
        )
        assert polls == 3
