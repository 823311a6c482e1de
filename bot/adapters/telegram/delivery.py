"""Sending one turn's replies to a Telegram chat, in order, and remembering what was sent.

A pressed button's spinner was stopped when its update came (`presses`). A `ChoiceAccepted`
edits the message whose button was chosen so it shows the choice and has no buttons left;
ticking an option of a multiple-answer question edits the keyboard in place. Prompts and
quiz polls are recorded (`storage.platform_state`) so a typed answer can still find the
message to edit, and a poll answer, which names only the poll, finds its learner.

Telegram refusing one message (a 400), or a message lost on the way (a network error, a
5xx), is logged and the turn goes on with the next; a learner who blocked the bot (403)
gets nothing more this turn. 429s never reach here:
`Pacing` waits them out. `deliver` says how the turn went (`Sent`), for the outbox, which
retries what failed and stops writing to a learner who blocked the bot.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode, PollType
from telegram.error import BadRequest, Forbidden, NetworkError

from bot.adapters.database_work import DatabaseWork
from bot.adapters.telegram import render
from bot.adapters.telegram.polling import PollingBot
from bot.messages import (
    Choice,
    ChoiceAccepted,
    ChoicePrompt,
    ImageReply,
    InviteLink,
    LinkReply,
    Platform,
    QuizQuestionReply,
    RatingScale,
    Reply,
    TextReply,
)
from storage.platform_state import RememberedMessage, find_message, remember_messages

log = logging.getLogger(__name__)

PLATFORM = Platform.TELEGRAM.value
PROMPT = "prompt"
QUIZ_POLL = "quiz_poll"
LONG_CALLBACK = "callback"
T = TypeVar("T")


@dataclass(frozen=True)
class Press:
    """The button pressed: the message it was on, and that message's prompt."""

    message_id: int
    shown_html: str
    prompt_id: str


@dataclass(frozen=True)
class Target:
    """Where a turn's replies go, and what the learner acted on to cause them."""

    chat_id: int
    user_id: int
    press: Press | None = None
    poll_prompt: str | None = None
    """The prompt of the quiz poll just answered: nothing to edit there, Telegram shows it."""


class _BlockedError(Exception):
    """The learner blocked the bot: nothing else can be sent to them."""


@dataclass(frozen=True)
class Sent:
    """How a turn's sending went."""

    blocked: bool
    """Telegram said the learner blocked the bot (403): the rest was not sent."""
    failed: int
    """Messages Telegram refused or that were lost on the way."""


_FAILED: ContextVar[list[str]] = ContextVar("telegram_failed_calls")
"""The calls of the turn being sent that failed (set by `deliver`, counted by `_call`)."""


@dataclass
class _Turn:
    target: Target
    remembered: list[RememberedMessage] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def remember(self, kind: str, external_id: str, details: dict[str, str]) -> None:
        chat, user = str(self.target.chat_id), str(self.target.user_id)
        self.remembered.append(RememberedMessage(kind, external_id, user, chat, details, self.now))

    def shown_prompt(self, prompt_id: str) -> RememberedMessage | None:
        key = prompt_key(self.target.chat_id, prompt_id)
        return next((m for m in reversed(self.remembered) if (m.kind, m.external_id) == (PROMPT, key)), None)


def prompt_key(chat_id: int, prompt_id: str) -> str:
    return f"{chat_id}:{prompt_id}"


