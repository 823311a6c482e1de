"""A pressed button stops spinning at once: `answerCallbackQuery` at the edge, as Slack's `ack()`.

Telegram shows a spinner on a pressed button until the bot answers the press, and takes one
answer per press. The answer says nothing the turn decides (a stale or invalid press is told
in the chat, by the engine's reply), so it goes out as soon as the update is stored, and
does not wait for the press's turn in the learner's lane, behind the paced replies of the
turns before it. It names no chat, so `Pacing` holds it to no chat's pace, only to the pause
a 429 asks for.

A press answered here is remembered in memory, so its turn does not answer it again, and in
the database once it is answered, so a process that takes the update over after a crash
answers only the presses nobody answered. Presses in a group (the support group's "Mark
resolved") are left to their handler, which answers them with a note for the agent.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session
from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.adapters.database_work import DatabaseWork
from bot.adapters.gathered_calls import GatheredCalls
from bot.adapters.telegram.polling import PollingBot
from storage.platform_state import RememberedMessage, find_message, forget_kind_before, remember_messages

log = logging.getLogger(__name__)

PLATFORM = "telegram"
ANSWERED_PRESS = "answered_press"
KEEP_ANSWERED = timedelta(days=1)
"""As long as done inbox entries are kept: a press is never taken over after that."""
REMEMBERED_HERE = 10_000
"""Presses this process answered that it keeps in memory (a turn looks them up here)."""


def learners_press(update: Update) -> tuple[str, int, int] | None:
    """(query id, user id, chat id) of a learner's press, answered at the edge; None for any
    other update, and for a press in a group, left to its handler."""
    query = update.callback_query
    if query is None:
        return None
    message = query.message
    if message is not None and message.chat.type != ChatType.PRIVATE:
        return None
    return query.id, query.from_user.id, message.chat.id if message is not None else query.from_user.id


class PressAnswers:
    def __init__(self, bot: PollingBot, threads: DatabaseWork) -> None:
        self._bot = bot
        self._threads = threads
        self._database = threads.database
        self._here: OrderedDict[str, None] = OrderedDict()
        self._sending: set[asyncio.Task[None]] = set()
        self._remember = GatheredCalls(self._remember_all)

    def expect(self, update: Update) -> None:
        """Before `update` is stored: a learner's press in it counts as answered here from
        now on, so its turn, which may begin as soon as it is stored, does not answer it."""
        press = learners_press(update)
        if press is not None:
            self._note(press[0])

    def stored(self, update: Update, *, new: bool) -> None:
        """After storing `update`: a learner's press in it is answered now, without waiting
        for the answer; a duplicate's (`new` False) is not, as its first copy is answered
        where it was stored, or by whoever takes it over."""
        press = learners_press(update)
        if press is None:
            return
        if not new:
            self._here.pop(press[0], None)
            return
        task = asyncio.create_task(self._answer(*press))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def answer_unless_answered(self, update: Update) -> None:
        """Answer the press in `update` if nobody did: its update was stored by a process that
        died before answering it, or came again while the first copy was lost."""
        press = learners_press(update)
        if press is None or press[0] in self._here:
            return
        if await self._threads.run(self._answered_before, press[0]):
            return
        self._note(press[0])
        await self._answer(*press)

    async def sent(self) -> None:
        """Return once every answer begun has gone out (or failed), and is remembered."""
        while self._sending:
            await asyncio.wait(set(self._sending))

    def _note(self, query_id: str) -> None:
        self._here[query_id] = None
        if len(self._here) > REMEMBERED_HERE:
            self._here.popitem(last=False)

    async def _answer(self, query_id: str, user_id: int, chat_id: int) -> None:
        try:
            await self._bot.call("answerCallbackQuery", {"callback_query_id": query_id})
        except TelegramError as error:
            # Not tried again: Telegram takes one answer, and soon refuses a late one.
            log.warning("the answer to press %s did not reach Telegram: %s", query_id, error)
        answered = RememberedMessage(
            ANSWERED_PRESS, query_id, str(user_id), str(chat_id), {}, datetime.now(UTC)
        )
        try:
            await self._remember(answered)
        except Exception:
            log.exception("could not remember that press %s was answered", query_id)

    async def _remember_all(self, answered: Sequence[RememberedMessage]) -> list[None]:
        await self._threads.run(self._store, list(answered))
        return [None] * len(answered)

    def _store(self, answered: list[RememberedMessage]) -> None:
        with self._database.transaction() as session:
            remember_messages(session, PLATFORM, answered)

    def _answered_before(self, query_id: str) -> bool:
        with self._database.transaction() as session:
            return find_message(session, PLATFORM, ANSWERED_PRESS, query_id) is not None


def forget_old_answers(session: Session, now: datetime) -> None:
    """Answered presses older than any update still in the inbox can be."""
    forget_kind_before(session, PLATFORM, ANSWERED_PRESS, now - KEEP_ANSWERED)
