"""Lessonloop in Telegram: a python-telegram-bot `Application` fed by long polling or a webhook.

Both ways in store each update in the inbox first (`TelegramBot.store`); only then is it
confirmed to Telegram (the webhook's 200, the next polling offset), so a crash after that
loses nothing: the stored update is finished by a restart or by another process, and one
taken over after its engine turn had committed shows the learner where they are instead.
A learner's press is answered as soon as it is stored (`presses`), whatever waits in the
learner's lane. The work then ends in `TelegramBot.handle`: one learner's updates run one at a time in the
order they came (a poll answer, which names no chat, queues behind the messages of the
learner's private chat), different learners side by side. PTB routes each update to a
handler here that turns it into an `InboundEvent` (`events`), runs the engine in
a database thread (`database_work`), and sends the replies (`delivery`) through
`Pacing`, which keeps to Telegram's rate limits and waits out 429s. How updates arrive, and why PTB's own
`Updater` is not used, is in `polling` and `webhook`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial

from aiohttp import web
from telegram import Message, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)

from bot.adapters.database_work import DatabaseWork
from bot.adapters.inbox_worker import DEFAULT_LEASE_S, InboxWorker
from bot.adapters.telegram import events, render, support_group
from bot.adapters.telegram.command_menu import register_commands
from bot.adapters.telegram.delivery import LONG_CALLBACK, PLATFORM, QUIZ_POLL, Delivery, Press, Target
from bot.adapters.telegram.lanes import Lanes
from bot.adapters.telegram.learners import TelegramLearners
from bot.adapters.telegram.pacing import Pacing
from bot.adapters.telegram.polling import LONG_POLL_S, Poller, PollingBot
from bot.adapters.telegram.presses import PressAnswers, forget_old_answers, learners_press
from bot.adapters.telegram.settings import (
    TelegramConfigError,
    TelegramSettings,
)
from bot.adapters.telegram.transport import AiohttpRequest
from bot.adapters.telegram.webhook import Webhook
from bot.bootstrap import Core
from bot.delivery.outbox import LearnerOutbox
from bot.messages import InboundEvent
from bot.web.server import WebServer
from storage.inbox import Arrival, Entry, already_handled
from storage.platform_state import RememberedMessage, find_message, forget_messages_before

log = logging.getLogger(__name__)

_TAKEN_OVER: ContextVar[bool] = ContextVar("taken_over", default=False)
"""Whether the update being worked on was stored by a process that died (or by this one
before a restart): its turn may have committed already."""

KEEP_SENT = timedelta(days=30)
"""Sent prompts and polls are remembered this long; older ones can no longer be edited."""
CLEANUP_EVERY_S = 6 * 3600

Context = ContextTypes.DEFAULT_TYPE
TelegramApplication = Application[
    PollingBot, Context, dict[object, object], dict[object, object], dict[object, object], None
]


@asynccontextmanager
async def telegram_bot(
    core: Core,
    settings: TelegramSettings,
    *,
    pacing: Pacing | None = None,
    long_poll_s: int = LONG_POLL_S,
    inbox_lease_s: float = DEFAULT_LEASE_S,
) -> AsyncIterator[TelegramBot]:
    """A bot that has checked its token (`getMe`) and set its command menu, ready to
    `poll` or `listen`, working off what the inbox holds for it; on exit it finishes the
    updates in hand."""
    pacing = pacing or Pacing(overall=settings.messages_per_second)
    bot = TelegramBot(core, settings, pacing, long_poll_s, inbox_lease_s)
    async with bot.application:
        await register_commands(bot.application.bot, core.content.locales, core.content.default_locale)
        bot.inbox.start()
        cleanup = asyncio.create_task(bot.forget_old_messages())
        dispatching = asyncio.create_task(bot.dispatcher.run())
        sending = asyncio.create_task(bot.learners.run())
        try:
            yield bot
        finally:
            cleanup.cancel()
            bot.dispatcher.stop()
            bot.learners.stop()
            await dispatching
            await sending
            await bot.close()


def build_application(settings: TelegramSettings, pacing: Pacing) -> TelegramApplication:
    """The PTB application, without its `Updater` (updates come from `Poller` or
    `WebhookServer`) and without a job queue (the scheduler is Lessonloop's own)."""
    bot = PollingBot(
        settings.token,
        base_url=settings.base_url,
        base_file_url=settings.base_file_url,
        request=AiohttpRequest(connections=64, read_timeout=15),
        get_updates_request=AiohttpRequest(connections=1, read_timeout=LONG_POLL_S + 10),
        rate_limiter=pacing,
    )
    application: TelegramApplication = ApplicationBuilder().bot(bot).updater(None).job_queue(None).build()
    return application


class TelegramBot:
    def __init__(
        self,
        core: Core,
        settings: TelegramSettings,
        pacing: Pacing,
        long_poll_s: int,
        inbox_lease_s: float = DEFAULT_LEASE_S,
    ) -> None:
        self.engine = core.engine
        self._database = core.database
        self.settings = settings
        self.application = build_application(settings, pacing)
        self.threads = DatabaseWork(core.database, name="telegram")
        self.delivery = Delivery(self.application.bot, self.threads)
        self.presses = PressAnswers(self.application.bot, self.threads)
        self.long_poll_s = long_poll_s
        self.lanes = Lanes(self._on_lane_error)
        self.inbox: InboxWorker[None] = InboxWorker(
            self.threads, PLATFORM, self._work, _nothing_to_save, lease_s=inbox_lease_s
        )
        self._webhook: Webhook | None = None
        self._server: WebServer | None = None
        private = filters.ChatType.PRIVATE
        self.application.add_handler(MessageHandler(private & ~filters.UpdateType.EDITED, self._on_message))
        self.application.add_handler(CallbackQueryHandler(self._on_press))
        self.application.add_handler(PollAnswerHandler(self._on_poll_answer))
        self.application.add_handler(TypeHandler(Update, self._on_anything_else))
        self.application.add_error_handler(self._on_error)
        self.dispatcher = support_group.dispatcher(self.application, core.desk)
        self.learners = LearnerOutbox(
            self.threads,
            TelegramLearners(self.delivery, self.lanes),
            core.reach_out,
            clock=core.clock,
            lease=core.outbox_lease,
        )
        """The outbox to Telegram learners: support's replies, scheduled lessons."""

    async def poll(self, stopping: asyncio.Event) -> None:
        poller = Poller(self.application.bot, self.threads, self.store, timeout=self.long_poll_s)
        await poller.run(stopping)

    def webhook_routes(self) -> list[web.RouteDef]:
        """The webhook's route, for the process's HTTP application (`bot.web`)."""
        secret = self.settings.webhook_secret
        if secret is None:
            raise TelegramConfigError("a webhook needs TELEGRAM_WEBHOOK_SECRET")
        path = self.settings.webhook_path
        self._webhook = Webhook(self.application.bot, self.store, secret=secret, path=path)
        return self._webhook.routes()

    async def listen(self, host: str, port: int) -> int:
        """Serve the webhook alone on `host:port`; returns the port bound (useful with 0)."""
        self._server = WebServer(self.webhook_routes())
        return await self._server.start(host, port)

    async def register_webhook(self, url: str) -> None:
        """Ask Telegram to send updates to `url` (once its route is served, so none arrive
        unheard)."""
        if self._webhook is None:
            raise RuntimeError("serve the webhook's routes before registering it")
        await self._webhook.register(url)

    async def close(self) -> None:
        """Stop taking updates, then send what is still queued. The webhook stays
        registered, so Telegram keeps what arrives meanwhile for the next start."""
        if self._server is not None:
            await self._server.stop()
        await self.inbox.close()
        await self.lanes.drained()
        await self.presses.sent()
        self.threads.close()

    async def deliver_due(self) -> int:
        """One pass over both outboxes (to support, to learners); how many rows were sent."""
        return await self.dispatcher.deliver_due() + await self.learners.deliver_due()

    async def drained(self) -> None:
        """Return once every update stored so far is handled and its replies are sent."""
        await self.inbox.drained()
        await self.lanes.drained()
        await self.presses.sent()

    async def store(self, update: Update) -> None:
        """Commit an update to the inbox (a redelivered one is dropped there), then answer
        the learner's press in it at once (`presses`); the work follows, in `_work`."""
        learner = events.learner_of(update)
        arrival = Arrival(
            platform=PLATFORM,
            event_id=str(update.update_id),
            learner_key="" if learner is None else str(learner),
            kind="update",
            payload=json.dumps(update.to_dict()),
            received_at=datetime.now(UTC),
        )
        self.presses.expect(update)
        stored = False
        try:
            stored = await self.inbox.receive(arrival)
        finally:
            self.presses.stored(update, new=stored)

    async def _work(self, entry: Entry) -> None:
        """One stored update, done when its replies are sent: a crash before that leaves
        it to be taken over."""
        update = Update.de_json(json.loads(entry.payload), self.application.bot)
        await self.presses.answer_unless_answered(update)
        taken_over = _TAKEN_OVER.set(entry.attempts > 1)
        try:
            await self.handle(update)
        finally:
            _TAKEN_OVER.reset(taken_over)
        learner = events.learner_of(update)
        if learner is not None:
            await self.lanes.drained(learner)

    async def handle(self, update: Update) -> None:
        """Store one update (after the learner's earlier ones) and queue its replies;
        never raises (PTB hands a handler's error to `_on_error`)."""
        async with self.lanes.turn(events.learner_of(update)):
            await self.application.process_update(update)

    # --- handlers ------------------------------------------------------------------------

    async def _on_message(self, update: Update, _context: Context) -> None:
        event = events.from_message(update, datetime.now(UTC))
        if event is not None:
            chat = int(event.conversation_id)
            await self._turn(event, Target(chat_id=chat, user_id=int(event.sender.user_id)))

    async def _on_press(self, update: Update, _context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        data = query.data or ""
        if data.startswith(render.HASHED):
            await self.lanes.drained(query.from_user.id)
            found = await self.threads.run(self._remembered, LONG_CALLBACK, data)
            data = found.details.get("data", "") if found else ""
        prompt_id, choice_id = render.parse_callback_data(data)
        message = query.message
        # Data that names no choice (a digest no longer known) is a button that has expired:
        # the engine says so in the chat, as for any stale press, and shows where we are.
        event = events.from_press(update, choice_id, datetime.now(UTC))
        if event is None or message is None:
            if learners_press(update) is None:  # in a group: not answered at the edge
                await query.answer()
            return
        press = None
        if isinstance(message, Message) and choice_id:
            press = Press(message.message_id, message.text_html, prompt_id)
        await self._turn(event, Target(chat_id=message.chat.id, user_id=query.from_user.id, press=press))

    async def _on_poll_answer(self, update: Update, _context: Context) -> None:
        answer = update.poll_answer
        if answer is None or answer.user is None:
            return
        await self.lanes.drained(answer.user.id)  # the poll's own record may still be on its way
        poll = await self.threads.run(self._remembered, QUIZ_POLL, answer.poll_id)
        event = events.from_poll_answer(update, poll, datetime.now(UTC)) if poll else None
        if poll is None or event is None:
            log.info(
                "ignoring an answer to poll %s, which is not a quiz question we sent",
                answer and answer.poll_id,
            )
            return
        target = Target(int(poll.conversation_id), int(poll.user_id), poll_prompt=poll.details.get("prompt"))
        await self._turn(event, target)

    async def _on_anything_else(self, update: Update, _context: Context) -> None:
        log.info("ignoring update %s: not something the bot handles", update.update_id)

    async def _on_error(self, update: object, context: Context) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("update %s could not be handled", update_id, exc_info=context.error)

    async def _on_lane_error(self, error: Exception) -> None:
        """Sending failed unexpectedly: reported like a handler's error, to every error handler."""
        await self.application.process_error(update=None, error=error)

    async def _turn(self, event: InboundEvent, target: Target) -> None:
        if _TAKEN_OVER.get() and await self.threads.run(self._handled, event.event_id):
            log.info(
                "update %s was handled before its process died: showing where the learner is", event.event_id
            )
            event = replace(
                event, event_id=f"{event.event_id}:resume", text="resume", choices=(), start_payload=None
            )
            target = replace(target, press=None, poll_prompt=None)
        replies = await self.threads.run(self.engine.handle, event)
        if replies:  # nothing for a redelivery: it was answered the first time
            self.lanes.submit(target.user_id, partial(self.delivery.deliver, target, replies))

    def _handled(self, event_id: str) -> bool:
        with self._database.transaction() as session:
            return already_handled(session, PLATFORM, event_id)

    def _remembered(self, kind: str, external_id: str) -> RememberedMessage | None:
        with self._database.transaction() as session:
            return find_message(session, PLATFORM, kind, external_id)

    async def forget_old_messages(self) -> None:
        """Every few hours, drop sent prompts and polls too old to matter."""
        while True:
            cutoff = datetime.now(UTC) - KEEP_SENT
            try:
                await self.threads.run(self._forget_before, cutoff)
            except Exception:
                log.exception("could not clean up old Telegram messages")
            await asyncio.sleep(CLEANUP_EVERY_S)

    def _forget_before(self, cutoff: datetime) -> None:
        with self._database.transaction() as session:
            forget_messages_before(session, PLATFORM, cutoff)
            forget_old_answers(session, datetime.now(UTC))


def _nothing_to_save(_session: object, _saved: object) -> None:
    """What a Telegram update's work leaves to save: nothing (sent messages are saved as sent)."""
