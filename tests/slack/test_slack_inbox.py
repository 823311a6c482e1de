"""Store first, acknowledge second: a process killed after acknowledging a request, before
replying, leaves it in the inbox, and the next process finishes it; processes sharing one
inbox answer each request once, a learner's in the order they came."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from sqlalchemy import select

from bot.adapters.slack.blocks import escape
from bot.content.model import ContentPack
from bot.engine import Engine
from bot.phrases import phrase
from storage.db import Database
from storage.inbox import Arrival, store
from storage.models import InboxEntry, ProcessedEvent
from tests.slack.fake_records import Message
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, TEAM, slack_world
from tests.slack.payloads import direct_message, event_body, press_payload
from tests.slack.process import SlackProcess, environment, until

USER = "U0ANN"
DM = FakeSlack.dm(USER)


def said(text: str, event_id: str) -> dict[str, object]:
    return event_body(TEAM, direct_message(DM, USER, text), event_id)


async def started_fake() -> FakeSlack:
    fake = FakeSlack()
    await fake.start()
    fake.add_workspace(TEAM, BOT_TOKEN)
    return fake


def env_for(database_url: str, fake: FakeSlack) -> dict[str, str]:
    return environment(
        database_url,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=fake.api_url,
        LESSONLOOP_INBOX_LEASE_SECONDS="1",
    )


def inbox_rows(database_url: str) -> list[tuple[str, bool, int]]:
    """(event id, done, times taken) per entry, oldest first."""
    database = Database(database_url)
    try:
        with database.transaction() as session:
            rows = session.execute(
                select(InboxEntry.event_id, InboxEntry.done_at, InboxEntry.attempts).order_by(InboxEntry.id)
            )
            return [(event_id, done_at is not None, attempts) for event_id, done_at, attempts in rows]
    finally:
        database.dispose()


def handled(database_url: str, event_id: str) -> bool:
    database = Database(database_url)
    try:
        with database.transaction() as session:
            return session.get(ProcessedEvent, ("slack", event_id)) is not None
    finally:
        database.dispose()


def labels(message: Message) -> list[str]:
    return [button["text"]["text"] for button in message.buttons()]


def test_killed_before_the_engine_ran_the_next_process_answers(database_url: str) -> None:
    async def scenario() -> None:
        fake = await started_fake()
        env = env_for(database_url, fake)
        try:
            first = await SlackProcess.start(env)
            fake.delay("users.info", 600)  # the work after the ack stalls at its first call
            assert await first.event(said("help", "Ev0KILLED1")) == 200
            await until(lambda: any(call.method == "users.info" for call in fake.calls))
            await first.kill()
            assert fake.messages[DM] == []
            assert inbox_rows(database_url) == [("Ev0KILLED1", False, 1)]

            fake.delay("users.info", 0)
            second = await SlackProcess.start(env)
            await until(lambda: inbox_rows(database_url) == [("Ev0KILLED1", True, 2)])
            await second.stop()
            assert [message.text for message in fake.messages[DM]] == [escape(phrase("help", "en"))]
        finally:
            await fake.stop()
        assert fake.violations == []

    asyncio.run(scenario())


def test_killed_after_the_engine_committed_the_next_process_shows_where_the_learner_is(
    database_url: str,
) -> None:
    async def scenario() -> None:
        fake = await started_fake()
        env = env_for(database_url, fake)
        try:
            first = await SlackProcess.start(env)
            assert await first.event(said("start", "Ev0START")) == 200
            await until(lambda: any(message.buttons() for message in fake.messages[DM]))
            courses = fake.messages[DM][-1]
            fake.delay("chat.update", 600)  # the engine commits, then the replies stall
            fake.delay("chat.postMessage", 600)
            button = next(
                b for b in courses.buttons() if b["text"]["text"] == "Getting started with Tasklane"
            )
            press = press_payload(TEAM, USER, courses, button)
            press_id = f"action:{courses.ts}:{press['actions'][0]['action_ts']}"
            assert await first.interaction(press) == 200
            await until(lambda: handled(database_url, press_id))
            await until(lambda: any(call.method == "chat.update" for call in fake.calls))
            await first.kill()
            shown_before = [(message.text, labels(message)) for message in fake.messages[DM]]

            fake.delay("chat.update", 0)
            fake.delay("chat.postMessage", 0)
            second = await SlackProcess.start(env)
            await until(lambda: inbox_rows(database_url) == [("Ev0START", True, 1), (press_id, True, 2)])
            await second.stop()
            shown_after = [(message.text, labels(message)) for message in fake.messages[DM]]
            resumed = (
                "First things first: what brings you to Tasklane?",
                ["I lead a team", "I get the work done", "Just looking around"],
            )
            # The press's own replies were lost with the process (the course list keeps its
            # buttons; pressing one again gets "expired"); the lesson's first step comes instead.
            assert shown_after == [*shown_before, resumed]
        finally:
            await fake.stop()
        assert fake.violations == []

    asyncio.run(scenario())


def test_two_processes_sharing_one_inbox_answer_each_event_once_in_order(
    bundled_content: ContentPack, database_url: str
) -> None:
    """Each message goes to one process and its retry to the other; the learner's replies
    come in the order the messages were sent, whichever process answered."""
    first, second = Database(database_url), Database(database_url)
    typed = ["help", "progress", "courses", "help", "progress", "courses"]

    async def scenario() -> None:
        async with (
            slack_world(Engine(bundled_content, first)) as one,
            slack_world(Engine(bundled_content, second), fake=one.fake) as two,
        ):
            for number, text in enumerate(typed):
                body = said(text, f"Ev0SHARED{number}")
                sent, retried = (one, two) if number % 2 == 0 else (two, one)
                assert await sent.transport.event(body) == 200
                assert await retried.transport.event(body, retry=1) == 200
            await asyncio.gather(one.bot.drained(), two.bot.drained())
            answers = [
                escape(phrase("help", "en")),
                "You haven't started a course yet. Type courses to pick one.",
                "Which course would you like to take?",
            ]
            assert [message.text for message in one.fake.messages[DM]] == answers * 2
            assert len(one.fake.made("chat.postMessage")) == len(answers) * 2

    try:
        asyncio.run(scenario())
    finally:
        first.dispose()
        second.dispose()
    assert inbox_rows(database_url) == [(f"Ev0SHARED{number}", True, 1) for number in range(len(typed))]


def test_an_entry_left_by_version_0_1_as_a_raw_body_is_still_answered(database_url: str) -> None:
    """Version 0.1.0 stored the request's body and read it after the ack; an entry one of its
    processes left in a shared inbox is finished by this version, which stores what it read."""
    database = Database(database_url)
    try:
        with database.transaction() as session:
            raw = json.dumps(said("help", "Ev0OLDFORMAT"))
            store(
                session, Arrival("slack", "Ev0OLDFORMAT", f"{TEAM}:{USER}", "message", raw, datetime.now(UTC))
            )
    finally:
        database.dispose()

    async def scenario() -> None:
        fake = await started_fake()
        try:
            process = await SlackProcess.start(env_for(database_url, fake))
            await until(lambda: inbox_rows(database_url) == [("Ev0OLDFORMAT", True, 1)])
            assert await process.event(said("progress", "Ev0NEWFORMAT")) == 200
            await until(lambda: len(fake.messages[DM]) == 2)
            await process.stop()
            assert fake.messages[DM][0].text == escape(phrase("help", "en"))
        finally:
            await fake.stop()
        assert fake.violations == []

    asyncio.run(scenario())
    assert [payload["format"] for payload in stored_payloads(database_url)] == [2]


def stored_payloads(database_url: str) -> list[dict[str, object]]:
    """The payloads this version stored (those with a format number)."""
    database = Database(database_url)
    try:
        with database.transaction() as session:
            payloads = [json.loads(payload) for payload in session.scalars(select(InboxEntry.payload))]
    finally:
        database.dispose()
    return [payload for payload in payloads if "format" in payload]
