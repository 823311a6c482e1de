"""Lessonloop in Slack: a Bolt `AsyncApp` served over Socket Mode or HTTP.

Every listener stores the request in the inbox (one short transaction) and only then
acknowledges it, so Slack has its answer well within its 3 seconds and a crash after the
acknowledgement loses nothing: the stored request is finished by a restart or by another
process (`inbox_worker`). The slow work (`users.info`, the engine's transaction, the Web
API calls) runs after the acknowledgement, one learner's requests in the order they were
stored, different learners side by side. A redelivery (Slack's retry, a Socket Mode
reconnect) is dropped when it is stored, in whichever process it lands. Web API calls wait
out a 429's `Retry-After`, on top of slack_sdk's default retry of connection errors.

Slack resends whatever is not answered 2xx, so a request no listener takes is answered
200, one that is signed but cannot be read 400 (`endpoint`, `_on_error`), and one that
lacks what a turn needs 200 with a log line; only a request that could not be stored gets
500, to be sent again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.database_work import DatabaseWork
from bot.adapters.inbox_worker import DEFAULT_LEASE_S, InboxWorker
from bot.adapters.slack import endpoint, support_channel, web_api
from bot.adapters.slack import events as slack_events
from bot.adapters.slack.clients import Clients
from bot.adapters.slack.delivery import Delivery
from bot.adapters.slack.events import Incoming, Payload, UnusableRequestError
from bot.adapters.slack.home import home_view
from bot.adapters.slack.install import InstallFlow, authorize, oauth_settings
from bot.adapters.slack.invites import INSTALL_PATH, STATE_SEPARATOR, InviteLinks
from bot.adapters.slack.learners import SlackLearners
from bot.adapters.slack.pacing import ChannelPace
from bot.adapters.slack.people import People
from bot.adapters.slack.prompts import ShownChanges, find_shown, forget_old, prompts_to_find, save_shown
from bot.adapters.slack.settings import (
    SlackSettings,
)
from bot.adapters.slack.updates import Shown
from bot.adapters.slack.web_api import FAILED, error_code
from bot.bootstrap import Core
from bot.delivery.outbox import LearnerOutbox
from bot.links.deep_links import invite_payload
from bot.messages import InboundEvent, Platform, Reply, Sender
from bot.web.server import WebServer
from storage.inbox import Arrival, Entry, already_handled

log = logging.getLogger(__name__)
_bolt_log = logging.getLogger("lessonloop.slack.bolt")
# Bolt reads SLACK_BOT_TOKEN itself and warns that the client's token wins: it is the same one.
_bolt_log.addFilter(lambda record: "`token` will be unused" not in record.getMessage())

EVENTS_PATH = "/slack/events"

Result = TypeVar("Result")
Learner = tuple[str, str]
"""(team id, user id)"""


@asynccontextmanager
async def slack_bot(
    core: Core,
    settings: SlackSettings,
    *,
    inbox_lease_s: float = DEFAULT_LEASE_S,
    pace: ChannelPace | None = None,
) -> AsyncIterator[SlackBot]:
    """A bot ready to `listen` or `connect`, working off what the inbox holds for it; on
    exit it stops taking requests and finishes the work already acknowledged. `pace`:
    Slack's one message a second per channel unless a benchmark lifts it."""
    async with web_api.session() as session:
        bot = SlackBot(core, settings, session, inbox_lease_s=inbox_lease_s, pace=pace)
        bot.inbox.start()
        dispatching = asyncio.create_task(bot.dispatcher.run())
        sending = asyncio.create_task(bot.learners.run())
        try:
            yield bot
        finally:
            bot.dispatcher.stop()
            bot.learners.stop()
            await dispatching
            await sending
            await bot.close()


