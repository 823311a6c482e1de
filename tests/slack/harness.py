"""The real Slack adapter between a fake Slack and a scripted learner, all on 127.0.0.1.

`slack_world` starts the fake Slack, then the adapter (Bolt and all) over HTTP or Socket
Mode exactly as `lessonloop run slack` does, and a `SlackLearner` that acts like a person
in the Slack client: it types in the DM, presses buttons it sees, runs `/learn`. Over HTTP
every request is signed the way Slack signs it; over Socket Mode it arrives as an envelope
that must be acknowledged within 3 seconds. After each action the learner waits until the
adapter has finished the work it acknowledged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import urlencode

import aiohttp

from bot.adapters.slack.app import EVENTS_PATH, SlackBot, slack_bot
from bot.adapters.slack.pacing import ChannelPace
from bot.adapters.slack.settings import SlackSettings
from bot.engine import Engine
from tests.cores import core_of
from tests.slack.fake_records import Message
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import (
    command_form,
    direct_message,
    event_body,
    home_press_payload,
    press_payload,
    serial,
)

TEAM = "T0ACME"
BOT_TOKEN = "xoxb-fake-bot-token-0001"
APP_TOKEN = "xapp-fake-app-token-0001"
SIGNING_SECRET = "fake-signing-secret-8f3a"

Mode = Literal["http", "socket"]
Json = dict[str, Any]


def sign(body: str | bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class HttpTransport:
    session: aiohttp.ClientSession
    url: str
    secret: str = SIGNING_SECRET

    async def post(self, body: str | bytes, content_type: str, headers: dict[str, str] | None = None) -> int:
        sent = {"Content-Type": content_type, **sign(body, self.secret), **(headers or {})}
        raw = body.encode() if isinstance(body, str) else body
        async with self.session.post(self.url, data=raw, headers=sent) as response:
            await response.read()
            return response.status

    async def event(self, body: Json, retry: int = 0) -> int:
        retried = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return await self.post(json.dumps(body), "application/json", retried)

    async def interaction(self, payload: Json) -> int:
        return await self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    async def command(self, form: dict[str, str]) -> int:
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")


@dataclass
class SocketTransport:
    fake: FakeSlack

    async def event(self, body: Json, retry: int = 0) -> int:
        await self.fake.socket.deliver("events_api", body, retry_attempt=retry)
        return 200

    async def interaction(self, payload: Json) -> int:
        await self.fake.socket.deliver("interactive", payload)
        return 200

    async def command(self, form: dict[str, str]) -> int:
        await self.fake.socket.deliver("slash_commands", dict(form))
        return 200


@dataclass
class World:
    fake: FakeSlack
    bot: SlackBot
    transport: HttpTransport | SocketTransport
    session: aiohttp.ClientSession
    url: str = ""
    """The adapter's base URL in HTTP mode."""

    def learner(self, user: str = "U0ANN", team: str = TEAM, channel: str | None = None) -> SlackLearner:
        return SlackLearner(self, user, team, channel or self.fake.dm(user))


def settings_for(fake: FakeSlack, **changes: Any) -> SlackSettings:
    settings = SlackSettings(
        signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.api_url
    )
    return replace(settings, **changes)


@asynccontextmanager
async def slack_world(
    engine: Engine,
    mode: Mode = "http",
    fake: FakeSlack | None = None,
    *,
    public_url: str = "",
    pace: ChannelPace | None = None,
    **settings: Any,
) -> AsyncIterator[World]:
    """The fake Slack (unless given one already running) and the adapter, running; fails
    if any message broke Block Kit's rules. `public_url` is the deployment's setting;
    `pace` replaces Slack's one message a second per channel (`ChannelPace(0)`: none)."""
    if fake is not None:
        async with _adapter(engine, mode, fake, settings, public_url=public_url, pace=pace) as world:
            yield world
        return
    fake = FakeSlack()
    await fake.start()
    fake.add_workspace(TEAM, BOT_TOKEN)
    fake.app_tokens.add(APP_TOKEN)
    try:
        async with _adapter(engine, mode, fake, settings, public_url=public_url, pace=pace) as world:
            yield world
    finally:
        await fake.stop()
    assert fake.violations == []


@asynccontextmanager
async def _adapter(
    engine: Engine,
    mode: Mode,
    fake: FakeSlack,
    settings: dict[str, Any],
    *,
    public_url: str = "",
    pace: ChannelPace | None = None,
) -> AsyncIterator[World]:
    core = replace(core_of(engine), public_url=public_url)
    async with (
        aiohttp.ClientSession() as session,
        slack_bot(core, settings_for(fake, **settings), pace=pace) as bot,
    ):
        if mode == "http":
            url = f"http://127.0.0.1:{await bot.listen('127.0.0.1', 0)}"
            yield World(fake, bot, HttpTransport(session, url + EVENTS_PATH), session, url)
        else:
            await bot.connect()
            yield World(fake, bot, SocketTransport(fake), session)


class SlackLearner:
    """A person in the Slack client: types in the app's DM, presses what they see."""

    def __init__(self, world: World, user: str, team: str, channel: str) -> None:
        self.world, self.user, self.team, self.channel = world, user, team, channel

    async def say(self, text: str) -> None:
        await self.event(direct_message(self.channel, self.user, text))

    async def open_tab(self, tab: Literal["home", "messages"]) -> None:
        await self.event({"type": "app_home_opened", "user": self.user, "channel": self.channel, "tab": tab})

    async def event(self, event: Json, *, event_id: str | None = None, deliveries: int = 1) -> list[int]:
        body = event_body(self.team, event, event_id or f"Ev{serial():08d}")
        statuses = [await self.world.transport.event(body, retry) for retry in range(deliveries)]
        await self.world.bot.drained()
        return statuses

    async def press(self, label: str) -> None:
        """Press the newest button labelled `label` (a quiz box's ☐/☑ may be left out)."""
        for message in reversed(self.visible()):
            for button in message.buttons():
                if label in (button["text"]["text"], button["text"]["text"][2:]) and "value" in button:
                    await self.world.transport.interaction(self.press_payload(message, button))
                    await self.world.bot.drained()
                    return
        raise AssertionError(f"no button {label!r}; buttons: {self.buttons()}")

    def press_payload(self, message: Message, button: Json) -> Json:
        return press_payload(self.team, self.user, message, button)

    async def press_in_home(self, label: str) -> None:
        """Press a button on the App Home tab as last published."""
        view = self.world.fake.views[(self.team, self.user)]
        await self.world.transport.interaction(home_press_payload(self.team, self.user, view, label))
        await self.world.bot.drained()

    async def command(self, text: str, channel: str = "C0GENERAL") -> None:
        response_url = self.world.fake.response_url(self.team, channel, self.user)
        await self.world.transport.command(command_form(self.team, self.user, channel, text, response_url))
        await self.world.bot.drained()

    def visible(self) -> list[Message]:
        """Messages this learner sees: the DM, and answers only they see anywhere."""
        fake = self.world.fake
        return [
            m
            for ch, ms in fake.messages.items()
            for m in ms
            if ch == self.channel or m.ephemeral_for == self.user
        ]

    def buttons(self) -> list[str]:
        return [button["text"]["text"] for message in self.visible() for button in message.buttons()]

    def dm(self) -> list[Message]:
        return list(self.world.fake.messages[self.channel])
