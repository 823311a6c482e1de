"""What the fake Telegram knows about its chats: people, the messages in each private chat
(text, buttons, polls, photos, as the person sees them now), group chats where several
people write and reply to the bot's messages, and the Bot API's limits.

Every check raises `ApiError` with the status and description Telegram uses, so the real
PTB on the other side meets the same refusals it would meet in production.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any

from tests.telegram.fake_html import EntityParseError, parse_html, units

Json = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
POLL_QUESTION_LIMIT = 300
POLL_OPTIONS_MAX = 12
POLL_OPTION_LIMIT = 100
EXPLANATION_LIMIT = 200
ANSWER_TEXT_LIMIT = 200
BUTTONS_PER_ROW = 8
BUTTONS_MAX = 100
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
UNREACHABLE_IMAGE = "unreachable"
"""An image URL containing this is one Telegram cannot fetch."""

BOT_USER: Json = {
    "id": 7000001,
    "is_bot": True,
    "first_name": "Lessonloop",
    "username": "lessonloop_test_bot",
}


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str
    last_name: str = ""
    language_code: str | None = "en"

    def as_user(self) -> Json:
        user: Json = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def as_chat(self) -> Json:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass(frozen=True)
class Group(Person):
    """A group chat (a support team's); its members write in it as themselves."""

    title: str = "Support"

    def as_chat(self) -> Json:
        return {"id": self.id, "type": "supergroup", "title": self.title}


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass
class Poll:
    id: str
    question: str
    options: list[str]
    correct: list[int]
    explanation: str | None
    closed: bool = False
    votes: dict[int, list[int]] = field(default_factory=dict)

    def as_json(self) -> Json:
        counts = [
            sum(index in chosen for chosen in self.votes.values()) for index in range(len(self.options))
        ]
        poll: Json = {
            "id": self.id,
            "question": self.question,
            "options": [
                {"text": text, "voter_count": counts[i], "persistent_id": f"{self.id}-{i}"}
                for i, text in enumerate(self.options)
            ],
            "total_voter_count": len(self.votes),
            "is_closed": self.closed,
            "is_anonymous": False,
            "type": "quiz",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
            "correct_option_ids": self.correct,
        }
        if self.explanation:
            poll["explanation"] = self.explanation
        return poll


@dataclass
class ChatMessage:
    """One message in a private chat, as it looks now."""

    message_id: int
    chat: Person
    from_bot: bool
    text: str = ""
    entities: list[Json] = field(default_factory=list)
    keyboard: list[list[Button]] = field(default_factory=list)
    poll: Poll | None = None
    photo: str | None = None
    edits: int = 0
    date: int = field(default_factory=lambda: int(time.time()))
    sender: Person | None = None
    """Who wrote it, in a group (in a private chat: the chat's person, or the bot)."""
    reply_to: ChatMessage | None = None

    @property
    def buttons(self) -> list[Button]:
        return [button for row in self.keyboard for button in row]

    def as_json(self) -> Json:
        message: Json = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat.as_chat(),
            "from": BOT_USER if self.from_bot else (self.sender or self.chat).as_user(),
        }
        if self.reply_to is not None:
            message["reply_to_message"] = self.reply_to.as_json()
        if self.poll is not None:
            message["poll"] = self.poll.as_json()
        elif self.photo is not None:
            message["photo"] = [{"file_id": "photo-1", "file_unique_id": "u1", "width": 640, "height": 480}]
            if self.text:
                message["caption"] = self.text
                if self.entities:
                    message["caption_entities"] = self.entities
        else:
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        if self.keyboard:
            message["reply_markup"] = {
                "inline_keyboard": [[_button_json(button) for button in row] for row in self.keyboard]
            }
        if self.edits:
            message["edit_date"] = self.date + self.edits
        return message


def _button_json(button: Button) -> Json:
    json: Json = {"text": button.text}
    if button.callback_data is not None:
        json["callback_data"] = button.callback_data
    if button.url is not None:
        json["url"] = button.url
    return json