class Delivery:
    def __init__(self, bot: PollingBot, threads: DatabaseWork) -> None:
        self.bot = bot
        self.threads = threads
        self.database = threads.database

    async def deliver(self, target: Target, replies: Sequence[Reply]) -> Sent:
        turn = _Turn(target)
        failed: list[str] = []
        counting = _FAILED.set(failed)
        blocked = False
        try:
            for reply in replies:
                await self._render(turn, reply)
        except _BlockedError:
            blocked = True
            log.info("chat %s blocked the bot; the rest of this turn is not sent", target.chat_id)
        finally:
            _FAILED.reset(counting)
            if turn.remembered:
                await self.threads.run(self._store, turn.remembered)
        return Sent(blocked, len(failed))

    def _store(self, messages: list[RememberedMessage]) -> None:
        with self.database.transaction() as session:
            remember_messages(session, PLATFORM, messages)

    async def _render(self, turn: _Turn, reply: Reply) -> None:
        chat = turn.target.chat_id
        if isinstance(reply, TextReply):
            for piece in render.split_text(reply.text):
                await self._send_text(chat, render.escape(piece))
        elif isinstance(reply, LinkReply):
            await self._send_text(chat, render.link_text(reply))
        elif isinstance(reply, InviteLink):
            await self._send_text(chat, render.invite_text(reply, self.bot.username))
        elif isinstance(reply, ImageReply):
            await self._send_image(chat, reply)
        elif isinstance(reply, ChoicePrompt):
            markup = render.choice_keyboard(reply.prompt_id, reply.choices)
            await self._send_prompt(
                turn, reply.prompt_id, render.prompt_texts(reply.text), markup, reply.choices
            )
        elif isinstance(reply, RatingScale):
            markup = render.scale_keyboard(reply)
            await self._send_prompt(turn, reply.prompt_id, [render.scale_text(reply)], markup, reply.choices)
        elif isinstance(reply, QuizQuestionReply):
            await self._send_question(turn, reply)
        else:
            await self._accept(turn, reply)

    async def _send_text(
        self, chat: int, html_text: str, markup: InlineKeyboardMarkup | None = None
    ) -> int | None:
        """The sent message's id, or None if Telegram refused it."""
        data = {"chat_id": chat, "text": html_text, "parse_mode": ParseMode.HTML, "reply_markup": markup}
        sent = await self._post("sendMessage", data)
        return int(sent["message_id"]) if isinstance(sent, dict) else None

    async def _send_image(self, chat: int, reply: ImageReply) -> None:
        caption, rest_of_caption = render.photo_caption(reply.caption)
        try:
            await self.bot.send_photo(chat, reply.url, caption=caption, parse_mode=ParseMode.HTML)
        except BadRequest as error:
            # Telegram fetches the image itself and refuses what it cannot get or read.
            log.warning("Telegram would not send the image %s (%s); sending a link", reply.url, error)
            await self._send_text(chat, render.image_fallback_text(reply.url, reply.alt, reply.caption))
        except Forbidden as error:
            raise _BlockedError from error
        except NetworkError as error:  # as `_call` does: the rest of the turn still goes out
            log.warning("sendPhoto did not reach Telegram: %s", error)
            _FAILED.get([]).append("sendPhoto")
        else:
            for piece in rest_of_caption:
                await self._send_text(chat, piece)

    async def _send_prompt(
        self,
        turn: _Turn,
        prompt_id: str,
        pieces: list[str],
        markup: InlineKeyboardMarkup,
        choices: Sequence[Choice],
    ) -> None:
        """A message with buttons; a text too long for one message goes first in parts of its
        own, and the buttons come with the last part."""
        for piece in pieces[:-1]:
            await self._send_text(turn.target.chat_id, piece)
        sent = await self._send_text(turn.target.chat_id, pieces[-1], markup)
        if sent is not None and prompt_id:
            self._remember_prompt(turn, prompt_id, sent, pieces[-1])
        for digest, data in render.long_callbacks(prompt_id, choices).items():
            turn.remember(LONG_CALLBACK, digest, {"data": data})

    def _remember_prompt(
        self, turn: _Turn, prompt_id: str, message_id: int, html_text: str, poll: bool = False
    ) -> None:
        details = {"message_id": str(message_id), "text": html_text}
        if poll:
            details["poll"] = "1"
        turn.remember(PROMPT, prompt_key(turn.target.chat_id, prompt_id), details)

    async def _send_question(self, turn: _Turn, reply: QuizQuestionReply) -> None:
        press = turn.target.press
        if press is not None and press.prompt_id == reply.prompt_id:
            # A tick on a multiple-answer question: show it on the same keyboard.
            edit = {
                "chat_id": turn.target.chat_id,
                "message_id": press.message_id,
                "text": render.quiz_texts(reply)[-1],
                "parse_mode": ParseMode.HTML,
                "reply_markup": render.quiz_keyboard(reply),
            }
            await self._post("editMessageText", edit)
            return
        poll = render.quiz_poll(reply)
        if poll is None:
            markup = render.quiz_keyboard(reply)
            choices = (*reply.choices, *([reply.submit] if reply.submit else []))
            await self._send_prompt(turn, reply.prompt_id, render.quiz_texts(reply), markup, choices)
            return
        sent = await self._call(
            "sendPoll",
            self.bot.send_poll(
                turn.target.chat_id,
                poll.question,
                list(poll.options),
                is_anonymous=False,
                type=PollType.QUIZ,
                correct_option_ids=poll.correct,
                explanation=poll.explanation,
            ),
        )
        if sent is None or sent.poll is None:
            return
        in_order = ",".join(choice.id for choice in reply.choices)
        turn.remember(QUIZ_POLL, sent.poll.id, {"choices": in_order, "prompt": reply.prompt_id})
        self._remember_prompt(turn, reply.prompt_id, sent.message_id, "", poll=True)

    async def _accept(self, turn: _Turn, reply: ChoiceAccepted) -> None:
        target = turn.target
        press = target.press
        if press is not None and press.prompt_id == reply.prompt_id:
            await self._mark_chosen(target.chat_id, press.message_id, press.shown_html, reply.label)
            return
        if target.poll_prompt == reply.prompt_id:
            return
        shown = turn.shown_prompt(reply.prompt_id) or await self.threads.run(
            self._find_prompt, prompt_key(target.chat_id, reply.prompt_id)
        )
        if shown is None:
            return
        message_id = int(shown.details["message_id"])
        if shown.details.get("poll"):
            # Answered by typing: close the poll so it cannot be answered a second time.
            await self._call("stopPoll", self.bot.stop_poll(target.chat_id, message_id))
        else:
            await self._mark_chosen(target.chat_id, message_id, shown.details["text"], reply.label)

    def _find_prompt(self, key: str) -> RememberedMessage | None:
        with self.database.transaction() as session:
            return find_message(session, PLATFORM, PROMPT, key)

    async def _mark_chosen(self, chat: int, message_id: int, shown_html: str, label: str) -> None:
        text = render.accepted_text(shown_html, label)
        if text is None:  # too long to add the choice to: just take the buttons away
            await self._post("editMessageReplyMarkup", {"chat_id": chat, "message_id": message_id})
            return
        edit = {"chat_id": chat, "message_id": message_id, "text": text, "parse_mode": ParseMode.HTML}
        await self._post("editMessageText", edit)

    async def _post(self, method: str, data: dict[str, object]) -> object:
        """`method` as raw JSON in and out (`PollingBot.call`), refusals handled as `_call` does."""
        return await self._call(method, self.bot.call(method, data))

    @staticmethod
    async def _call(method: str, call: Awaitable[T]) -> T | None:
        """Run one Bot API call; a refusal is logged and the turn goes on."""
        try:
            return await call
        except Forbidden as error:
            raise _BlockedError from error
        except BadRequest as error:
            if "not modified" in str(error).casefold():
                return None  # the same edit twice: already showing what we wanted
            log.warning("Telegram refused %s: %s", method, error)
        except NetworkError as error:
            log.warning("%s did not reach Telegram: %s", method, error)
        _FAILED.get([]).append(method)
        return None
