"""`serve` in the test's own event loop, on a clock the test moves: the real Telegram adapter
(long polling) and the real Slack adapter (over HTTP) in one process against the fake
platforms, with a fake helpdesk taking hand-offs by webhook and answering on the process's
`/support/replies`.

Learners act as people in their apps (`TelegramChat`, `SlackChat`), and the test waits for
what their app shows (`arrives`), rendered one line a message: the text as the platform
shows it now (a pressed Telegram message is edited, a pressed Slack message rewritten),
then its buttons in brackets; a Telegram quiz poll as `📊 question (option / option)`.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import func, select

from bot.adapters.slack.settings import SlackSettings
from bot.adapters.telegram.settings import TelegramSettings
from bot.bootstrap import assemble
from bot.config import HandoffSettings
from bot.content.loader import load_content
from bot.service import Listening, Platforms, serve_until
from storage.db import Database
from storage.models import HandoffDelivery, LearnerMessage
from tests.helpdesk import FakeHelpdesk
from tests.slack.fake_records import Message
from tests.slack.fake_records import Person as SlackPerson
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, TEAM, sign
from tests.slack.payloads import direct_message, event_body, press_payload, serial
from tests.telegram.fake_bot_api import TOKEN, FakeTelegram
from tests.telegram.fake_chats import ChatMessage, Person

os.environ.setdefault("PTB_TIMEDELTA", "1")

SWEEP_EVERY_S = 0.2
"""The sweep's period here (5 s in production): a moved clock is noticed within a blink."""
WAIT_S = 20.0


class MovedClock:
    """The one clock of the process (`assemble(clock=...)`), moved by the test, forward only."""

    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def to(self, when: datetime) -> None:
        """Move to `when` (any zone: a learner's wall clock reads best)."""
        moved = when.astimezone(UTC)
        assert moved > self.now, f"the clock only moves forward: {moved} is not after {self.now}"
        self.now = moved