class SlackBot:
    def __init__(
        self,
        core: Core,
        settings: SlackSettings,
        session: aiohttp.ClientSession,
        *,
        inbox_lease_s: float = DEFAULT_LEASE_S,
        pace: ChannelPace | None = None,
    ) -> None:
        self.engine = core.engine
        self._database = core.database
        self.settings = settings
        self.client = AsyncWebClient(
            token=settings.bot_token,
            base_url=settings.api_url or AsyncWebClient.BASE_URL,
            session=session,
            retry_handlers=web_api.retry_handlers(),
        )
        oauth = oauth_settings(settings, core.database.engine) if settings.multi_workspace else None
        self.app = AsyncApp(
            name="lessonloop",
            client=self.client,
            signing_secret=settings.signing_secret,
            process_before_response=True,  # our listeners store, ack and return; the work follows
            oauth_flow=InstallFlow(oauth, self._on_invited_install) if oauth is not None else None,
            # Bolt takes an AsyncAuthorize as it is (its hint names only functions).
            authorize=authorize(oauth) if oauth is not None else None,  # type: ignore[arg-type]
            logger=_bolt_log,
            raise_error_for_unhandled_request=True,  # to `_on_error`, which answers 200
        )
        self.app.error(self._on_error)
        self._database_work = DatabaseWork(core.database, name="slack")
        self.people = People()
        install_page = core.public_url + INSTALL_PATH if oauth is not None and core.public_url else None
        self.delivery = Delivery(session, web_api.retry_handlers(), pace, InviteLinks(install_page))
        self._clients = Clients(self.client, self._find_token if settings.multi_workspace else None)
        self.inbox = InboxWorker(
            self._database_work,
            Platform.SLACK.value,
            self._work,
            save_shown,
            lease_s=inbox_lease_s,
            tidy=forget_old,
        )
        self._server: WebServer | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self.support = support_channel.support_channel(self.client, core.desk, self.people)
        if self.support is not None:
            # Before the learners' `message` listener: the support channel's thread replies.
            self.support.listen(self.app, self._store)
        self.dispatcher = support_channel.dispatcher(core.desk, self.support)
        self.learners = LearnerOutbox(
            self._database_work,
            SlackLearners(self._clients.client, self.delivery, self._database_work),
            core.reach_out,
            clock=core.clock,
            lease=core.outbox_lease,
        )
        """The outbox to Slack learners: support's replies, scheduled lessons."""
        self.app.event("message")(self._on_message)
        self.app.event("app_home_opened")(self._on_home_opened)
        self.app.action(re.compile(r"^choice-\d+$"))(self._on_press)
        self.app.action(re.compile(r"^link-\d+$"))(self._on_link)
        self.app.action(re.compile(r"^home-(continue|start-\d+)$"))(self._on_home_press)
        self.app.command("/learn")(self._on_command)
        if settings.multi_workspace:
            self.app.enable_token_revocation_listeners()

    def routes(self) -> list[web.RouteDef]:
        """Events API, interactivity and `/learn` (and the install pages), for the process's
        HTTP application (`bot.web`)."""
        return endpoint.routes(self.app, EVENTS_PATH, self.settings.signing_secret)

    async def listen(self, host: str, port: int) -> int:
        """Serve `routes` alone on `host:port`; returns the port bound (useful with 0)."""
        self._server = WebServer(self.routes())
        return await self._server.start(host, port)

    async def connect(self) -> None:
        """Take requests over a Socket Mode WebSocket (no public URL needed)."""
        self._socket = AsyncSocketModeHandler(self.app, self.settings.app_token)
        await self._socket.connect_async()  # type: ignore[no-untyped-call]

    async def deliver_due(self) -> int:
        """One pass over both outboxes (to support, to learners); how many rows were sent."""
        return await self.dispatcher.deliver_due() + await self.learners.deliver_due()

    async def drained(self) -> None:
        """Return once every acknowledged request's work is done."""
        await self.inbox.drained()

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._server is not None:
            await self._server.stop()
        await self.inbox.close()
        self._database_work.close()

    async def _find_token(self, team: str) -> str | None:
        store = self.app.installation_store
        bot = await store.async_find_bot(enterprise_id=None, team_id=team) if store is not None else None
        return bot.bot_token if bot is not None else None

    # --- listeners: store, then acknowledge ---------------------------------------------

    async def _on_message(self, ack: AsyncAck, body: Payload, context: AsyncBoltContext) -> None:
        await self._take(MESSAGE, slack_events.from_message, ack, body, context)

    async def _on_home_opened(self, ack: AsyncAck, body: Payload, context: AsyncBoltContext) -> None:
        tab = body["event"].get("tab")  # Bolt matched the event's type: it is an object
        if tab in ("home", "messages"):
            kind = HOME_TAB if tab == "home" else FIRST_VISIT
            await self._take(kind, slack_events.from_first_visit, ack, body, context)
        else:
            await ack()

    async def _on_press(self, ack: AsyncAck, body: Payload, context: AsyncBoltContext) -> None:
        await self._take(PRESS, slack_events.from_press, ack, body, context)

    async def _on_link(self, ack: AsyncAck) -> None:
        await ack()  # Slack reports link buttons too; the browser does the rest

    async def _on_home_press(self, ack: AsyncAck, body: Payload, context: AsyncBoltContext) -> None:
        await self._take(HOME_PRESS, slack_events.from_home_press, ack, body, context)

    async def _on_command(self, ack: AsyncAck, body: Payload, context: AsyncBoltContext) -> None:
        await self._take(COMMAND, slack_events.from_command, ack, body, context)

    async def _take(
        self,
        kind: str,
        read: Callable[[Payload], Incoming | None],
        ack: AsyncAck,
        body: Payload,
        context: AsyncBoltContext,
    ) -> None:
        """Commit a learner's request to the inbox, and only then acknowledge it; one that
        cannot be a turn, or that came with another workspace's token, is acknowledged and
        left."""
        try:
            incoming = read(body)
        except UnusableRequestError as error:
            log.warning("a Slack %s request that cannot be used (%s): acknowledged, left", kind, error)
            incoming = None
        if incoming is not None and self._answerable(incoming, context):
            self._clients.remember(incoming.team, context.client)
            await self._store(kind, incoming.learner, incoming.event_id, slack_events.stored(incoming))
        await ack()

    def _answerable(self, incoming: Incoming, context: AsyncBoltContext) -> bool:
        """Whether the token Bolt found for the request is that of the learner's workspace.
        With many workspaces Bolt takes the workspace from `authorizations` before
        `team_id`, so an event from a workspace that never installed the app can come with
        another one's token; with one workspace, a request naming another workspace is not
        Slack's for this app."""
        authorized = context.authorize_result.team_id if context.authorize_result is not None else None
        if authorized == incoming.team:
            return True
        log.warning(
            "a Slack request from workspace %s came with the token of %s: not answered",
            incoming.team,
            authorized,
        )
        return False

    async def _store(self, kind: str, person: Learner, event_id: str, payload: Payload | str) -> None:
        """Commit a request of `person` (a learner, or a support agent) to the inbox: what was
        read from it (`events.stored`), or a support request's body."""
        team, user = person
        arrival = Arrival(
            platform=Platform.SLACK.value,
            event_id=event_id,
            learner_key=f"{team}:{user}",
            kind=kind,
            payload=payload if isinstance(payload, str) else json.dumps(payload),
            received_at=datetime.now(UTC),
        )
        await self.inbox.receive(arrival)

    async def _on_invited_install(self, team: str, user: str, ref: str, state: str) -> None:
        """An install that came through a learner's invite: the installer starts as their
        referral, greeted in their DM with the app as a Telegram `/start` would be."""
        issued = state.split(STATE_SEPARATOR, 1)[0]
        incoming = Incoming(
            team=team, user=user, event_id=f"install:{issued}", start_payload=invite_payload(ref)
        )
        await self._store(INSTALLED, incoming.learner, incoming.event_id, slack_events.stored(incoming))

    async def _on_error(self, error: Exception, body: Payload) -> BoltResponse | None:
        """Bolt's answer when no listener takes a request (200: Slack would resend it), when
        it could not read one (400), or when a listener failed (500: the request was not
        stored, so Slack's resending it is what saves it)."""
        if isinstance(error, BoltUnhandledRequestError):
            log.warning("a Slack request no listener takes (%s): acknowledged, left", _described(body))
            return BoltResponse(status=200, body="")
        if isinstance(error, endpoint.UNREADABLE):
            log.warning(
                "a Slack request (%s) Bolt cannot read (%s): answered 400",
                _described(body),
                endpoint.describe(error),
            )
            return BoltResponse(status=400, body="")
        log.error("a Slack request (%s) failed: answered 500", _described(body), exc_info=error)
        return None

    # --- the work after the ack: one inbox entry ---------------------------------------

    async def _work(self, entry: Entry) -> ShownChanges | None:
        body = json.loads(entry.payload)
        if entry.kind in support_channel.KINDS:
            if self.support is not None:
                await self.support.work(entry.kind, body)
            return None
        incoming = slack_events.from_stored(body)
        if incoming is None and entry.kind in _VERSION_0_1_READERS:  # stored before an upgrade
            incoming = _VERSION_0_1_READERS[entry.kind](body)
        if incoming is None:
            return None
        try:
            client = await self._clients.client(incoming.team)
        except LookupError as error:  # uninstalled since the request was stored
            log.warning("event %s not answered: %s", entry.event_id, error)
            return None
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
        # Slack takes a user id as chat.postMessage's channel: the learner's DM with the app.
        channel = (
            incoming.channel
            or await self.people.direct_channel(client, incoming.team, incoming.user)
            or incoming.user
        )
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
        try:
            await client.views_publish(user_id=user, view=home_view(overview))
        except FAILED as error:
            log.warning("views.publish for %s in %s failed: %s", user, team, error_code(error))

    async def _on_database(self, work: Callable[[], Result]) -> Result:
        """Blocking database work, on the database threads so the event loop keeps answering."""
        return await self._database_work.run(work)


MESSAGE, HOME_TAB, FIRST_VISIT, PRESS, HOME_PRESS, COMMAND, INSTALLED = (
    "message",
    "home_tab",
    "first_visit",
    "press",
    "home_press",
    "command",
    "installed",
)
_VERSION_0_1_READERS: dict[str, Callable[[Payload], Incoming | None]] = {
    MESSAGE: slack_events.from_message,
    HOME_TAB: slack_events.from_first_visit,
    FIRST_VISIT: slack_events.from_first_visit,
    PRESS: slack_events.from_press,
    HOME_PRESS: slack_events.from_home_press,
    COMMAND: slack_events.from_command,
}
"""Version 0.1.0 stored raw bodies and read them after the ack: an entry one of its processes
left in a shared inbox is still finished after an upgrade. Remove with the next schema change."""


def _described(body: Payload) -> str:
    """What a request is, for the log: `event message`, `block_actions`, `/learn`."""
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("type"), str):
        return f"event {event['type']}"
    return str(body.get("type") or body.get("command") or "of no known type")[:60]
