"""What Slack's delivery rules demand: acks within 3 s, retries that do nothing twice,
forged or replayed requests refused, and 429s waited out."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sqlalchemy import func, select

from bot.content.model import ContentPack
from bot.engine import Engine
from storage.db import Database
from storage.models import Interaction, Learner, ProcessedEvent
from tests.slack.harness import HttpTransport, Mode, sign, slack_world
from tests.slack.payloads import event_body

HELP = {
    "type": "message",
    "channel": "DU0ANN",
    "channel_type": "im",
    "user": "U0ANN",
    "text": "help",
    "ts": "1.0",
}


def count(database: Database, table: type[Learner | ProcessedEvent]) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_an_event_delivered_three_times_is_answered_once(
    mode: Mode, engine: Engine, database: Database
) -> None:
    async def scenario() -> None:
        async with slack_world(engine, mode) as world:
            learner = world.learner()
            assert await learner.event(HELP, event_id="Ev0RETRIED", deliveries=3) == [200, 200, 200]
            assert len(world.fake.made("chat.postMessage")) == 1

    asyncio.run(scenario())
    assert count(database, ProcessedEvent) == 1
    with database.transaction() as session:
        rows = session.execute(select(Interaction.direction, Interaction.kind).order_by(Interaction.id)).all()
    assert [tuple(row) for row in rows] == [("in", "text"), ("mark", "command"), ("out", "text")]


def test_retries_arriving_together_are_answered_once(engine: Engine, database: Database) -> None:
    async def scenario() -> None:
        async with slack_world(engine) as world:
            assert isinstance(world.transport, HttpTransport)
            body = event_body("T0ACME", HELP, "Ev0TOGETHER")
            statuses = await asyncio.gather(*(world.transport.event(body, retry) for retry in range(3)))
            await world.bot.drained()
            assert statuses == [200, 200, 200]
            assert len(world.fake.made("chat.postMessage")) == 1

    asyncio.run(scenario())


def test_a_press_delivered_twice_changes_the_message_once(engine: Engine) -> None:
    async def scenario() -> None:
        async with slack_world(engine, "socket") as world:
            learner = world.learner()
            await learner.say("courses")
            message = learner.dm()[-1]
            button = message.buttons()[0]
            payload = learner.press_payload(message, button)
            for _ in range(2):
                await world.transport.interaction(payload)
                await world.bot.drained()
            assert len(world.fake.made("chat.update")) == 1
            assert [("Lesson 1 of 5" in m.text, "✓" in m.text) for m in learner.dm()] == [
                (False, True),
                (True, False),
            ]

    asyncio.run(scenario())


def test_two_processes_given_the_same_event_answer_it_once(
    bundled_content: ContentPack, database_url: str
) -> None:
    """Slack's retry may land on another process: the database decides who answers."""
    first, second = Database(database_url), Database(database_url)

    async def scenario() -> None:
        async with (
            slack_world(Engine(bundled_content, first)) as one,
            slack_world(Engine(bundled_content, second), fake=one.fake) as two,
        ):
            body = event_body("T0ACME", HELP, "Ev0TWICE")
            await asyncio.gather(one.transport.event(body), two.transport.event(body, 1))
            await asyncio.gather(one.bot.drained(), two.bot.drained())
            assert len(one.fake.made("chat.postMessage")) == 1

    try:
        asyncio.run(scenario())
    finally:
        first.dispose()
        second.dispose()


@pytest.mark.parametrize(
    ("secret", "age_s"),
    [("not-the-signing-secret", 0), ("fake-signing-secret-8f3a", 6 * 60)],
    ids=["bad-signature", "stale-timestamp"],
)
def test_a_forged_or_replayed_request_is_refused_before_any_listener(
    secret: str, age_s: int, engine: Engine, database: Database
) -> None:
    async def scenario() -> None:
        async with slack_world(engine) as world:
            body = json.dumps(event_body("T0ACME", HELP, "Ev0FORGED"))
            headers = {"Content-Type": "application/json", **sign(body, secret, int(time.time()) - age_s)}
            async with world.session.post(
                world.url + "/slack/events", data=body, headers=headers
            ) as response:
                assert response.status == 401
            await world.bot.drained()
            assert world.fake.calls == []

    asyncio.run(scenario())
    assert count(database, ProcessedEvent) == 0
    assert count(database, Learner) == 0


def test_a_rate_limited_reply_waits_out_retry_after(engine: Engine) -> None:
    async def scenario() -> None:
        async with slack_world(engine) as world:
            world.fake.rate_limit("chat.postMessage", retry_after=1)
            started = time.monotonic()
            assert isinstance(world.transport, HttpTransport)
            assert await world.transport.event(event_body("T0ACME", HELP, "Ev0LIMITED")) == 200
            acked = time.monotonic() - started
            await world.bot.drained()
            posts = [call for call in world.fake.calls if call.method == "chat.postMessage"]
            assert [call.status for call in posts] == [429, 200]
            assert posts[1].at - posts[0].at >= 1.0
            assert acked < 0.5  # the wait happened after the ack

    asyncio.run(scenario())


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_slow_work_happens_after_the_ack(mode: Mode, engine: Engine) -> None:
    async def scenario() -> None:
        async with slack_world(engine, mode) as world:
            world.fake.delay("users.info", 3.2)  # longer than Slack waits for an ack
            body = event_body("T0ACME", HELP, "Ev0SLOW")
            started = time.monotonic()
            assert await world.transport.event(body) == 200
            assert time.monotonic() - started < 1.0
            await world.bot.drained()
            assert len(world.fake.made("chat.postMessage")) == 1

    asyncio.run(scenario())
