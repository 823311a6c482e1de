"""A hand-off from the engine to a helpdesk webhook: opened with the learner's question,
told to the learner with the support hours, and delivered signed, retried after a refusal
with a backoff and after a 429 when its Retry-After says."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.config import HandoffSettings
from bot.content.loader import load_content
from bot.delivery.retries import MAX_ATTEMPTS, backoff
from bot.engine import Engine
from bot.handoff.dispatch import Dispatcher
from bot.handoff.webhook import WebhookDestination
from storage.db import Database
from storage.models import HandoffDelivery
from tests.engine.chat import Chat, Clock
from tests.helpdesk import SECRET, FakeHelpdesk

ROOT = Path(__file__).resolve().parents[2]


def test_a_refused_webhook_is_retried_until_the_helpdesk_takes_it(database: Database) -> None:
    clock = Clock()

    async def scenario() -> None:
        helpdesk = FakeHelpdesk()
        await helpdesk.start()
        support = HandoffSettings(
            webhook_url=helpdesk.url, webhook_secret=SECRET, hours="Mon-Fri 9:00-18:00 CET"
        )
        engine = Engine(load_content([ROOT / "content"]), database, clock=clock, handoff=support)
        chat = Chat(engine)
        assert chat.texts() == []
        chat.say("is the moon made of cheese")
        assert chat.texts() == [
            "I've passed your question to our support team: a person will reply here.\n"
            "Support hours: Mon-Fri 9:00-18:00 CET."
        ]
        helpdesk.answers = [(503, {}), (429, {"Retry-After": "30"})]
        try:
            dispatcher = Dispatcher(database, [WebhookDestination(helpdesk.url, SECRET)], clock=clock)
            assert await dispatcher.deliver_due() == 0  # 503
            assert await dispatcher.deliver_due() == 0  # not due again yet: nothing sent
            clock.advance(seconds=2)
            assert await dispatcher.deliver_due() == 0  # 429, retry in 30 s
            clock.advance(seconds=29)
            assert await dispatcher.deliver_due() == 0
            clock.advance(seconds=1)
            assert await dispatcher.deliver_due() == 1
        finally:
            await helpdesk.stop()
        assert [received.status for received in helpdesk.received] == [503, 429, 200]
        assert all(received.signature_valid for received in helpdesk.received)
        assert helpdesk.accepted()[0].document["question"] == "is the moon made of cheese"

    asyncio.run(scenario())
    with database.transaction() as session:
        delivery = session.scalars(select(HandoffDelivery)).one()
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, None)


def test_a_webhook_signed_with_another_secret_is_refused_and_kept(database: Database) -> None:
    clock = Clock()

    async def scenario() -> None:
        helpdesk = FakeHelpdesk()
        await helpdesk.start()
        support = HandoffSettings(webhook_url=helpdesk.url, webhook_secret="not-the-shared-secret")
        Chat(Engine(load_content([ROOT / "content"]), database, clock=clock, handoff=support)).say(
            "is the moon made of cheese"
        )
        try:
            destination = WebhookDestination(helpdesk.url, "not-the-shared-secret")
            assert await Dispatcher(database, [destination], clock=clock).deliver_due() == 0
        finally:
            await helpdesk.stop()
        assert [(r.signature_valid, r.status) for r in helpdesk.received] == [(False, 401)]

    asyncio.run(scenario())
    with database.transaction() as session:
        delivery = session.scalars(select(HandoffDelivery)).one()
        assert (delivery.status, delivery.last_error) == ("pending", "the webhook answered HTTP 401")


def test_a_webhook_that_keeps_failing_is_given_up_after_about_a_day_and_kept(database: Database) -> None:
    clock = Clock()

    async def scenario() -> None:
        helpdesk = FakeHelpdesk()
        await helpdesk.start()
        support = HandoffSettings(webhook_url=helpdesk.url, webhook_secret=SECRET)
        Chat(Engine(load_content([ROOT / "content"]), database, clock=clock, handoff=support)).say(
            "is the moon made of cheese"
        )
        helpdesk.answers = [(500, {})] * (MAX_ATTEMPTS + 1)
        try:
            dispatcher = Dispatcher(database, [WebhookDestination(helpdesk.url, SECRET)], clock=clock)
            for _ in range(MAX_ATTEMPTS + 1):
                await dispatcher.deliver_due()
                clock.advance(hours=1)
        finally:
            await helpdesk.stop()
        assert len(helpdesk.received) == MAX_ATTEMPTS

    asyncio.run(scenario())
    with database.transaction() as session:
        delivery = session.scalars(select(HandoffDelivery)).one()
        assert (delivery.status, delivery.attempts, delivery.last_error) == (
            "failed",
            MAX_ATTEMPTS,
            "the webhook answered HTTP 500",
        )
    # "About a day": the waits between the attempts add up to a day or so.
    assert (
        timedelta(hours=20)
        < sum((backoff(n) for n in range(1, MAX_ATTEMPTS)), timedelta())
        < timedelta(hours=48)
    )


def test_two_dispatchers_at_once_deliver_every_hand_off_exactly_once(database: Database) -> None:
    """Two dispatchers as two processes run them (each its own connection pool), racing on one outbox."""
    clock = Clock()

    async def scenario() -> None:
        helpdesk = FakeHelpdesk()
        await helpdesk.start()
        support = HandoffSettings(webhook_url=helpdesk.url, webhook_secret=SECRET)
        engine = Engine(load_content([ROOT / "content"]), database, clock=clock, handoff=support)
        for number in range(30):
            Chat(engine, f"learner-{number}").say("is the moon made of cheese")
        pools = [Database(database.url), Database(database.url)]
        try:
            dispatchers = [
                Dispatcher(pool, [WebhookDestination(helpdesk.url, SECRET)], clock=clock) for pool in pools
            ]

            async def drain(dispatcher: Dispatcher) -> int:
                sent = 0
                while (batch := await dispatcher.deliver_due()) > 0:
                    sent += batch
                return sent

            shares = await asyncio.gather(*(drain(dispatcher) for dispatcher in dispatchers))
        finally:
            for pool in pools:
                pool.dispose()
            await helpdesk.stop()
        delivered = sorted(received.document["handoff_id"] for received in helpdesk.accepted())
        assert delivered == list(range(1, 31))  # every one, none twice
        assert sum(shares) == 30

    asyncio.run(scenario())


def test_a_korean_learner_is_told_in_korean_and_support_reads_the_reason_in_the_body(
    database: Database,
) -> None:
    clock = Clock()

    async def scenario() -> None:
        helpdesk = FakeHelpdesk()
        await helpdesk.start()
        support = HandoffSettings(
            webhook_url=helpdesk.url, webhook_secret=SECRET, hours="평일 9:00-18:00 KST"
        )
        chat = Chat(
            Engine(load_content([ROOT / "content"]), database, clock=clock, handoff=support),
            "min",
            locale="ko",
        )
        chat.say("달은 치즈로 만들어졌나요")
        assert chat.texts() == [
            "질문을 지원팀에 전달했어요. 담당자가 여기로 답변해 드릴 거예요.\n상담 시간: 평일 9:00-18:00 KST."
        ]
        try:
            await Dispatcher(database, [WebhookDestination(helpdesk.url, SECRET)], clock=clock).deliver_due()
        finally:
            await helpdesk.stop()
        [hook] = helpdesk.accepted()
        document = hook.document
        assert (document["reason"], document["question"], document["learner"]["locale"]) == (
            "unanswered",
            "달은 치즈로 만들어졌나요",
            "ko",
        )
        assert document["opened_at"] == clock.now.isoformat()

    asyncio.run(scenario())