async def until(condition: Callable[[], bool], what: Callable[[], str], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting: {what()}")
        await asyncio.sleep(0.02)


class Chat(Protocol):
    read: int

    def shown(self) -> list[str]: ...


async def arrives(chat: Chat, *expected: str) -> None:
    """Wait until the bot's next messages in `chat` are `expected` (as rendered), exactly;
    any after them are left for the next look."""
    await until(
        lambda: len(chat.shown()) >= chat.read + len(expected),
        lambda: f"{list(expected)!r} after {chat.shown()[: chat.read]!r}; came {chat.shown()[chat.read :]!r}",
    )
    came = chat.shown()[chat.read : chat.read + len(expected)]
    assert came == list(expected), f"expected {list(expected)!r}, came {came!r}"
    chat.read += len(expected)


def nothing_new(chat: Chat) -> None:
    assert chat.shown()[chat.read :] == [], f"unexpected: {chat.shown()[chat.read :]!r}"


class TelegramChat:
    """A person's private chat with the bot in their Telegram app."""

    def __init__(self, fake: FakeTelegram, person: Person) -> None:
        self.fake, self.person = fake, person
        self.read = 0
        """How many of the bot's messages the test has looked at."""

    def messages(self) -> list[ChatMessage]:
        return [message for message in self.fake.transcript(self.person) if message.from_bot]

    def shown(self) -> list[str]:
        return [_telegram_line(message) for message in self.messages()]

    async def say(self, text: str) -> None:
        await self.fake.handled(await self.fake.say(self.person, text))

    async def press(self, label: str) -> None:
        """Press the newest button labelled `label`."""
        for message in reversed(self.messages()):
            for button in message.buttons:
                if button.text == label and button.callback_data:
                    update = await self.fake.press(self.person, message.message_id, button.callback_data)
                    await self.fake.handled(update)
                    return
        raise AssertionError(f"no button {label!r} in {self.shown()!r}")

    async def answer_poll(self, option: str) -> None:
        """Vote `option` in the newest open quiz poll."""
        for message in reversed(self.messages()):
            poll = message.poll
            if poll is not None and not poll.closed and option in poll.options:
                update = await self.fake.answer_poll(self.person, poll.id, [poll.options.index(option)])
                await self.fake.handled(update)
                return
        raise AssertionError(f"no open poll with {option!r} in {self.shown()!r}")


def _telegram_line(message: ChatMessage) -> str:
    if message.poll is not None:
        return f"📊 {message.poll.question} ({' / '.join(message.poll.options)})"
    return " ".join([message.text, *(f"[{button.text}]" for button in message.buttons)])


class SlackChat:
    """A person's DM with the app in their Slack client."""

    def __init__(self, world: Serving, user: str) -> None:
        self.world, self.user = world, user
        self.channel = FakeSlack.dm(user)
        self.read = 0

    def messages(self) -> list[Message]:
        return list(self.world.slack.messages[self.channel])

    def shown(self) -> list[str]:
        return [_slack_line(message) for message in self.messages()]

    async def say(self, text: str) -> None:
        body = event_body(TEAM, direct_message(self.channel, self.user, text), f"Ev{serial():08d}")
        await self.world.post("/slack/events", json.dumps(body), "application/json")

    async def press(self, label: str) -> None:
        """Press the newest button labelled `label`."""
        for message in reversed(self.messages()):
            for button in message.buttons():
                if button["text"]["text"] == label and "value" in button:
                    payload = press_payload(TEAM, self.user, message, button)
                    form = urlencode({"payload": json.dumps(payload)})
                    await self.world.post("/slack/events", form, "application/x-www-form-urlencoded")
                    return
        raise AssertionError(f"no button {label!r} in {self.shown()!r}")


def _slack_line(message: Message) -> str:
    return " ".join([message.text, *(f"[{button['text']['text']}]" for button in message.buttons())])


@dataclass
class Serving:
    """One `serve` process's work, running, and the fakes around it."""

    clock: MovedClock
    database: Database
    telegram: FakeTelegram
    slack: FakeSlack
    helpdesk: FakeHelpdesk
    base: str
    session: aiohttp.ClientSession

    def telegram_chat(self, person: Person) -> TelegramChat:
        return TelegramChat(self.telegram, person)

    def slack_chat(self, user: str, person: SlackPerson) -> SlackChat:
        self.slack.people[user] = person
        return SlackChat(self, user)

    async def post(self, path: str, body: str, content_type: str) -> None:
        """A request signed as Slack signs it, which the process must answer 200."""
        sent = {"Content-Type": content_type, **sign(body)}
        async with self.session.post(f"{self.base}{path}", data=body.encode(), headers=sent) as answer:
            assert answer.status == 200, (path, answer.status, await answer.text())

    async def helpdesk_reply(self, handoff_id: int, text: str, agent: str, *, resolved: bool) -> None:
        """The helpdesk answers a hand-off it received, signed with the shared secret."""
        body = json.dumps({"handoff_id": handoff_id, "text": text, "agent": agent, "resolved": resolved})
        async with self.session.post(
            f"{self.base}/support/replies", data=body.encode(), headers=self.helpdesk.signed(body.encode())
        ) as answer:
            assert answer.status == 200, await answer.text()

    async def settled(self) -> None:
        """Once the sweep has looked at the clock as it is now, and both outboxes (to learners
        and to support) have sent everything due: what is not shown by then is not coming."""
        await asyncio.sleep(3 * SWEEP_EVERY_S)
        await until(lambda: self._in_outboxes() == 0, lambda: "the outboxes to empty")

    def given_up(self) -> int:
        return self._in_outboxes("failed")

    def _in_outboxes(self, status: str = "pending") -> int:
        with self.database.transaction() as session:
            to_learners = session.scalar(
                select(func.count()).select_from(LearnerMessage).where(LearnerMessage.status == status)
            )
            to_support = session.scalar(
                select(func.count()).select_from(HandoffDelivery).where(HandoffDelivery.status == status)
            )
        return int(to_learners or 0) + int(to_support or 0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def serving(
    content_dir: Path, database_url: str, clock: MovedClock, *, link_secret: str = ""
) -> AsyncIterator[Serving]:
    """`serve` with Telegram and Slack on `clock`, until the block ends; then it must stop
    cleanly, and neither platform may have refused anything. With `link_secret`, campaign
    links go through the process's click redirect."""
    telegram, slack, helpdesk = FakeTelegram(), FakeSlack(), FakeHelpdesk()
    await telegram.start()
    await slack.start()
    slack.add_workspace(TEAM, BOT_TOKEN)
    await helpdesk.start()
    database = Database(database_url)
    handoff = HandoffSettings(webhook_url=helpdesk.url, webhook_secret=helpdesk.secret)
    port = _free_port()
    public_url = f"http://127.0.0.1:{port}" if link_secret else ""
    core = assemble(
        load_content([content_dir]),
        database,
        handoff,
        clock=clock,
        link_secret=link_secret,
        public_url=public_url,
    )
    platforms = Platforms(
        slack=SlackSettings(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN, api_url=slack.api_url),
        slack_over_http=True,
        telegram=TelegramSettings(token=TOKEN, api_root=telegram.root),
    )
    stopping = asyncio.Event()
    process = asyncio.create_task(
        serve_until(stopping, core, platforms, Listening("127.0.0.1", port), sweep_every_s=SWEEP_EVERY_S)
    )
    try:
        async with aiohttp.ClientSession() as session:
            world = Serving(clock, database, telegram, slack, helpdesk, f"http://127.0.0.1:{port}", session)
            await until(
                lambda: bool(telegram.called("deleteWebhook")) or process.done(), lambda: "serve to start"
            )
            if process.done():
                await process  # it could not start: its error
            yield world
            stopping.set()
            await asyncio.wait_for(process, timeout=WAIT_S)
            assert world.given_up() == 0, "a message to a learner or to support was given up on"
    finally:
        if not process.done():
            stopping.set()
            await asyncio.gather(process, return_exceptions=True)
        await helpdesk.stop()
        await slack.stop()
        await telegram.close()
        database.dispose()
    assert slack.violations == []
    assert telegram.refused() == []