class Chats:
    def __init__(self) -> None:
        self.people: dict[int, Person] = {}
        self.messages: dict[int, list[ChatMessage]] = {}
        self.polls: dict[str, tuple[ChatMessage, Poll]] = {}
        self._message_ids = itertools.count(1)
        self._poll_ids = itertools.count(5000000000000000001)

    def join(self, person: Person) -> None:
        self.people[person.id] = person
        self.messages.setdefault(person.id, [])

    def chat(self, chat_id: object) -> Person:
        if not isinstance(chat_id, int) or chat_id not in self.people:
            raise bad_request("chat not found")
        return self.people[chat_id]

    def add(self, message: ChatMessage) -> ChatMessage:
        self.messages[message.chat.id].append(message)
        return message

    def new_id(self) -> int:
        return next(self._message_ids)

    def find(self, chat_id: object, message_id: object) -> ChatMessage:
        person = self.chat(chat_id)
        for message in self.messages[person.id]:
            if message.message_id == message_id:
                return message
        raise bad_request("message to edit not found")

    def new_poll(
        self, question: str, options: list[str], correct: list[int], explanation: str | None
    ) -> Poll:
        return Poll(str(next(self._poll_ids)), question, options, correct, explanation)


def formatted(params: Json, key: str, limit: int, *, required: bool = True) -> tuple[str, list[Json]]:
    """The text shown for `params[key]` and its entities, within `limit` after parsing."""
    raw = params.get(key)
    if raw is None and not required:
        return "", []
    if not isinstance(raw, str) or not raw:
        raise bad_request(f"{'message text' if key == 'text' else key} is empty")
    mode = params.get("parse_mode")
    if mode not in (None, "HTML"):
        raise bad_request(f"unsupported parse_mode {mode!r} in this fake")
    try:
        parsed = parse_html(raw) if mode == "HTML" else None
    except EntityParseError as error:
        raise bad_request(str(error)) from error
    text, entities = (parsed.text, parsed.entities) if parsed else (raw, [])
    if not text.strip():
        raise bad_request(f"{key} must be non-empty")
    if units(text) > limit:
        raise bad_request("message is too long" if key == "text" else f"{key} is too long")
    return text, entities


def keyboard(markup: object) -> list[list[Button]]:
    """An inline keyboard, checked the way Telegram checks one."""
    if markup is None:
        return []
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows: list[list[Button]] = []
    for raw_row in markup["inline_keyboard"]:
        if not isinstance(raw_row, list) or not raw_row or len(raw_row) > BUTTONS_PER_ROW:
            raise bad_request("BUTTON_ROWS_INVALID")
        row = []
        for raw in raw_row:
            text, data, url = raw.get("text"), raw.get("callback_data"), raw.get("url")
            if not isinstance(text, str) or not text:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if (data is None) == (url is None):
                raise bad_request('can\'t find field "callback_data" or "url"')
            if data is not None and (
                not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT
            ):
                raise bad_request("BUTTON_DATA_INVALID")
            if url is not None and not (
                isinstance(url, str) and url.startswith(("http://", "https://", "tg://"))
            ):
                raise bad_request("BUTTON_URL_INVALID")
            row.append(Button(text, data, url))
        rows.append(row)
    if sum(len(row) for row in rows) > BUTTONS_MAX:
        raise bad_request("reply markup is too long")
    return rows


def poll_fields(params: Json) -> tuple[str, list[str], list[int], str | None]:
    question, options = params.get("question"), params.get("options")
    if not isinstance(question, str) or not 1 <= units(question) <= POLL_QUESTION_LIMIT:
        raise bad_request("poll question length must be between 1 and 300")
    if not isinstance(options, list) or not 1 <= len(options) <= POLL_OPTIONS_MAX:
        raise bad_request("poll must have between 1 and 12 options")
    texts = [option if isinstance(option, str) else option.get("text") for option in options]
    if any(not isinstance(text, str) or not 1 <= units(text) <= POLL_OPTION_LIMIT for text in texts):
        raise bad_request("poll options length must be between 1 and 100")
    if params.get("type") != "quiz":
        raise bad_request("this fake only takes quiz polls")
    if "correct_option_id" in params:
        raise bad_request("correct_option_id was replaced by correct_option_ids in Bot API 9.6")
    correct = params.get("correct_option_ids")
    if (
        not isinstance(correct, list)
        or not correct
        or any(not isinstance(index, int) or not 0 <= index < len(texts) for index in correct)
    ):
        raise bad_request("wrong correct option ids specified")
    explanation = params.get("explanation")
    if explanation is not None and (
        not isinstance(explanation, str) or units(explanation) > EXPLANATION_LIMIT
    ):
        raise bad_request("explanation is too long")
    return question, [str(text) for text in texts], correct, explanation
