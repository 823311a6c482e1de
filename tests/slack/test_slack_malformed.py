"""Signed requests the adapter cannot use, sent through the real HTTP path: Slack resends
whatever is not answered 2xx, so a body that is not a JSON object gets 400, a request that
lacks what a turn needs or that no listener takes gets 200, and none gets 500 or changes
anything a learner has."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.adapters.slack.pacing import ChannelPace
from bot.engine import Engine
from storage.db import Database
from storage.models import InboxEntry, Learner
from tests.slack.harness import TEAM, HttpTransport, World, slack_world
from tests.slack.payloads import command_form, direct_message, event_body

JSON, FORM = "application/json", "application/x-www-form-urlencoded"
GONE = object()
"""A field left out."""
Json = dict[str, Any]
Request = tuple[str, str | bytes]
"""A request's content type and body."""


def changed(base: Json, **fields: object) -> Json:
    """`base` with `fields` set, or left out where they are `GONE`."""
    return {key: value for key, value in {**base, **fields}.items() if value is not GONE}


def event(**fields: object) -> Request:
    """A DM event with the event's `fields` changed."""
    return JSON, json.dumps(
        event_body(TEAM, changed(direct_message("DU0ANN", "U0ANN", "courses"), **fields), "Ev1")
    )


def envelope(**fields: object) -> Request:
    """A DM event with the envelope's `fields` changed."""
    return JSON, json.dumps(
        changed(event_body(TEAM, direct_message("DU0ANN", "U0ANN", "courses"), "Ev1"), **fields)
    )


HOME_PRESS: Json = {
    "type": "block_actions",
    "user": {"id": "U0ANN", "team_id": TEAM},
    "team": {"id": TEAM},
    "container": {"type": "view", "view_id": "VU0ANN"},
    "actions": [{"type": "button", "action_id": "home-continue", "value": "resume", "action_ts": "1.5"}],
}


def home_press(**fields: object) -> Request:
    return FORM, urlencode({"payload": json.dumps(changed(HOME_PRESS, **fields))})


def command(**fields: object) -> Request:
    form = command_form(TEAM, "U0ANN", "C0GENERAL", "courses", "https://example.test/respond")
    return FORM, urlencode(changed(form, **fields))


UNREADABLE = {
    "not JSON": (JSON, '{"type": "event_callback",'),
    "a list": (JSON, "[]"),
    "null": (JSON, "null"),
    "a number": (JSON, "5"),
    "payload not JSON": (FORM, urlencode({"payload": "{oops"})),
    "payload a list": (FORM, urlencode({"payload": json.dumps([HOME_PRESS])})),
    "payload null": (FORM, urlencode({"payload": "null"})),
    "team a number": envelope(team=5),
    "authorizations a number": envelope(authorizations=5),
    "event a string": envelope(event="message"),
    "actions empty": home_press(actions=[]),
    "actions of a string": home_press(actions=["home-continue"]),
}
UNUSABLE = {
    "message without a channel": event(channel=GONE),
    "message without a user": event(user=GONE),
    "message text a number": event(text=7),
    "message user an object": event(user={"id": "U0ANN"}),
    "event without an id": envelope(event_id=GONE),
    "event without the event": envelope(event=GONE),
    "event without a team": envelope(team_id=GONE, authorizations=GONE),
    "home tab opened by nobody": envelope(event={"type": "app_home_opened", "tab": "home"}),
    "reaction_added": envelope(event={"type": "reaction_added", "user": "U0ANN", "reaction": "+1"}),
    "press without a user": home_press(user=GONE),
    "press by a string": home_press(user="U0ANN"),
    "press without actions": home_press(actions=GONE),
    "press without action_ts": home_press(actions=[{"action_id": "home-continue"}]),
    "command without a user": command(user_id=GONE),
    "command without a response_url": command(response_url=GONE),
    "command without a trigger_id": command(trigger_id=GONE),
    "form of nothing known": (FORM, "a=1&b=2"),
    "empty": (JSON, ""),
}


def count(database: Database, table: type[Learner | InboxEntry]) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


async def post(world: World, request: Request) -> int:
    assert isinstance(world.transport, HttpTransport)
    content_type, body = request
    status = await world.transport.post(body, content_type)
    await world.bot.drained()
    return status


