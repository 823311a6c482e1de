"""Lessonloop in Slack: a Bolt `AsyncApp` served over Socket Mode or HTTP.

Every listener acknowledges at once and hands the slow work (`users.info`, the engine's
transaction, the Web API calls) to a queue per learner, so Slack has its answer well
within its 3 seconds, one learner's events are handled in the order they came, and
different learners proceed side by side. A redelivery (Slack's retry, a Socket Mode
reconnect) reaches the engine with the same event id and does nothing there, in whichever
process it lands, so several processes can serve one app. Web API calls wait out a 429's
`Retry-After`, on top of slack_sdk's default retry of connection errors.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    async_default_handlers,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters import slack_events, slack_support
from bot.adapters.slack_delivery import Delivery
from bot.adapters.slack_events import Incoming
from bot.adapters.slack_home import home_view
from bot.adapters.slack_install import oauth_settings
from bot.adapters.slack_people import People
from bot.adapters.slack_queue import Learner, LearnerQueue
from bot.adapters.slack_settings import (
    SlackConfigError,
    SlackSettings,
    keep_tokens_out_of_logs,
    slack_settings,
)
from bot.engine import Engine
from bot.messages import Platform, Sender
from bot.overview import learner_overview

log = logging.getLogger(__name__)
_bolt_log = logging.getLogger("lessonloop.slack.bolt")
# Bolt reads SLACK_BOT_TOKEN itself and warns that the client's token wins: it is the same one.
_bolt_log.addFilter(lambda record: "`token` will be unused" not in record.getMessage())

EVENTS_PATH = "/slack/events"
RATE_LIMIT_RETRIES = 3
ENGINE_THREADS = 8

Payload = dict[str, Any]
Result = TypeVar("Result")


def serve(engine: Engine, *, http: bool, port: int, listen: str) -> int:
    """`lessonloop run slack`: serve until SIGINT or SIGTERM, then finish the work in hand."""
    try:
        settings = slack_settings(os.environ, http=http)
    except SlackConfigError as error:
        print(f"lessonloop: {error}", file=sys.stderr)
        return 2
    keep_tokens_out_of_logs()
    asyncio.run(_serve(engine, settings, http=http, port=port, listen=listen))
    return 0


async def _serve(engine: Engine, settings: SlackSettings, *, http: bool, port: int, listen: str) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    async with slack_bot(engine, settings) as bot:
        if http:
            bound = await bot.listen(listen, port)
            print(f"lessonloop: Slack requests at http://{listen}:{bound}{EVENTS_PATH}", flush=True)
        else:
            await bot.connect()
            print("lessonloop: connected to Slack in Socket Mode", flush=True)
        await stopping.wait()


def retry_handlers() -> list[AsyncRetryHandler]:
    """slack_sdk's defaults plus waiting out 429s (`retry_handlers=` replaces the defaults)."""
    return [*async_default_handlers(), AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]


@asynccontextmanager
async def slack_bot(engine: Engine, settings: SlackSettings) -> AsyncIterator[SlackBot]:
    """A bot ready to `listen` or `connect`; on exit it stops taking requests and finishes
    the work already acknowledged."""
    async with aiohttp.ClientSession() as session:
        bot = SlackBot(engine, settings, session)
        dispatching = asyncio.create_task(bot.dispatcher.run())
        try:
            yield bot
        finally:
            bot.dispatcher.stop()
            await dispatching
            await bot.close()


