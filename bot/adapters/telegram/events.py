"""Telegram updates in, neutral `InboundEvent`s out: translation only, no I/O.

Event ids name what Telegram delivered, not the delivery: a message by its chat and
message id, a press by its callback query id, a quiz answer by its poll and voter. A
redelivered update (a webhook retried, polling restarted before the offset moved) then
carries the same id and the engine does nothing the second time, whatever `update_id` it
came with.
"""

from __future__ import annotations

import re
from datetime import datetime

from telegram import Update, User
from telegram.constants import ChatType

from bot.messages import InboundEvent, Platform, Sender
from storage.platform_state import RememberedMessage

ALLOWED_UPDATES = ("message", "callback_query", "poll_answer")
"""The update types the bot asks Telegram for; anything else is never sent to it."""
START_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""What `t.me/<bot>?start=<payload>` may carry; Telegram's clients refuse anything else."""
START_COMMAND = re.compile(r"^/start(@\w+)?(\s+(?P<payload>\S+))?\s*$")


def sender_of(user: User) -> Sender:
    """The learner as Telegram knows them; `language_code` is only a hint for the locale."""
    return Sender(
        platform=Platform.TELEGRAM,
        user_id=str(user.id),
        first_name=user.first_name,
        last_name=user.last_name or "",
        locale_hint=user.language_code,
    )


def start_payload(text: str) -> str | None:
    """For `/start` (typed, or sent by a `t.me/<bot>?start=...` link) the deep-link payload,
    "" when there is none or it is not a valid one; None for any other text."""
    match = START_COMMAND.match(text.strip())
    if match is None:
        return None
    payload = match.group("payload") or ""
    return payload if START_PAYLOAD.match(payload) else ""


def from_message(update: Update, now: datetime) -> InboundEvent | None:
    """A message in a private chat; None for anything else (groups, channels, service messages)."""
    message = update.message
    if message is None or message.from_user is None or message.chat.type != ChatType.PRIVATE:
        return None
    text = message.text or message.caption
    return InboundEvent(
        sender=sender_of(message.from_user),
        conversation_id=str(message.chat.id),
        event_id=f"message:{message.chat.id}:{message.message_id}",
        received_at=now,
        text=text,
        start_payload=start_payload(text) if text else None,
    )


def from_press(update: Update, choice_id: str, now: datetime) -> InboundEvent | None:
    """A pressed inline button in a private chat, already decoded to the engine's choice id
    ("" for data that names none: the engine answers it as a button that has expired)."""
    query = update.callback_query
    message = query.message if query else None
    if query is None or message is None or message.chat.type != ChatType.PRIVATE:
        return None
    return InboundEvent(
        sender=sender_of(query.from_user),
        conversation_id=str(message.chat.id),
        event_id=f"callback:{query.id}",
        received_at=now,
        choices=(choice_id,),
    )


def from_poll_answer(update: Update, poll: RememberedMessage, now: datetime) -> InboundEvent | None:
    """An answer to a quiz poll the bot sent: the options become the prompt's choice ids, in
    the order the poll listed them. None for a retracted vote or an answer by someone else."""
    answer = update.poll_answer
    if answer is None or answer.user is None or str(answer.user.id) != poll.user_id:
        return None
    choice_ids = poll.details.get("choices", "").split(",")
    chosen = tuple(choice_ids[index] for index in answer.option_ids if 0 <= index < len(choice_ids))
    if not chosen:
        return None
    return InboundEvent(
        sender=sender_of(answer.user),
        conversation_id=poll.conversation_id,
        event_id=f"poll:{answer.poll_id}:{answer.user.id}",
        received_at=now,
        choices=chosen,
    )


def learner_of(update: Update) -> int | None:
    """Whose update this is: one learner's updates are handled one at a time, in order.
    In a private chat the chat id is the user id, so a poll answer (which names no chat)
    queues behind the messages of the same chat."""
    user = update.effective_user
    return user.id if user is not None else None


_TYPED_FIELDS: dict[str, dict[str, type]] = {
    "message": {"message_id": int, "date": int},
    "callback_query": {"id": str, "chat_instance": str},
    "poll_answer": {"poll_id": str},
}
_USER_KEYS = ("from", "user")
_REQUIRED_USER = {"callback_query": "from"}


def well_formed(document: object) -> bool:
    """Whether a webhook body has the shape Telegram gives an update, in the fields the
    adapter acts on: PTB builds an `Update` from almost anything (`"id": true` included),
    and a malformed one must not be taken as a learner's press or message."""
    if not isinstance(document, dict) or not _is_int(document.get("update_id")):
        return False
    query = document.get("callback_query")
    pressed_on = query.get("message", {}) if isinstance(query, dict) else {}
    if pressed_on is None or (pressed_on and not _part_well_formed("message", pressed_on)):
        return False
    return all(_part_well_formed(name, document.get(name)) for name in _TYPED_FIELDS)


def _part_well_formed(name: str, part: object) -> bool:
    if part is None:
        return True
    if not isinstance(part, dict):
        return False
    if not all(
        isinstance(part.get(key), kind) and not isinstance(part.get(key), bool)
        for key, kind in _TYPED_FIELDS[name].items()
    ):
        return False
    if name in _REQUIRED_USER and _REQUIRED_USER[name] not in part:
        return False
    if any(key in part and not _is_user(part[key]) for key in _USER_KEYS):
        return False
    chat = part.get("chat")
    if (chat is not None or name == "message") and not (
        isinstance(chat, dict) and _is_int(chat.get("id")) and isinstance(chat.get("type"), str)
    ):
        return False
    return all(not (key in part and not isinstance(part[key], str)) for key in ("text", "data", "caption"))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_user(user: object) -> bool:
    """A Telegram `User`: an integer id, `is_bot` and a first name, as every update has them."""
    return (
        isinstance(user, dict)
        and _is_int(user.get("id"))
        and isinstance(user.get("is_bot"), bool)
        and isinstance(user.get("first_name"), str)
    )
