"""The Telegram webhook under malformed updates that carry the right secret: none gets a
5xx, none logs a traceback, none changes a learner's state.

The real adapter (PTB's `Application`, `tests/telegram/harness.py`) serves its webhook on
127.0.0.1 against the fake Bot API, on an event loop in a thread of its own; Hypothesis
drives it from the test's thread. One learner is seeded first, in a lesson with a prompt
open; the well-formed update the mutations start from (typing "1" at that prompt) does
change the state, which the test checks at the end so the property cannot hold vacuously.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import aiohttp
import pytest
from hypothesis import strategies as st

from bot.adapters.telegram.webhook import SECRET_HEADER
from bot.content.model import ContentPack
from bot.engine import Engine
from storage.db import Database
from tests.properties.malformed import Field, Json, Mutation, json_values, mutations, raw_bodies
from tests.properties.watch import (
    Served,
    Tracebacks,
    changes,
    for_all,
    fresh_database,
    served,
    shown,
    snapshot,
    watching_tracebacks,
)
from tests.telegram.fake_chats import ChatMessage, Person
from tests.telegram.harness import WEBHOOK_PATH, WEBHOOK_SECRET, Learner, World, telegram_world

ANN = Person(51003, "Ann", "Lee", language_code="en")
_fresh = itertools.count(7_000_001)


@dataclass
class TelegramDoor:
    loop: Served
    world: World
    database: Database
    logged: Tracebacks
    session: aiohttp.ClientSession
    prompt: ChatMessage
    """The bot's message with the open prompt's buttons."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.world.webhook_port}{WEBHOOK_PATH}"

    async def _post(self, body: bytes, content_type: str | None) -> int:
        headers = {SECRET_HEADER: WEBHOOK_SECRET}
        if content_type is not None:
            headers["Content-Type"] = content_type
        async with self.session.post(self.url, data=body, headers=headers) as answer:
            await answer.read()
            status = answer.status
        await self.world.bot.drained()
        return status

    def send(self, body: bytes, content_type: str | None) -> tuple[int, list[str], list[str]]:
        """(status, tracebacks logged or handed to PTB's error handlers, learner state changed)."""
        before = snapshot(self.database)
        status = self.loop.run(self._post(body, content_type))
        after = snapshot(self.database)
        errors = self.loop.call(lambda: _take(self.world.errors))
        handled = [f"a handler raised {error!r}" for error in errors]
        return status, self.logged.take() + handled, changes(before, after)

    def check(self, what: object, body: bytes, content_type: str | None = "application/json") -> None:
        status, tracebacks, changed = self.send(body, content_type)
        sent = f"update: {what!r}\nbody: {shown(body)}"
        assert status < 500, f"HTTP {status} for a malformed update\n{sent}\n" + "\n".join(tracebacks)
        assert tracebacks == [], f"a traceback was logged\n{sent}\n" + "\n\n".join(tracebacks)
        assert changed == [], f"a learner's state changed\n{sent}\n" + "\n".join(changed)

    # --- well-formed updates, with fresh ids each time ----------------------------------

    def message_update(self, text: str = "1") -> Json:
        message = {
            "message_id": next(_fresh),
            "from": ANN.as_user(),
            "chat": ANN.as_chat(),
            "date": int(time.time()),
            "text": text,
        }
        return {"update_id": next(_fresh), "message": message}

    def press_update(self) -> Json:
        button = next(button for button in self.prompt.buttons if button.callback_data)
        query = {
            "id": str(next(_fresh)),
            "from": ANN.as_user(),
            "message": self.prompt.as_json(),
            "chat_instance": f"ci-{ANN.id}",
            "data": button.callback_data,
        }
        return {"update_id": next(_fresh), "callback_query": query}


def _take(found: list[BaseException]) -> list[BaseException]:
    taken = list(found)
    found.clear()
    return taken


