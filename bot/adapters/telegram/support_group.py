"""Support in a Telegram group: hand-offs posted there, "Mark resolved", and replies relayed.

Each hand-off is one message in the support group with an inline "Mark resolved" button.
An agent answers by replying to that message (Telegram's reply, so it works with the bot's
privacy mode on: bots in groups see replies to their own messages); the reply reaches the
learner through the bot, on whichever platform they asked. The handlers run before the
learners' own (PTB group -1) and stop there, so nothing in the support group ever reaches
the engine as a learner's message.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from functools import partial
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.adapters.telegram.presses import learners_press
from bot.handoff.cases import REASONS
from bot.handoff.desk import HandoffDesk
from bot.handoff.dispatch import Dispatcher, Posted, SupportDestination
from storage.handoffs import HandoffCase

log = logging.getLogger(__name__)

RESOLVE_DATA = re.compile(r"^handoff:(\d+)$")
LINE_LIMIT = 300
SUPPORT_HANDLERS_GROUP = -1
"""Before the learners' handlers (group 0), which would take a press or ignore a group message."""

Context = ContextTypes.DEFAULT_TYPE
Bot = ExtBot[None]


def handoff_text(case: HandoffCase, resolved_by: str | None = None) -> str:
    """The support group's message for `case` (Telegram HTML), under Telegram's 4,096 characters."""
    who = html.escape(case.learner_name or "A learner")
    head = [
        f"🙋 <b>{who}</b> on {case.platform.capitalize()} needs a person",
        f"<i>Hand-off #{case.id}: {html.escape(REASONS.get(case.reason, case.reason))}</i>",
        "",
        "<b>Question</b>",
        html.escape(_cut(case.question, 1500)),
    ]
    first = case.learner_name.split(" ")[0] if case.learner_name else "Learner"
    lines = [
        f"<b>{html.escape(first if line.speaker == 'learner' else 'Bot')}:</b> "
        f"{html.escape(_cut(' '.join(line.text.split()), LINE_LIMIT))}"
        for line in case.transcript
    ]
    foot = [
        f"✅ Resolved by {html.escape(resolved_by)}"
        if resolved_by
        else "<i>Reply to this message to answer.</i>"
    ]

    def text() -> str:
        turns = ["", "<b>Last turns</b>", *lines] if lines else []
        return "\n".join([*head, *turns, "", *foot])

    while len(text()) > MessageLimit.MAX_TEXT_LENGTH and lines:  # keep the latest turns
        lines.pop(0)
    return text()


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TelegramSupport:
    """The Telegram support group as a hand-off destination, and what agents do there."""

    name = "telegram"

    def __init__(self, bot: Bot, chat_id: int, desk: HandoffDesk) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._desk = desk

    async def post(self, case: HandoffCase) -> Posted:
        message = await self._bot.send_message(
            chat_id=self._chat_id,
            text=handoff_text(case),
            parse_mode=ParseMode.HTML,
            reply_markup=_resolve_button(case.id),
        )
        return Posted(str(message.chat.id), str(message.message_id))

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        replies = (
            filters.Chat(chat_id=self._chat_id) & filters.REPLY & filters.TEXT & ~filters.UpdateType.EDITED
        )
        return [
            CallbackQueryHandler(self._on_resolve, pattern=RESOLVE_DATA),
            MessageHandler(replies, self._on_reply),
        ]

    async def _on_reply(self, update: Update, _context: Context) -> None:
        message = update.message
        if message is None or message.reply_to_message is None or message.from_user is None:
            raise ApplicationHandlerStop
        answered = str(message.reply_to_message.message_id)
        handoff_id = await asyncio.to_thread(self._desk.handoff_of, self.name, str(self._chat_id), answered)
        if handoff_id is not None and message.text:
            agent = message.from_user.first_name
            too_long = await asyncio.to_thread(self._desk.too_long, handoff_id, agent, message.text)
            if too_long is not None:
                try:
                    await message.reply_text(f"⚠️ Not sent: {too_long.error()}. Shorten it and send it again.")
                except TelegramError as error:
                    log.warning("a note in the support group was not sent: %s", error)
                raise ApplicationHandlerStop
            await asyncio.to_thread(
                partial(
                    self._desk.reply,
                    handoff_id,
                    message.from_user.first_name,
                    message.text,
                    delivery_key=f"telegram:{message.chat.id}:{message.message_id}",
                )
            )
        raise ApplicationHandlerStop

    async def _on_resolve(self, update: Update, _context: Context) -> None:
        query = update.callback_query
        matched = RESOLVE_DATA.match(query.data or "") if query else None
        if query is None or matched is None:
            raise ApplicationHandlerStop
        message = query.message
        if not isinstance(message, Message) or message.chat.id != self._chat_id:
            if learners_press(update) is None:  # a learner's was answered when it came
                await query.answer()
            raise ApplicationHandlerStop
        by = f"telegram:{query.from_user.id}"
        case = await asyncio.to_thread(self._desk.resolve, int(matched.group(1)), by)
        await query.answer("Marked resolved" if case else "This hand-off no longer exists")
        if case is not None:
            await message.edit_text(handoff_text(case, query.from_user.first_name), parse_mode=ParseMode.HTML)
        raise ApplicationHandlerStop


def _resolve_button(handoff_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("✅ Mark resolved", callback_data=f"handoff:{handoff_id}")]]
    )


def dispatcher(application: Application[Any, Any, Any, Any, Any, Any], desk: HandoffDesk) -> Dispatcher:
    """What a Telegram process sends support: hand-offs to the support group and the webhook
    (when configured). Adds the support group's handlers to `application`."""
    destinations: list[SupportDestination] = []
    if desk.settings.telegram_chat:
        group = TelegramSupport(application.bot, int(desk.settings.telegram_chat), desk)
        for handler in group.handlers():
            application.add_handler(handler, group=SUPPORT_HANDLERS_GROUP)
        destinations.append(group)
    return desk.dispatcher(destinations)
