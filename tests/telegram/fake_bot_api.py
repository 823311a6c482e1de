"""A fake Telegram Bot API server on 127.0.0.1, speaking the real wire format.

Requests arrive as PTB sends them (form-encoded, every non-string value a JSON string) at
`/bot<token>/<method>`; answers are `{"ok": true, "result": ...}` or Telegram's error
shape, 429s with `parameters.retry_after` included. Updates are handed out by
`getUpdates` with Telegram's offset rules (an update is forgotten once a later call's
offset passes it) and long polling, or pushed to a webhook with the secret header and
retried until it answers 200. Every call is recorded, refused ones too.

Tests act as people in their Telegram client (`say`, `press`, `answer_poll`) and wait
with `handled(update_id)` until the bot has confirmed the update: in polling, by asking
past it; by webhook, by answering 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from tests.telegram import fake_methods
from tests.telegram.fake_chats import ApiError, ChatMessage, Chats, Group, Json, Person

TOKEN = "7000001:AAH-fake-token-for-lessonloop-tests_0123"
STRING_FIELDS = frozenset(
    {
        "text",
        "question",
        "explanation",
        "caption",
        "parse_mode",
        "explanation_parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "type",
        "photo",
        "language_code",
        "description",
        "ip_address",
    }
)
"""Fields the Bot API types as strings; PTB sends everything else JSON-encoded."""
WEBHOOK_RETRY_S = 0.05


@dataclass(frozen=True)
class Call:
    method: str
    params: Json
    status: int
    at: float


class FakeTelegram:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.chats = Chats()
        self.calls: list[Call] = []
        self.updates: dict[int, Json] = {}
        self.commands: dict[str, list[Json]] = {}
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.allowed_updates: list[str] | None = None
        self.webhook_statuses: list[int] = []
        self.answered_queries: dict[str, bool] = {}
        self._pending: list[Json] = []
        self._closing = False
        self._confirmed: set[int] = set()
        self._changed = asyncio.Condition()
        self._update_ids = itertools.count(800000001)
        self._query_ids = itertools.count(4000000000000000001)
        self._failures: dict[str, list[ApiError]] = {}
        self._runner: web.AppRunner | None = None
        self._delivery: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.root = ""
        self.watchers: list[Callable[[str, int], None]] = []
        """Called with ("sent", chat id) after each accepted call to a chat, ("refused",
        chat id) after each refused one, and ("confirmed", update id) when the bot confirms
        an update (the benchmark's learners)."""

    # --- server ------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.root = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._session = aiohttp.ClientSession()
        return self.root

    async def close(self) -> None:
        async with self._changed:  # a long poll still open answers now, not in 25 s
            self._closing = True
            self._changed.notify_all()
        await self.stop_delivery()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await _params(request)
        handler = fake_methods.METHODS.get(method.casefold())
        try:
            if handler is None:
                raise ApiError(404, "Not Found")
            failure = self._next_failure(method)
            if failure is not None:
                raise failure
            result = await handler(self, params)
        except ApiError as error:
            self.calls.append(Call(method, params, error.status, time.monotonic()))
            chat_id = params.get("chat_id")
            if isinstance(chat_id, int):
                self._notify("refused", chat_id)
            body: Json = {"ok": False, "error_code": error.status, "description": error.description}
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
            return web.json_response(body, status=error.status)
        self.calls.append(Call(method, params, 200, time.monotonic()))
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int):
            self._notify("sent", chat_id)
        return web.json_response({"ok": True, "result": result})

    def _notify(self, what: str, number: int) -> None:
        for watcher in self.watchers:
            watcher(what, number)

    def fail_next(self, method: str, error: ApiError) -> None:
        """The next call of `method` is answered with `error` instead."""
        self._failures.setdefault(method.casefold(), []).append(error)

    def _next_failure(self, method: str) -> ApiError | None:
        queued = self._failures.get(method.casefold())
        return queued.pop(0) if queued else None

    # --- what the bot called ----------------------------------------------------------

    def called(self, method: str, *, ok: bool = True) -> list[Call]:
        return [call for call in self.calls if call.method == method and (call.status == 200) == ok]

    def refused(self) -> list[Call]:
        return [call for call in self.calls if call.status != 200]

    def transcript(self, person: Person) -> list[ChatMessage]:
        return list(self.chats.messages.get(person.id, []))

    # --- people acting in their Telegram client ----------------------------------------

    async def say(self, person: Person, text: str) -> int:
        self.chats.join(person)
        message = self.chats.add(ChatMessage(self.chats.new_id(), person, from_bot=False, text=text))
        json_message = message.as_json()
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            json_message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self.push({"message": json_message})

    async def say_in_group(self, group: Group, person: Person, text: str, reply_to: int | None = None) -> int:
        """`person` writes in `group`, replying to message `reply_to` if given."""
        answered = self.chats.find(group.id, reply_to) if reply_to is not None else None
        message = ChatMessage(
            self.chats.new_id(), group, from_bot=False, text=text, sender=person, reply_to=answered
        )
        return await self.push({"message": self.chats.add(message).as_json()})

    async def press(
        self, person: Person, message_id: int, callback_data: str, chat: Person | None = None
    ) -> int:
        """`person` presses a button of message `message_id` in their private chat (or `chat`)."""
        message = self.chats.find((chat or person).id, message_id)
        if not any(button.callback_data == callback_data for button in message.buttons):
            raise AssertionError(f"message {message_id} has no button {callback_data!r} to press now")
        query_id = str(next(self._query_ids))
        self.answered_queries[query_id] = False
        query = {
            "id": query_id,
            "from": person.as_user(),
            "message": message.as_json(),
            "chat_instance": f"ci-{(chat or person).id}",
            "data": callback_data,
        }
        return await self.push({"callback_query": query})

    async def answer_poll(self, person: Person, poll_id: str, option_ids: list[int]) -> int:
        _message, poll = self.chats.polls[poll_id]
        if poll.closed or person.id in poll.votes:
            raise AssertionError(f"poll {poll_id} cannot be answered any more")
        poll.votes[person.id] = option_ids
        answer = {
            "poll_id": poll_id,
            "user": person.as_user(),
            "option_ids": option_ids,
            "option_persistent_ids": [f"{poll_id}-{index}" for index in option_ids],
        }
        update_id = await self.push({"poll_answer": answer})
        await self.push({"poll": poll.as_json()})
        return update_id

    # --- updates ------------------------------------------------------------------------

    async def push(self, body: Json) -> int:
        """Queue an update (its `update_id` is added); returns the id."""
        update = {"update_id": next(self._update_ids), **body}
        self.updates[update["update_id"]] = update
        await self.push_raw(update)
        return int(update["update_id"])

    async def push_raw(self, update: Json) -> None:
        """Queue `update` as it is: a second push of the same update is a redelivery."""
        async with self._changed:
            self._pending.append(update)
            self._changed.notify_all()

    async def drop_pending(self) -> None:
        async with self._changed:
            self._confirm(list(self._pending))

    async def handled(self, update_id: int, timeout: float = 20) -> None:
        """Wait until the bot has confirmed `update_id` and every redelivery of it."""

        def done() -> bool:
            return update_id in self._confirmed and all(
                u.get("update_id") != update_id for u in self._pending
            )

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(done), timeout)

    async def take_updates(self, offset: int | None, limit: int, timeout: float) -> list[Json]:
        """`getUpdates`: forget what `offset` confirms, then wait up to `timeout` for more."""
        async with self._changed:
            if offset is not None:
                self._confirm(u for u in self._pending if _id(u) < offset)
            self._confirm(u for u in self._pending if not self._wanted(u))

            def ready() -> bool:
                wanted = any(_id(u) >= (offset or 0) and self._wanted(u) for u in self._pending)
                return wanted or self._closing

            try:
                await asyncio.wait_for(self._changed.wait_for(ready), timeout)
            except TimeoutError:
                return []
            return [u for u in self._pending if _id(u) >= (offset or 0) and self._wanted(u)][:limit]

    def _wanted(self, update: Json) -> bool:
        """Whether `allowed_updates` (as last set) lets this update through."""
        kind = next((key for key in update if key != "update_id"), "")
        if not self.allowed_updates:
            return kind not in {"chat_member", "message_reaction", "message_reaction_count"}
        return kind in self.allowed_updates

    def _confirm(self, updates: Iterable[Json]) -> None:
        gone = {id(update) for update in updates}
        for update in self._pending:
            if id(update) in gone:
                self._confirmed.add(_id(update))
                self._notify("confirmed", _id(update))
        self._pending = [update for update in self._pending if id(update) not in gone]
        self._changed.notify_all()

    # --- webhook ------------------------------------------------------------------------

    async def start_delivery(self) -> None:
        await self.stop_delivery()
        self._delivery = asyncio.create_task(self._deliver())

    async def stop_delivery(self) -> None:
        if self._delivery is not None:
            self._delivery.cancel()
            await asyncio.gather(self._delivery, return_exceptions=True)
            self._delivery = None

    async def _deliver(self) -> None:
        """Push updates to the webhook one at a time, in order, until each gets a 200."""
        assert self._session is not None
        while True:
            async with self._changed:
                self._confirm(u for u in self._pending if not self._wanted(u))
                await self._changed.wait_for(lambda: bool(self._pending))
                update = self._pending[0]
            headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret or ""}
            try:
                async with self._session.post(
                    str(self.webhook_url), json=update, headers=headers
                ) as response:
                    status = response.status
            except aiohttp.ClientError:
                status = 0
            self.webhook_statuses.append(status)
            if status == 200:
                async with self._changed:
                    self._confirm([update])
            else:
                await asyncio.sleep(WEBHOOK_RETRY_S)


def _id(update: Json) -> int:
    return int(update.get("update_id", 0))


async def _params(request: web.Request) -> Json:
    """The call's parameters, decoded as Telegram decodes them."""
    fields: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.read()
        fields.update(json.loads(body) if body else {})
        return fields
    if request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, str):
                fields[key] = value
    for key, value in list(fields.items()):
        if isinstance(value, str) and key not in STRING_FIELDS:
            with contextlib.suppress(ValueError):
                fields[key] = json.loads(value)
    return fields
