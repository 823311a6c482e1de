"""Store first, confirm second, in Telegram too: an update confirmed to Telegram (a webhook's
200, a polling offset) is in the inbox, so a process that dies before answering it leaves
it to the next one, which answers it, or, if the engine's turn had committed, shows the
learner where they are."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from telegram import Update

from bot.adapters.telegram import events
from bot.adapters.telegram.presses import ANSWERED_PRESS
from bot.engine import Engine
from bot.phrases import phrase
from storage.db import Database
from storage.inbox import Arrival, store, store_and_take_all
from storage.models import InboxEntry
from storage.platform_state import RememberedMessage, remember_messages
from tests.telegram.fake_bot_api import FakeTelegram
from tests.telegram.fake_chats import Person
from tests.telegram.harness import Mode, running_bot

ANN = Person(51001, "Ann", "Lee", language_code="en")


async def an_update_telegram_will_not_resend(fake: FakeTelegram, text: str) -> dict[str, object]:
    """Ann's message, confirmed to Telegram as a process that then died would have done."""
    update_id = await fake.say(ANN, text)
    await fake.drop_pending()
    return fake.updates[update_id]


def arrival_of(update: dict[str, object]) -> Arrival:
    return Arrival(
        "telegram", str(update["update_id"]), str(ANN.id), "update", json.dumps(update), datetime.now(UTC)
    )


def bot_texts(fake: FakeTelegram) -> list[str]:
    return [message.text for message in fake.transcript(ANN) if message.from_bot]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_an_update_stored_by_a_process_that_died_is_answered_by_the_next(
    mode: Mode, engine: Engine, database: Database
) -> None:
    async def scenario() -> None:
        fake = FakeTelegram()
        await fake.start()
        try:
            update = await an_update_telegram_will_not_resend(fake, "help")
            with database.transaction() as session:
                assert store(session, arrival_of(update))
            async with running_bot(fake, engine, mode) as world:
                await asyncio.wait_for(_until_done(database), timeout=20)
                await world.bot.drained()
                assert bot_texts(fake) == [phrase("help", "en")]
        finally:
            await fake.close()

    asyncio.run(scenario())


def test_an_update_whose_turn_committed_before_the_process_died_shows_where_the_learner_is(
    engine: Engine, database: Database
) -> None:
    async def scenario() -> None:
        fake = FakeTelegram()
        await fake.start()
        try:
            update = await an_update_telegram_will_not_resend(fake, "courses")
            event = events.from_message(Update.de_json(update, None), datetime.now(UTC))
            assert event is not None
            assert engine.handle(event)  # committed; the replies died with the process
            long_ago = datetime.now(UTC) - timedelta(hours=1)
            with database.transaction() as session:
                store_and_take_all(
                    session, [arrival_of(update)], worker="dead:1", now=long_ago, lease=timedelta(seconds=30)
                )
            async with running_bot(fake, engine, "polling") as world:
                await asyncio.wait_for(_until_done(database), timeout=20)
                await world.bot.drained()
                # `resume`, as the learner would have typed it: here, the course menu again.
                assert bot_texts(fake) == [
                    "You're not in the middle of anything.",
                    "Which course would you like to take?",
                ]
        finally:
            await fake.close()

    asyncio.run(scenario())
    with database.transaction() as session:
        assert session.scalars(select(InboxEntry.attempts)).all() == [2]


async def _until_done(database: Database) -> None:
    while True:
        with database.transaction() as session:
            if all(done is not None for done in session.scalars(select(InboxEntry.done_at))):
                return
        await asyncio.sleep(0.05)


async def a_press_telegram_will_not_resend(fake: FakeTelegram, engine: Engine) -> dict[str, object]:
    """Ann presses a course in the menu, and the process that stored her press dies before
    it is answered: Telegram has it confirmed, the inbox holds it."""
    async with running_bot(fake, engine, "polling") as world:
        await fake.handled(await fake.say(ANN, "/start"))
        await world.bot.drained()
    menu = next(m for m in reversed(fake.transcript(ANN)) if m.buttons)
    update_id = await fake.press(ANN, menu.message_id, str(menu.buttons[0].callback_data))
    await fake.drop_pending()
    return fake.updates[update_id]


@pytest.mark.parametrize("answered_before_dying", [False, True])
def test_a_press_stored_by_a_process_that_died_is_answered_once_and_handled_by_the_next(
    engine: Engine, database: Database, answered_before_dying: bool
) -> None:
    """Unanswered, the next process answers it; answered (and remembered so) before the
    crash, it is not answered a second time, which Telegram would refuse."""

    async def scenario() -> None:
        fake = FakeTelegram()
        await fake.start()
        try:
            update = await a_press_telegram_will_not_resend(fake, engine)
            query_id = str(update["callback_query"]["id"])  # type: ignore[index]
            with database.transaction() as session:
                assert store(session, arrival_of(update))
                if answered_before_dying:
                    answered = RememberedMessage(
                        ANSWERED_PRESS, query_id, str(ANN.id), str(ANN.id), {}, datetime.now(UTC)
                    )
                    remember_messages(session, "telegram", [answered])
            if answered_before_dying:
                fake.answered_queries[query_id] = True
            async with running_bot(fake, engine, "webhook") as world:
                await asyncio.wait_for(_until_done(database), timeout=20)
                await world.bot.drained()
            answers = [call.params["callback_query_id"] for call in fake.called("answerCallbackQuery")]
            assert answers == ([] if answered_before_dying else [query_id])
            assert fake.answered_queries[query_id]
            assert (
                bot_texts(fake)[-1] == "First things first: what brings you to Tasklane?"
            )  # the course began
        finally:
            await fake.close()

    asyncio.run(scenario())
