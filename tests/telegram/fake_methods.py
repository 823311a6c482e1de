"""The Bot API methods the fake Telegram answers, each checking what Telegram checks."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tests.telegram.fake_chats import (
    ANSWER_TEXT_LIMIT,
    BOT_USER,
    CAPTION_LIMIT,
    COMMAND,
    TEXT_LIMIT,
    UNREACHABLE_IMAGE,
    ApiError,
    ChatMessage,
    Json,
    bad_request,
    formatted,
    keyboard,
    poll_fields,
)

if TYPE_CHECKING:
    from tests.telegram.fake_bot_api import FakeTelegram

SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
Method = Callable[["FakeTelegram", Json], Awaitable[Any]]


async def get_me(fake: FakeTelegram, params: Json) -> Json:
    return {
        **BOT_USER,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


async def get_updates(fake: FakeTelegram, params: Json) -> list[Json]:
    if fake.webhook_url is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    if "allowed_updates" in params:
        fake.allowed_updates = list(params["allowed_updates"])
    offset = params.get("offset")
    limit = int(params.get("limit") or 100)
    return await fake.take_updates(
        offset if isinstance(offset, int) else None, limit, float(params.get("timeout") or 0)
    )


async def set_webhook(fake: FakeTelegram, params: Json) -> bool:
    url, secret = params.get("url"), params.get("secret_token")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if secret is not None and not (isinstance(secret, str) and SECRET.match(secret)):
        raise bad_request("secret token contains unallowed characters")
    fake.webhook_url, fake.webhook_secret = url, secret
    if params.get("drop_pending_updates"):
        await fake.drop_pending()
    if "allowed_updates" in params:
        fake.allowed_updates = list(params["allowed_updates"])
    await fake.start_delivery()
    return True


async def delete_webhook(fake: FakeTelegram, params: Json) -> bool:
    fake.webhook_url = fake.webhook_secret = None
    await fake.stop_delivery()
    if params.get("drop_pending_updates"):
        await fake.drop_pending()
    return True


async def set_my_commands(fake: FakeTelegram, params: Json) -> bool:
    commands = params.get("commands")
    if not isinstance(commands, list) or not 1 <= len(commands) <= 100:
        raise bad_request("commands must be a non-empty list of at most 100")
    for command in commands:
        if not COMMAND.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    language = params.get("language_code") or ""
    if language and not re.match(r"^[a-z]{2}$", language):
        raise bad_request("LANGUAGE_CODE_INVALID")
    fake.commands[language] = commands
    return True


async def send_message(fake: FakeTelegram, params: Json) -> Json:
    person = fake.chats.chat(params.get("chat_id"))
    text, entities = formatted(params, "text", TEXT_LIMIT)
    buttons = keyboard(params.get("reply_markup"))
    message = ChatMessage(
        fake.chats.new_id(), person, from_bot=True, text=text, entities=entities, keyboard=buttons
    )
    return fake.chats.add(message).as_json()


async def send_photo(fake: FakeTelegram, params: Json) -> Json:
    person = fake.chats.chat(params.get("chat_id"))
    photo = params.get("photo")
    if (
        not isinstance(photo, str)
        or not photo.startswith(("http://", "https://"))
        or UNREACHABLE_IMAGE in photo
    ):
        raise bad_request("wrong file identifier/HTTP URL specified")
    caption, entities = formatted(params, "caption", CAPTION_LIMIT, required=False)
    message = ChatMessage(
        fake.chats.new_id(), person, from_bot=True, text=caption, entities=entities, photo=photo
    )
    return fake.chats.add(message).as_json()


async def send_poll(fake: FakeTelegram, params: Json) -> Json:
    person = fake.chats.chat(params.get("chat_id"))
    if params.get("is_anonymous") is not False:
        raise bad_request("this fake expects non-anonymous polls, whose answers reach the bot")
    question, options, correct, explanation = poll_fields(params)
    poll = fake.chats.new_poll(question, options, correct, explanation)
    message = fake.chats.add(ChatMessage(fake.chats.new_id(), person, from_bot=True, poll=poll))
    fake.chats.polls[poll.id] = (message, poll)
    return message.as_json()


async def stop_poll(fake: FakeTelegram, params: Json) -> Json:
    message = fake.chats.find(params.get("chat_id"), params.get("message_id"))
    if message.poll is None:
        raise bad_request("message with poll to stop not found")
    if message.poll.closed:
        raise bad_request("poll has already been closed")
    message.poll.closed = True
    return message.poll.as_json()


async def edit_message_text(fake: FakeTelegram, params: Json) -> Json:
    message = _editable(fake, params)
    text, entities = formatted(params, "text", TEXT_LIMIT)
    buttons = keyboard(params.get("reply_markup"))
    if (text, entities, buttons) == (message.text, message.entities, message.keyboard):
        raise _not_modified()
    message.text, message.entities, message.keyboard = text, entities, buttons
    message.edits += 1
    return message.as_json()


async def edit_message_reply_markup(fake: FakeTelegram, params: Json) -> Json:
    message = _editable(fake, params)
    buttons = keyboard(params.get("reply_markup"))
    if buttons == message.keyboard:
        raise _not_modified()
    message.keyboard = buttons
    message.edits += 1
    return message.as_json()


async def answer_callback_query(fake: FakeTelegram, params: Json) -> bool:
    query_id = params.get("callback_query_id")
    if not isinstance(query_id, str) or fake.answered_queries.get(query_id) is not False:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if len(str(params.get("text", ""))) > ANSWER_TEXT_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    fake.answered_queries[query_id] = True
    return True


def _editable(fake: FakeTelegram, params: Json) -> ChatMessage:
    message = fake.chats.find(params.get("chat_id"), params.get("message_id"))
    if not message.from_bot or message.poll is not None or message.photo is not None:
        raise bad_request("message can't be edited")
    return message


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly the same "
        "as a current content and reply markup of the message"
    )


METHODS: dict[str, Method] = {
    "getme": get_me,
    "getupdates": get_updates,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "setmycommands": set_my_commands,
    "sendmessage": send_message,
    "sendphoto": send_photo,
    "sendpoll": send_poll,
    "stoppoll": stop_poll,
    "editmessagetext": edit_message_text,
    "editmessagereplymarkup": edit_message_reply_markup,
    "answercallbackquery": answer_callback_query,
}
"""Telegram's method names are case-insensitive."""
