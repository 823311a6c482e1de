"""The real Telegram adapter between the fake Bot API and a scripted learner, on 127.0.0.1.

`telegram_world` starts the fake Telegram, then the adapter exactly as `lessonloop run
telegram` builds it (python-telegram-bot's `Application`, `Pacing`, the engine on the
test's database), polling or behind a webhook. A `Learner` acts like a person in the
Telegram app: types, presses buttons it can see, answers quiz polls, then waits until the
bot has confirmed the update. Any error PTB hands to its error handlers, and any call the
fake refused, fails the test at the end unless the test says it expected them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Literal

from telegram.ext import ContextTypes

from bot.adapters.telegram.app import TelegramBot, telegram_bot
from bot.adapters.telegram.pacing import Pacing
from bot.adapters.telegram.settings import TelegramSettings
from bot.engine import Engine
from tests.cores import core_of
from tests.telegram.fake_bot_api import TOKEN, FakeTelegram
from tests.telegram.fake_chats import ChatMessage, Person

os.environ.setdefault("PTB_TIMEDELTA", "1")

Mode = Literal["polling", "webhook"]
WEBHOOK_SECRET = "fake-webhook-secret_42"
WEBHOOK_PATH = "/telegram/updates"


@dataclass
class World:
    fake: FakeTelegram
    bot: TelegramBot
    mode: Mode
    webhook_port: int | None = None
    errors: list[BaseException] = field(default_factory=list)
    expect_refusals: bool = False


def settings_for(fake: FakeTelegram, mode: Mode) -> TelegramSettings:
    settings = TelegramSettings(token=TOKEN, api_root=fake.root)
    if mode == "webhook":
        settings = replace(
            settings, webhook_secret=WEBHOOK_SECRET, webhook_url=f"http://127.0.0.1:0{WEBHOOK_PATH}"
        )
    return settings


@asynccontextmanager
async def running_bot(
    fake: FakeTelegram, engine: Engine, mode: Mode, *, pacing: Pacing | None = None
) -> AsyncIterator[World]:
    """The adapter serving the already started `fake` until the block ends."""
    settings = settings_for(fake, mode)
    async with telegram_bot(
        core_of(engine), settings, pacing=pacing or Pacing(overall=0, chat_burst=0), long_poll_s=1
    ) as bot:
        world = World(fake, bot, mode)

        async def record(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            if context.error is not None:
                world.errors.append(context.error)

        bot.application.add_error_handler(record)
        stopping = asyncio.Event()
        polling: asyncio.Task[None] | None = None
        if mode == "polling":
            polling = asyncio.create_task(bot.poll(stopping))
        else:
            world.webhook_port = await bot.listen("127.0.0.1", 0)
            await bot.register_webhook(f"http://127.0.0.1:{world.webhook_port}{WEBHOOK_PATH}")
        try:
            yield world
        finally:
            stopping.set()
            if polling is not None:
                await polling
    assert world.errors == [], f"handlers raised: {world.errors!r}"
    if not world.expect_refusals:
        assert fake.refused() == [], f"Telegram refused: {fake.refused()!r}"


@asynccontextmanager
async def telegram_world(engine: Engine, mode: Mode, *, pacing: Pacing | None = None) -> AsyncIterator[World]:
    fake = FakeTelegram()
    await fake.start()
    try:
        async with running_bot(fake, engine, mode, pacing=pacing) as world:
            yield world
    finally:
        await fake.close()


class Learner:
    """A person in their Telegram app, talking to the bot in a private chat."""

    def __init__(self, world: World, person: Person) -> None:
        self.world = world
        self.fake = world.fake
        self.person = person
        self.seen_upto = 0

    def transcript(self) -> list[ChatMessage]:
        return self.fake.transcript(self.person)

    def new_from_bot(self) -> list[ChatMessage]:
        """The bot's messages since the learner last acted."""
        return [m for m in self.transcript() if m.from_bot and m.message_id > self.seen_upto]

    async def _act(self, update_id: int) -> None:
        messages = self.transcript()
        self.seen_upto = max((m.message_id for m in messages), default=0)
        await self.fake.handled(update_id)
        await self.world.bot.drained()

    async def say(self, text: str) -> None:
        await self._act(await self.fake.say(self.person, text))

    async def press(self, label: str) -> ChatMessage:
        """Press the newest button labelled `label` (a tick box counts as part of the label)."""
        for message in reversed(self.transcript()):
            for button in message.buttons:
                if button.callback_data and _label(button.text) == label:
                    await self._act(
                        await self.fake.press(self.person, message.message_id, button.callback_data)
                    )
                    return message
        raise AssertionError(f"no button {label!r} to press; the chat shows {self.visible()!r}")

    async def answer_poll(self, option: str) -> None:
        for message in reversed(self.transcript()):
            poll = message.poll
            if poll is not None and not poll.closed and option in poll.options:
                index = poll.options.index(option)
                await self._act(await self.fake.answer_poll(self.person, poll.id, [index]))
                return
        raise AssertionError(f"no open poll with the option {option!r}")

    def visible(self) -> list[str]:
        """The chat as the learner sees it: each message's text, its buttons in brackets."""
        lines = []
        for message in self.transcript():
            text = message.poll.question if message.poll else message.text
            if message.photo:
                text = f"[photo {message.photo}] {text}".rstrip()
            buttons = " ".join(f"[{button.text}]" for button in message.buttons)
            lines.append(f"{'bot' if message.from_bot else 'me'}: {text} {buttons}".rstrip())
        return lines


def _label(text: str) -> str:
    for box in ("☑️ ", "⬜ "):
        if text.startswith(box):
            return text[len(box) :]
    return text
