"""What must hold when Telegram, the network or the learner misbehave."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.adapters.telegram.app import telegram_bot
from bot.content.loader import load_content
from bot.engine import Engine
from bot.phrases import phrase
from storage.db import Database
from storage.models import Enrolment, Interaction, Learner, ProcessedEvent
from tests.cores import core_of
from tests.telegram.fake_bot_api import FakeTelegram
from tests.telegram.fake_chats import ApiError, Person
from tests.telegram.harness import WEBHOOK_PATH, Mode, running_bot, settings_for, telegram_world
from tests.telegram.harness import Learner as TelegramLearner

ANN = Person(51002, "Ann", "Lee", language_code="en")
TELEGRAM_TEXT_LIMIT = 4096


def _bot_texts(learner: TelegramLearner) -> list[str]:
    return [message.text for message in learner.transcript() if message.from_bot and message.text]


def _count(database: Database, model: type[ProcessedEvent] | type[Interaction], **where: str) -> int:
    with database.transaction() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(session.scalar(query) or 0)


def test_an_update_delivered_twice_is_handled_once(engine: Engine, database: Database) -> None:
    async def scenario() -> None:
        async with telegram_world(engine, "webhook") as world:
            ann = TelegramLearner(world, ANN)
            await ann.say("/start")
            await ann.press("Getting started with Tasklane")
            before = len(_bot_texts(ann))
            for update_id in sorted(world.fake.updates):
                await world.fake.push_raw(world.fake.updates[update_id])  # Telegram resends both
                await world.fake.handled(update_id)
            await world.bot.drained()
            assert len(_bot_texts(ann)) == before
            assert len(world.fake.called("answerCallbackQuery")) == 1  # the resent press does nothing twice

    asyncio.run(scenario())
    assert _count(database, ProcessedEvent) == 2
    assert _count(database, Interaction, direction="in") == 2


def test_a_bot_left_at_once_still_stops(engine: Engine) -> None:
    """Its outboxes' senders are told to stop before they have begun: they must not
    forget it when they begin (a process failing right after starting would not exit)."""

    async def scenario() -> None:
        fake = FakeTelegram()
        await fake.start()
        try:
            async with telegram_bot(core_of(engine), settings_for(fake, "polling")):
                pass
        finally:
            await fake.close()

    asyncio.run(asyncio.wait_for(scenario(), 20))


def test_a_deep_link_enrols_and_records_the_source(engine: Engine, database: Database) -> None:
    async def scenario() -> None:
        async with telegram_world(engine, "polling") as world:
            ann = TelegramLearner(world, ANN)
            await ann.say("/start upgrade-to-pro")
            assert any(text.startswith("📘 Lesson 1 of 3") for text in _bot_texts(ann))

    asyncio.run(scenario())
    with database.transaction() as session:
        assert session.scalars(select(Learner.source)).one() == "upgrade-to-pro"
        enrolment = session.scalars(select(Enrolment)).one()
        assert (enrolment.course_id, enrolment.source) == ("upgrade-to-pro", "upgrade-to-pro")


@pytest.mark.parametrize("secret", [None, "not-the-secret"])
def test_a_webhook_call_without_the_right_secret_is_refused(
    engine: Engine, database: Database, secret: str | None
) -> None:
    async def scenario() -> None:
        async with telegram_world(engine, "webhook") as world:
            update = {
                "update_id": 999,
                "message": {"message_id": 1, "date": 0, "chat": ANN.as_chat(), "text": "hi"},
            }
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            url = f"http://127.0.0.1:{world.webhook_port}{WEBHOOK_PATH}"
            async with (
                aiohttp.ClientSession() as session,
                session.post(url, json=update, headers=headers) as answer,
            ):
                assert answer.status == 403
            await world.bot.drained()

    asyncio.run(scenario())
    assert _count(database, ProcessedEvent) == 0


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_a_429_is_waited_out_and_nothing_is_dropped(engine: Engine, mode: Mode) -> None:
    async def scenario() -> None:
        async with telegram_world(engine, mode) as world:
            world.expect_refusals = True
            ann = TelegramLearner(world, ANN)
            world.fake.fail_next(
                "sendMessage", ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
            )
            started = time.monotonic()
            await ann.say("help")
            assert time.monotonic() - started >= 1
            assert _bot_texts(ann) == [phrase("help", "en")]
            assert [call.method for call in world.fake.refused()] == ["sendMessage"]

    asyncio.run(scenario())


def test_typing_at_a_button_step_gets_a_gentle_re_prompt(engine: Engine) -> None:
    async def scenario() -> None:
        async with telegram_world(engine, "polling") as world:
            ann = TelegramLearner(world, ANN)
            await ann.say("/start")
            await ann.press("Getting started with Tasklane")
            await ann.say("banana")
            texts = _bot_texts(ann)
            assert texts[-2] == phrase("reprompt_choice", "en")
            assert texts[-1] == "First things first: what brings you to Tasklane?"
            await ann.press("I lead a team")  # the buttons shown again work

    asyncio.run(scenario())


def test_a_5000_character_lesson_step_arrives_whole_in_pieces(database: Database, tmp_path: Path) -> None:
    paragraphs = [f"Paragraph {number}: " + " ".join(["tasks and boards"] * 30) for number in range(10)]
    long_text = "\n\n".join(paragraphs)
    assert len(long_text) > 5000
    course = tmp_path / "long.yaml"
    course.write_text(
        "kind: course\nid: long\ntitle: Long\nlessons:\n  - id: one\n    title: One\n    steps:\n"
        f"      - say: {long_text!r}\n".replace("'", '"')
        + "      - ask_text: {text: Done?, store_as: done}\n",
        encoding="utf-8",
    )
    engine = Engine(load_content([course]), database)

    async def scenario() -> None:
        async with telegram_world(engine, "polling") as world:
            ann = TelegramLearner(world, ANN)
            await ann.say("/start long")
            pieces = [text for text in _bot_texts(ann) if text.startswith("Paragraph") or "tasks and" in text]
            assert len(pieces) >= 2
            assert all(len(piece) <= TELEGRAM_TEXT_LIMIT for piece in pieces)
            assert "\n\n".join(pieces) == long_text  # cut at paragraph breaks, nothing lost

    asyncio.run(scenario())


def test_a_restart_mid_course_neither_loses_nor_repeats_updates(engine: Engine, database: Database) -> None:
    async def scenario() -> None:
        fake = FakeTelegram()
        await fake.start()
        try:
            async with running_bot(fake, engine, "polling") as world:
                ann = TelegramLearner(world, ANN)
                await ann.say("/start")
                await ann.press("Getting started with Tasklane")
            # While the bot is down the learner presses a button; it waits at Telegram.
            message = next(m for m in reversed(fake.transcript(ANN)) if m.buttons)
            team = next(b for b in message.buttons if b.text == "I lead a team")
            pressed = await fake.press(ANN, message.message_id, team.callback_data or "")
            async with running_bot(fake, engine, "polling") as world:
                await fake.handled(pressed)
                await world.bot.drained()
                ann = TelegramLearner(world, ANN)
                assert any(text.startswith("Team leads love the Workload view") for text in _bot_texts(ann))
        finally:
            await fake.close()

    asyncio.run(scenario())
    assert _count(database, ProcessedEvent) == 3
    assert _count(database, Interaction, direction="in") == 3


def test_a_photo_lost_on_the_way_does_not_stop_the_lesson(engine: Engine) -> None:
    async def scenario() -> None:
        async with telegram_world(engine, "polling") as world:
            world.expect_refusals = True
            ann = TelegramLearner(world, ANN)
            world.fake.fail_next("sendPhoto", ApiError(502, "Bad Gateway"))
            await ann.say("/start upgrade-to-pro")
            assert ann.visible()[-2:] == [
                "bot: Automations are simple 'when this happens, do that' rules. For example: when a task "
                "moves to Done, notify the person who asked for it.",
                "bot: Which chore would you hand off to an automation first? "
                "[Moving tasks when a pull request merges] [Assigning a reviewer] [Chasing overdue tasks]",
            ]
            await ann.press("Assigning a reviewer")  # and the lesson goes on

    asyncio.run(scenario())


def test_a_caption_longer_than_telegram_takes_arrives_whole(database: Database, tmp_path: Path) -> None:
    caption = " ".join(f"Step {number}: drag the card on; its owner hears of it." for number in range(30))
    assert len(caption) > 1024
    course = tmp_path / "captioned.yaml"
    course.write_text(
        "kind: course\nid: captioned\ntitle: Captioned\nlessons:\n  - id: one\n    title: One\n    steps:\n"
        "      - image: {url: 'https://tasklane.example/board.png', alt: The board, caption: '"
        + caption
        + "'}\n      - ask_text: {text: Done?, store_as: done}\n",
        encoding="utf-8",
    )
    engine = Engine(load_content([course]), database)

    async def scenario() -> None:
        async with telegram_world(engine, "polling") as world:
            ann = TelegramLearner(world, ANN)
            await ann.say("/start captioned")
            messages = [message for message in ann.transcript() if message.from_bot]
            photo = next(index for index, message in enumerate(messages) if message.photo)
            shown = [messages[photo].text, *(message.text for message in messages[photo + 1 : -1])]
            assert messages[-1].text == "Done?"
            assert " ".join(shown) == caption  # the photo's caption, then the rest: nothing cut off

    asyncio.run(scenario())


def test_a_press_whose_data_names_no_button_is_answered_once_and_told_in_the_chat(engine: Engine) -> None:
    """A digest the bot no longer knows (its record forgotten): the spinner stops like any
    other, and the learner reads in the chat that the button has expired."""

    async def scenario() -> None:
        async with telegram_world(engine, "polling") as world:
            ann = TelegramLearner(world, ANN)
            await ann.say("/start")
            menu = next(m for m in reversed(ann.transcript()) if m.buttons)
            world.fake.answered_queries["77"] = False
            query = {
                "id": "77",
                "from": ANN.as_user(),
                "message": menu.as_json(),
                "chat_instance": "ci",
                "data": "#" + "0" * 40,
            }
            await world.fake.handled(await world.fake.push({"callback_query": query}))
            await world.bot.drained()
            assert [
                call.params["callback_query_id"] for call in world.fake.called("answerCallbackQuery")
            ] == ["77"]
            assert ann.visible()[-1] == "bot: That button has expired."
            assert ann.transcript()[-2].buttons == menu.buttons  # the menu is left to be pressed

    asyncio.run(scenario())


def test_a_press_answered_while_telegram_asks_to_wait_is_answered_once_after_the_wait(engine: Engine) -> None:
    """The edge's answer keeps to no chat's pace, but to a 429's pause it does: refused,
    it waits as long as Telegram said, then goes through, once."""

    async def scenario() -> None:
        async with telegram_world(engine, "polling") as world:
            world.expect_refusals = True
            ann = TelegramLearner(world, ANN)
            await ann.say("/start")
            world.fake.fail_next(
                "answerCallbackQuery", ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
            )
            await ann.press("Getting started with Tasklane")
            refused, answered = (
                world.fake.called("answerCallbackQuery", ok=False),
                world.fake.called("answerCallbackQuery"),
            )
            assert (len(refused), len(answered)) == (1, 1)
            assert answered[0].at - refused[0].at >= 1
            assert all(world.fake.answered_queries.values())

    asyncio.run(scenario())
