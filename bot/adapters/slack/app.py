"""Lessonloop in Slack: a Bolt `AsyncApp` served over Socket Mode or HTTP.

Every listener stores the request in the inbox (one short transaction) and only then
acknowledges it, so Slack has its answer well within its 3 seconds and a crash after the
acknowledgement loses nothing: the stored request is finished by a restart or by another
process (`inbox_worker`). The slow work (`users.info`, the engine's transaction, the Web
API calls) runs after the acknowledgement, one learner's requests in the order they were
stored, different learners side by side. A redelivery (Slack's retry, a Socket Mode
reconnect) is dropped when it is stored, in whichever process it lands. Web API calls wait
out a 429's `Retry-After`, on top of slack_sdk's default retry of connection errors.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
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

from bot.adapters.database_work import DatabaseWork
from bot.adapters.inbox_worker import DEFAULT_LEASE_S, InboxWorker
from bot.adapters.slack import events as slack_events
from bot.adapters.slack import support_channel
from bot.adapters.slack.clients import Clients
from bot.adapters.slack.delivery import Delivery
from bot.adapters.slack.events import Incoming
from bot.adapters.slack.home import home_view
from bot.adapters.slack.install import oauth_settings
from bot.adapters.slack.people import People
from bot.adapters.slack.prompts import ShownChanges, find_shown, forget_old, prompts_to_find, save_shown
from bot.adapters.slack.settings import (
    SlackConfigError,
    SlackSettings,
    keep_tokens_out_of_logs,
    slack_settings,
)
from bot.adapters.slack.updates import Shown
from bot.bootstrap import Core
from bot.messages import InboundEvent, Platform, Reply, Sender
from storage.inbox import Arrival, Entry, already_handled

log = logging.getLogger(__name__)
_bolt_log = logging.getLogger("lessonloop.slack.bolt")
# Bolt reads SLACK_BOT_TOKEN itself and warns that the client's token wins: it is the same one.
_bolt_log.addFilter(lambda record: "`token` will be unused" not in record.getMessage())

EVENTS_PATH = "/slack/events"
RATE_LIMIT_RETRIES = 3

Payload = dict[str, Any]
Result = TypeVar("Result")
Learner = tuple[str, str]
"""(team id, user id)"""


def settings_or_exit(*, http: bool) -> SlackSettings:
    """The Slack settings from the environment, or exit 2 with what is wrong: checked
    before the content and the FAQ model are loaded, so a missing token is said at once."""
    try:
        return slack_settings(os.environ, http=http)
    except SlackConfigError as error:
        print(f"lessonloop: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def serve(
    core: Core,
    settings: SlackSettings,
    *,
    http: bool,
    port: int,
    listen: str,
    inbox_lease_s: float = DEFAULT_LEASE_S,
) -> int:
    """`lessonloop run slack`: serve until SIGINT or SIGTERM, then finish the work in hand."""
    keep_tokens_out_of_logs()
    asyncio.run(_serve(core, settings, http=http, port=port, listen=listen, inbox_lease_s=inbox_lease_s))
    return 0


async def _serve(
    core: Core, settings: SlackSettings, *, http: bool, port: int, listen: str, inbox_lease_s: float
) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    async with slack_bot(core, settings, inbox_lease_s=inbox_lease_s) as bot:
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
async def slack_bot(
    core: Core, settings: SlackSettings, *, inbox_lease_s: float = DEFAULT_LEASE_S
) -> AsyncIterator[SlackBot]:
    """A bot ready to `listen` or `connect`, working off what the inbox holds for it; on
    exit it stops taking requests and finishes the work already acknowledged."""
    async with aiohttp.ClientSession() as session:
        bot = SlackBot(core, settings, session, inbox_lease_s=inbox_lease_s)
        bot.inbox.start()
        dispatching = asyncio.create_task(bot.dispatcher.run())
        try:
            yield bot
        finally:
            bot.dispatcher.stop()
            await dispatching
            await bot.close()


class SlackBot:
    def __init__(
        self,
        core: Core,
        settings: SlackSettings,
        session: aiohttp.ClientSession,
        *,
        inbox_lease_s: float = DEFAULT_LEASE_S,
    ) -> None:
        self.engine = core.engine
        self._database = core.database
        self.settings = settings
        client_options: Payload = {"base_url": settings.api_url} if settings.api_url else {}
        self.client = AsyncWebClient(
            token=settings.bot_token, session=session, retry_handlers=retry_handlers(), **client_options
        )
        self.app = AsyncApp(
            name="lessonloop",
            client=self.client,
            signing_secret=settings.signing_secret,
            process_before_response=True,  # our listeners store, ack and return; the work follows
            oauth_settings=oauth_settings(settings, core.database.engine)
            if settings.multi_workspace
            else None,
            logger=_bolt_log,
        )
        self._database_work = DatabaseWork(core.database, name="slack")
        self.people = People()
        self.delivery = Delivery(session, retry_handlers())
        self._clients = Clients(self.client, self._find_token if settings.multi_workspace else None)
        self.inbox = InboxWorker(
            self._database_work,
            Platform.SLACK.value,
            self._work,
            save_shown,
            lease_s=inbox_lease_s,
            tidy=forget_old,
        )
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self.support = support_channel.support_channel(self.client, core.desk, self.people)
        if self.support is not None:
            # Before the learners' `message` listener: the support channel's thread replies.
            self.support.listen(self.app, self._store_support)
        self.dispatcher = support_channel.dispatcher(self.app, self.client, core.desk, self.support)
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
        await self.inbox.drained()

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._runner is not None:
            await self._runner.cleanup()
        await self.inbox.close()
        self._database_work.close()

    async def _find_token(self, team: str) -> str | None:
        store = self.app.installation_store
        bot = await store.async_find_bot(enterprise_id=None, team_id=team) if store is not None else None
        return bot.bot_token if bot is not None else None

    # --- listeners: store, then acknowledge ---------------------------------------------

    async def _on_message(self, ack: AsyncAck, body: Payload, client: AsyncWebClient) -> None:
        incoming = slack_events.from_message(body)
        if incoming is not None:
            await self._store(MESSAGE, incoming, body, client)
        await ack()

    async def _on_home_opened(self, ack: AsyncAck, body: Payload, client: AsyncWebClient) -> None:
        tab = body["event"].get("tab")
        if tab in ("home", "messages"):
            incoming = slack_events.from_first_visit(body)
            await self._store(HOME_TAB if tab == "home" else FIRST_VISIT, incoming, body, client)
        await ack()

    async def _on_press(self, ack: AsyncAck, body: Payload, client: AsyncWebClient) -> None:
        incoming = slack_events.from_press(body)
        if incoming is not None:
            await self._store(PRESS, incoming, body, client)
        await ack()

    async def _on_link(self, ack: AsyncAck) -> None:
        await ack()  # Slack reports link buttons too; the browser does the rest

    async def _on_home_press(self, ack: AsyncAck, body: Payload, client: AsyncWebClient) -> None:
        await self._store(HOME_PRESS, slack_events.from_home_press(body), body, client)
        await ack()

    async def _on_command(self, ack: AsyncAck, body: Payload, client: AsyncWebClient) -> None:
        await self._store(COMMAND, slack_events.from_command(body), body, client)
        await ack()

    async def _store(self, kind: str, incoming: Incoming, body: Payload, client: AsyncWebClient) -> None:
        """Commit the request to the inbox; only then may the listener acknowledge it."""
        self._clients.remember(incoming.team, client)
        await self._store_support(kind, incoming.learner, incoming.event_id, body)

    async def _store_support(self, kind: str, person: Learner, event_id: str, body: Payload) -> None:
        """Commit a request of `person` (a learner, or a support agent) to the inbox."""
        team, user = person
        arrival = Arrival(
            platform=Platform.SLACK.value,
            event_id=event_id,
            learner_key=f"{team}:{user}",
            kind=kind,
            payload=json.dumps(body),
            received_at=datetime.now(UTC),
        )
        await self.inbox.receive(arrival)

    # --- the work after the ack: one inbox entry ---------------------------------------

    async def _work(self, entry: Entry) -> ShownChanges | None:
        body = json.loads(entry.payload)
        if entry.kind in support_channel.KINDS:
            if self.support is not None:
                await self.support.work(entry.kind, body)
            return None
        incoming = _READERS[entry.kind](body)
        if incoming is None:
            return None
        client = await self._clients.client(incoming.team)
        if entry.kind == HOME_TAB:
            await self._publish_home(incoming.learner, client)
            return None
        if entry.kind == FIRST_VISIT:
            return await self._greet_newcomer(incoming, client, entry.attempts)
        return await self._handle(incoming, client, entry.attempts)

    async def _handle(self, incoming: Incoming, client: AsyncWebClient, attempts: int) -> ShownChanges:
        """The engine's replies shown in Slack. Taken over from a process that died after
        the engine committed, the learner gets where they are shown again instead."""
        profile = await self.people.profile(client, incoming.team, incoming.user)
        channel = incoming.channel or await self.people.direct_channel(client, incoming.team, incoming.user)
        event = slack_events.inbound(incoming, profile, channel, datetime.now(UTC))
        replies, on_screen = await self._on_database(partial(self._replies, incoming, event, attempts))
        changes = await self.delivery.send(client, incoming, channel, replies, on_screen)
        return ShownChanges(incoming.team, incoming.user, changes, event.received_at)

    def _replies(
        self, incoming: Incoming, event: InboundEvent, attempts: int
    ) -> tuple[tuple[Reply, ...], dict[str, Shown]]:
        if attempts > 1 and self._handled(event.event_id):
            log.info(
                "event %s was handled before its process died: showing where the learner is", event.event_id
            )
            event = replace(
                event, event_id=f"{event.event_id}:resume", text="resume", choices=(), start_payload=None
            )
            incoming = replace(incoming, pressed=None)
        replies = self.engine.handle(event)
        wanted = prompts_to_find(incoming, replies)
        if not wanted:
            return replies, {}
        with self._database.transaction() as session:
            return replies, find_shown(session, incoming.team, incoming.user, wanted)

    def _handled(self, event_id: str) -> bool:
        with self._database.transaction() as session:
            return already_handled(session, Platform.SLACK.value, event_id)

    async def _greet_newcomer(
        self, incoming: Incoming, client: AsyncWebClient, attempts: int
    ) -> ShownChanges | None:
        """The first look at the app's DM gets the welcome; later looks get nothing."""
        sender = Sender(Platform.SLACK, incoming.user, workspace=incoming.team)
        overview = await self._on_database(partial(self.engine.overview, sender))
        if not overview.known or (
            attempts > 1 and await self._on_database(partial(self._handled, incoming.event_id))
        ):
            return await self._handle(incoming, client, attempts)
        return None

    async def _publish_home(self, learner: Learner, client: AsyncWebClient) -> None:
        team, user = learner
        profile = await self.people.profile(client, team, user)
        sender = Sender(Platform.SLACK, user, workspace=team, locale_hint=profile.locale)
        overview = await self._on_database(partial(self.engine.overview, sender))
        await client.views_publish(user_id=user, view=home_view(overview))

    async def _on_database(self, work: Callable[[], Result]) -> Result:
        """Blocking database work, on the database threads so the event loop keeps answering."""
        return await self._database_work.run(work)


MESSAGE, HOME_TAB, FIRST_VISIT, PRESS, HOME_PRESS, COMMAND = (
    "message",
    "home_tab",
    "first_visit",
    "press",
    "home_press",
    "command",
)
_READERS: dict[str, Callable[[Payload], Incoming | None]] = {
    MESSAGE: slack_events.from_message,
    HOME_TAB: slack_events.from_first_visit,
    FIRST_VISIT: slack_events.from_first_visit,
    PRESS: slack_events.from_press,
    HOME_PRESS: slack_events.from_home_press,
    COMMAND: slack_events.from_command,
}