class SlackBot:
    def __init__(self, engine: Engine, settings: SlackSettings, session: aiohttp.ClientSession) -> None:
        self.engine = engine
        self.settings = settings
        client_options: Payload = {"base_url": settings.api_url} if settings.api_url else {}
        self.client = AsyncWebClient(
            token=settings.bot_token, session=session, retry_handlers=retry_handlers(), **client_options
        )
        self.app = AsyncApp(
            name="lessonloop",
            client=self.client,
            signing_secret=settings.signing_secret,
            process_before_response=True,  # our listeners ack and return; the work is queued
            oauth_settings=oauth_settings(settings, engine.database.engine)
            if settings.multi_workspace
            else None,
            logger=_bolt_log,
        )
        # SQLite takes one writer at a time: more threads would only queue on its lock (and
        # sleep in its busy handler). PostgreSQL locks per learner, so learners run side by side.
        workers = 1 if engine.database.is_sqlite else ENGINE_THREADS
        self._engine_threads = ThreadPoolExecutor(workers, thread_name_prefix="lessonloop-engine")
        self.people = People()
        self.delivery = Delivery(session, retry_handlers())
        self._queue = LearnerQueue()
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        # Before the learners' `message` listener: the support channel's thread replies.
        self.dispatcher = slack_support.dispatcher(
            self.app, self.client, engine, people=self.people, submit=self._queue.submit
        )
        self.app.event("message")(self._on_message)
        self.app.event("app_home_opened")(self._on_home_opened)
        self.app.action(re.compile(r"^choice-\d+$"))(self._on_press)
        self.app.action(re.compile(r"^link-\d+$"))(self._on_link)
        self.app.action(re.compile(r"^home-(continue|start-\d+)$"))(self._on_home_press)
        self.app.command("/learn")(self._on_command)
        if settings.multi_workspace:
            self.app.enable_token_revocation_listeners()

    async def listen(self, host: str, port: int) -> int:
        """Serve Events API, interactivity and `/learn` (and the install pages) over HTTP;
        returns the port bound (useful with 0)."""
        self._runner = web.AppRunner(self.app.web_app(path=EVENTS_PATH, port=port), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        return int(self._runner.addresses[0][1])

    async def connect(self) -> None:
        """Take requests over a Socket Mode WebSocket (no public URL needed)."""
        self._socket = AsyncSocketModeHandler(self.app, self.settings.app_token)
        await self._socket.connect_async()  # type: ignore[no-untyped-call]

    async def drained(self) -> None:
        """Return once every acknowledged request's work is done."""
        await self._queue.drained()

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._runner is not None:
            await self._runner.cleanup()
        await self.drained()
        self._engine_threads.shutdown()

    # --- listeners: acknowledge, convert, queue ----------------------------------------

    async def _on_message(self, ack: AsyncAck, body: Payload, client: AsyncWebClient) -> None:
        await ack()
        incoming = slack_events.from_message(body)
        if incoming is not None:
            self._queue.submit(incoming.learner, partial(self._handle, incoming, client))

    async def _on_home_opened(self, ack: AsyncAck, body: Payload, client: AsyncWebClient) -> None:
        await ack()
        event = body["event"]
        learner = (slack_events.team_of(body), event["user"])
        if event.get("tab") == "home":
            self._queue.submit(learner, partial(self._publish_home, learner, client))
        elif event.get("tab") == "messages":
            incoming = slack_events.from_first_visit(body)
            self._queue.submit(learner, partial(self._greet_newcomer, incoming, client))

    async def _on_press(self, ack: AsyncAck, body: Payload, client: AsyncWebClient) -> None:
        await ack()
        incoming = slack_events.from_press(body)
        if incoming is not None:
            self._queue.submit(incoming.learner, partial(self._handle, incoming, client))

    async def _on_link(self, ack: AsyncAck) -> None:
        await ack()  # Slack reports link buttons too; the browser does the rest

    async def _on_home_press(self, ack: AsyncAck, body: Payload, client: AsyncWebClient) -> None:
        await ack()
        incoming = slack_events.from_home_press(body)
        self._queue.submit(incoming.learner, partial(self._handle, incoming, client))

    async def _on_command(self, ack: AsyncAck, body: Payload, client: AsyncWebClient) -> None:
        await ack()
        incoming = slack_events.from_command(body)
        self._queue.submit(incoming.learner, partial(self._handle, incoming, client))

    # --- the work after the ack ----------------------------------------------------------

    async def _handle(self, incoming: Incoming, client: AsyncWebClient) -> None:
        profile = await self.people.profile(client, incoming.team, incoming.user)
        channel = incoming.channel or await self.people.direct_channel(client, incoming.team, incoming.user)
        event = slack_events.inbound(incoming, profile, channel, datetime.now(UTC))
        replies = await self._on_database(partial(self.engine.handle, event))
        await self.delivery.send(client, incoming, channel, replies)

    async def _greet_newcomer(self, incoming: Incoming, client: AsyncWebClient) -> None:
        """The first look at the app's DM gets the welcome; later looks get nothing."""
        sender = Sender(Platform.SLACK, incoming.user, workspace=incoming.team)
        overview = await self._on_database(
            partial(learner_overview, self.engine.content, self.engine.database, sender)
        )
        if not overview.known:
            await self._handle(incoming, client)

    async def _publish_home(self, learner: Learner, client: AsyncWebClient) -> None:
        team, user = learner
        profile = await self.people.profile(client, team, user)
        sender = Sender(Platform.SLACK, user, workspace=team, locale_hint=profile.locale)
        overview = await self._on_database(
            partial(learner_overview, self.engine.content, self.engine.database, sender)
        )
        await client.views_publish(user_id=user, view=home_view(overview))

    async def _on_database(self, work: Callable[[], Result]) -> Result:
        """Blocking database work, on the engine's threads so the event loop keeps answering."""
        return await asyncio.get_running_loop().run_in_executor(self._engine_threads, work)