@pytest.fixture(scope="module")
def door(bundled_content: ContentPack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TelegramDoor]:
    with (
        fresh_database(tmp_path_factory.mktemp("telegram")) as database,
        served() as loop,
        loop.holding(telegram_world(Engine(bundled_content, database), "webhook")) as world,
    ):
        world.expect_refusals = True  # what the fake refuses is not what is under test here
        ann = Learner(world, ANN)

        async def seed() -> tuple[ChatMessage, aiohttp.ClientSession]:
            await ann.say("/start")
            await ann.press("Getting started with Tasklane")
            prompt = next(m for m in reversed(ann.transcript()) if m.from_bot and m.buttons)
            return prompt, aiohttp.ClientSession()

        prompt, session = loop.run(seed())
        try:
            with watching_tracebacks() as logged:
                yield TelegramDoor(loop, world, database, logged, session, prompt)
        finally:
            loop.run(session.close())


# --- 1. bodies that are not an update at all -------------------------------------------


def test_random_bodies(door: TelegramDoor) -> None:
    for_all(raw_bodies(), lambda sent: door.check(sent, sent.body, sent.content_type), examples=200)


# --- 2. random nesting under the keys an update has ------------------------------------

UPDATE_KEYS = (
    "update_id",
    "message",
    "edited_message",
    "callback_query",
    "poll_answer",
    "poll",
    "my_chat_member",
    "channel_post",
)


@dataclass(frozen=True)
class Nested:
    update: Json

    def __repr__(self) -> str:
        return f"<update {json.dumps(self.update)[:600]}>"


nested_updates = st.dictionaries(
    st.sampled_from(UPDATE_KEYS) | st.text(max_size=10), json_values, min_size=1, max_size=4
).map(Nested)


def test_random_nesting(door: TelegramDoor) -> None:
    for_all(
        nested_updates,
        lambda sent: door.check(sent, json.dumps(sent.update).encode()),
        examples=200,
    )


# --- 3. a message or a press with a field removed or of the wrong type ----------------

MESSAGE_FIELDS = [
    Field(("update_id",), int),
    Field(("message",), dict),
    Field(("message", "message_id"), int),
    Field(("message", "from"), dict),
    Field(("message", "from", "id"), int),
    Field(("message", "from", "is_bot"), bool),
    Field(("message", "from", "first_name"), str),
    Field(("message", "chat"), dict),
    Field(("message", "chat", "id"), int),
    Field(("message", "chat", "type"), str),
    Field(("message", "date"), int),
    Field(("message", "text"), str, required=False),  # a message without text is a sticker, say
]
PRESS_FIELDS = [
    Field(("update_id",), int),
    Field(("callback_query",), dict),
    Field(("callback_query", "id"), str),
    Field(("callback_query", "from"), dict),
    Field(("callback_query", "from", "id"), int),
    Field(("callback_query", "from", "first_name"), str),
    Field(("callback_query", "message"), dict, required=False),  # too old: Telegram leaves it out
    Field(("callback_query", "message", "message_id"), int),
    Field(("callback_query", "message", "chat"), dict),
    Field(("callback_query", "message", "chat", "id"), int),
    Field(("callback_query", "message", "date"), int),
    Field(("callback_query", "chat_instance"), str),
    Field(("callback_query", "data"), str, required=False),  # a game's button has none
]


@dataclass(frozen=True)
class Mutated:
    update: str
    mutation: Mutation

    def __repr__(self) -> str:
        return f"<{self.update} with {self.mutation!r}>"


BUILDERS: dict[str, Callable[[TelegramDoor], Json]] = {
    "message": lambda door: door.message_update(),
    "press": lambda door: door.press_update(),
}

mutated_updates = st.one_of(
    mutations(MESSAGE_FIELDS).map(lambda mutation: Mutated("message", mutation)),
    mutations(PRESS_FIELDS).map(lambda mutation: Mutated("press", mutation)),
)


def _check_mutated(door: TelegramDoor, sent: Mutated) -> None:
    update = sent.mutation.apply(BUILDERS[sent.update](door))
    door.check(sent, json.dumps(update).encode())


def test_updates_with_a_field_removed_or_of_the_wrong_type(door: TelegramDoor) -> None:
    for_all(mutated_updates, lambda sent: _check_mutated(door, sent), examples=600)
    status, tracebacks, changed = door.send(json.dumps(door.message_update()).encode(), "application/json")
    assert (status, tracebacks) == (200, [])
    assert changed != [], "the well-formed update changed nothing: the property would hold vacuously"
