"""A scheduled lesson through the real adapters: the sweep queues what is due, the outbox
sends it as the engine words it then, with buttons that work; a learner who blocked the bot
is marked unreachable and nothing more is queued for them until they write again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import select, update

from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.delivery.sweep import DueSweep
from bot.engine import Engine
from storage.db import Database
from storage.models import Enrolment, Learner, LearnerMessage
from tests.outboxes import deliver_everything
from tests.slack.fake_records import Message as SlackMessage
from tests.slack.harness import slack_world
from tests.telegram.fake_chats import ApiError, Person
from tests.telegram.harness import Learner as TelegramLearner
from tests.telegram.harness import telegram_world

CONTENT = Path(__file__).parents[1] / "engine" / "content"
ANN = Person(51001, "Ann", "Lee", language_code="en")


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([CONTENT])


def lesson_two_due_now(database: Database) -> None:
    """What the schedule will have written when lesson one ended: lesson two is due."""
    with database.transaction() as session:
        session.execute(update(Enrolment).values(next_due_at=datetime.now(UTC) - timedelta(seconds=1)))


class Walker(Protocol):
    """A learner of either platform's harness."""

    async def say(self, text: str) -> None: ...

    async def press(self, label: str) -> object: ...


async def took_lesson_one_and_said_later(learner: Walker, database: Database) -> None:
    """Lesson one of Basics done, "Later" pressed: lesson two is then due (what the schedule
    will have written when lesson one ended)."""
    await learner.say("courses")
    await learner.press("Basics")
    await learner.press("Red")
    await learner.say("Apollo")
    await learner.press("Later")
    lesson_two_due_now(database)


def labels(message: SlackMessage) -> list[str]:
    return [button["text"]["text"] for button in message.buttons()]


def statuses(database: Database) -> list[tuple[str, str]]:
    with database.transaction() as session:
        return [
            (row.kind, row.status)
            for row in session.execute(select(LearnerMessage.kind, LearnerMessage.status))
        ]


def test_a_due_lesson_reaches_a_telegram_learner_and_its_quiz_works(
    pack: ContentPack, database: Database
) -> None:
    async def scenario() -> None:
        async with telegram_world(Engine(pack, database), "polling") as world:
            ann = TelegramLearner(world, ANN)
            await took_lesson_one_and_said_later(ann, database)

            assert await DueSweep(database).sweep_now() == 1
            await deliver_everything(world.bot)
            assert ann.visible()[-4:] == [
                "bot: 📘 Lesson 2 of 2: Lesson two",
                "bot: Time for a quiz.",
                "bot: 📝 Quiz: Check (3 questions)",
                "bot: (1/3) Which is a colour?",
            ]
            await ann.answer_poll("Red")  # the quiz poll the bot sent first is hers to answer
            assert ann.visible()[-2] == "bot: ✅ Correct!\nYes, red is a colour.\nColours are not numbers."
            assert await DueSweep(database).sweep_now() == 0  # queued once

    asyncio.run(scenario())
    assert statuses(database) == [("lesson", "sent")]


def test_a_due_lesson_reaches_a_slack_learner_and_its_buttons_work(
    pack: ContentPack, database: Database
) -> None:
    async def scenario() -> None:
        async with slack_world(Engine(pack, database)) as world:
            ann = world.learner("U0ANN")
            await took_lesson_one_and_said_later(ann, database)

            assert await DueSweep(database).sweep_now() == 1
            await deliver_everything(world.bot)
            lesson = (
                "📘 Lesson 2 of 2: Lesson two\nTime for a quiz.\n📝 Quiz: Check (3 questions)\n"
                "*1/3*  Which is a colour?"
            )
            assert (ann.dm()[-1].text, labels(ann.dm()[-1])) == (lesson, ["Red", "Seven"])
            await ann.press("Red")  # a button on a message the bot posted first: it is rewritten
            rewritten, following = ann.dm()[-2:]
            assert (rewritten.text, labels(rewritten)) == (
                f"{lesson}\n✓ *Red*\n✅ Correct!\nYes, red is a colour.\nColours are not numbers.",
                [],
            )
            assert following.text.startswith("*2/3*  Which are even?")

    asyncio.run(scenario())
    assert statuses(database) == [("lesson", "sent")]


def test_a_learner_who_blocked_the_bot_is_unreachable_until_they_write_again(
    pack: ContentPack, database: Database
) -> None:
    async def scenario() -> None:
        async with telegram_world(Engine(pack, database), "polling") as world:
            world.expect_refusals = True
            ann = TelegramLearner(world, ANN)
            await took_lesson_one_and_said_later(ann, database)
            world.fake.fail_next("sendMessage", ApiError(403, "Forbidden: bot was blocked by the user"))

            assert await DueSweep(database).sweep_now() == 1
            await deliver_everything(world.bot)
            with database.transaction() as session:
                assert session.scalars(select(Learner.unreachable_at)).one() is not None
            lesson_two_due_now(database)
            assert await DueSweep(database).sweep_now() == 0  # nothing more is tried

            await ann.say("progress")  # she unblocked the bot and wrote
            with database.transaction() as session:
                assert session.scalars(select(Learner.unreachable_at)).one() is None
            assert await DueSweep(database).sweep_now() == 1

    asyncio.run(scenario())