@pytest.mark.parametrize(
    ("request_", "status"),
    [*((r, 400) for r in UNREADABLE.values()), *((r, 200) for r in UNUSABLE.values())],
    ids=[*UNREADABLE, *UNUSABLE],
)
def test_a_signed_request_that_cannot_be_used_is_answered_without_a_500_and_left(
    request_: Request, status: int, engine: Engine, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")

    async def scenario() -> None:
        async with slack_world(engine) as world:
            assert await post(world, request_) == status
            assert {call.method for call in world.fake.calls} <= {"auth.test"}

    asyncio.run(scenario())
    assert count(database, InboxEntry) == 0
    assert count(database, Learner) == 0
    logged = [r for r in caplog.records if r.name.startswith("bot.") and r.levelno >= logging.INFO]
    assert [(r.levelno, r.exc_info) for r in logged] == [(logging.WARNING, None)]  # one line, no traceback


@pytest.mark.parametrize(
    "request_", [*UNREADABLE.values(), (JSON, b'{"type": "\xff"}')], ids=[*UNREADABLE, "not UTF-8"]
)
def test_an_unsigned_request_bolt_cannot_read_is_refused_as_any_unsigned_one(
    request_: Request, engine: Engine
) -> None:
    async def scenario() -> None:
        async with slack_world(engine) as world:
            assert isinstance(world.transport, HttpTransport)
            world.transport.secret = "not-the-signing-secret"
            assert await post(world, request_) == 401
            assert world.fake.calls == []

    asyncio.run(scenario())


def variants(original: object) -> list[object]:
    """A field left out, or as a number, a string, an empty list, an empty object: each but
    another string in place of a string, which would only be another value."""
    others: list[object] = [7, "x", [], {}]
    return [GONE, *(v for v in others if not (isinstance(v, str) and isinstance(original, str)))]


def mutations(base: Json) -> Iterator[Json]:
    """`base` with one field (at the top, or in an object or first list item under it)
    changed by each of its `variants`, for each field in turn."""
    for key, value in base.items():
        for variant in variants(value):
            yield changed(base, **{key: variant})
        inner = value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else value
        if isinstance(inner, dict):
            for field, original in inner.items():
                for variant in variants(original):
                    altered = changed(inner, **{field: variant})
                    yield {**base, key: [altered] if isinstance(value, list) else altered}


def as_sent(kind: str, body: Json) -> Request:
    """`body` as Slack sends its kind: JSON, a form with the JSON in `payload`, a form."""
    if kind == "event":
        return JSON, json.dumps(body)
    if kind == "interaction":
        return FORM, urlencode({"payload": json.dumps(body)})
    return FORM, urlencode(
        {key: value if isinstance(value, str) else json.dumps(value) for key, value in body.items()}
    )


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)  # about requests, not storage
def test_no_field_left_out_or_of_another_type_gets_a_500(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Every field of each kind of request the adapter takes, in turn. What is still usable
    is answered (each request has ids of its own), so only the answers and the logs count."""
    home_opened = {"type": "app_home_opened", "user": "U0ANN", "channel": "DU0ANN", "tab": "messages"}
    action = {**HOME_PRESS["actions"][0], "action_ts": "1.@@"}

    async def scenario() -> list[int]:
        async with slack_world(engine, pace=ChannelPace(0)) as world:  # Slack's pace is not tried here
            learner = world.learner()
            await learner.say("courses")
            message = learner.dm()[-1]
            press = learner.press_payload(message, message.buttons()[0])
            press["actions"][0]["action_ts"] = "1.@@"
            url = world.fake.response_url(TEAM, "C0GENERAL", "U0ANN")
            command = {**command_form(TEAM, "U0ANN", "C0GENERAL", "help", url), "trigger_id": "t@@"}
            bases = [
                ("event", event_body(TEAM, direct_message("DU0ANN", "U0ANN", "help"), "Ev@@")),
                ("event", event_body(TEAM, home_opened, "Ev@@")),
                ("interaction", press),
                ("interaction", {**HOME_PRESS, "actions": [action]}),
                ("command", command),
            ]
            statuses: list[int] = []
            for kind, base in bases:
                for body in mutations(base):
                    unique = json.loads(json.dumps(body).replace("@@", str(len(statuses))))
                    statuses.append(await post(world, as_sent(kind, unique)))
            world.fake.violations.clear()  # edits of messages that never were: not what is tried here
            return statuses

    statuses = asyncio.run(scenario())
    assert set(statuses) <= {200, 400}
    watched = ("bot.", "aiohttp.server", "lessonloop.")
    errors = [r for r in caplog.records if r.name.startswith(watched) and r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == []
