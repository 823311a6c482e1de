"""The outbox claims its next batch while the last one's final messages are still going out,
and that costs neither a learner's order nor a second copy: one learner's rows are sent one
batch after another, oldest first, and a row whose lease ran out while this process still
sends it is not sent again from here."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.adapters.database_work import DatabaseWork
from bot.delivery.outbox import LearnerOutbox
from bot.messages import Outreach, Reply
from storage.db import Database
from storage.learner_messages import DueLearnerMessage, queue_learner_message
from storage.models import LearnerMessage
from tests.storage.test_due_lessons import NOW, learners_due

BATCH = 4


class HeldPlatform:
    """Takes every message at once, except the `held` ones (by text), which wait until the
    test lets them go."""

    platform = "telegram"

    def __init__(self, held: set[str]) -> None:
        self.held = held
        self.go_on = asyncio.Event()
        self.taken: list[tuple[int, str]] = []
        self.started: list[int] = []

    async def deliver(self, message: DueLearnerMessage, _replies: Sequence[Reply]) -> None:
        self.started.append(message.id)
        if message.text in self.held:
            await self.go_on.wait()
        self.taken.append((message.learner_id, message.text))


def nothing_to_word(_outreach: Outreach) -> tuple[Reply, ...]:
    raise AssertionError("support notes are sent as written")


def queue(database: Database, rows: list[tuple[int, str]]) -> None:
    with database.transaction() as session:
        for learner_id, text in rows:
            assert queue_learner_message(
                session, learner_id, "telegram", kind="support_reply", text=text, now=NOW
            )


async def wait_for(condition: object, seconds: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_the_next_batch_goes_out_beside_the_last_one_and_a_learner_keeps_their_order(
    database: Database, database_work: DatabaseWork
) -> None:
    slow, quick, other = learners_due(database, 3)
    # Claimed four at a time, oldest first: the first batch holds slow's first two rows and
    # quick's and other's first; the second, slow's third and the rest.
    queue(database, [(slow, "s1"), (slow, "s2"), (quick, "q1"), (other, "o1")])
    queue(database, [(slow, "s3"), (quick, "q2"), (other, "o2"), (quick, "q3")])

    async def scenario() -> HeldPlatform:
        platform = HeldPlatform(held={"s1"})
        outbox = LearnerOutbox(database_work, platform, nothing_to_word, batch=BATCH, clock=lambda: NOW)
        running = asyncio.create_task(outbox.run())
        # slow's first row is held, so the first batch cannot end; the second goes out
        # anyway, but for slow's row, which waits for their first two.
        await wait_for(lambda: {text for _, text in platform.taken} >= {"q1", "o1", "q2", "o2", "q3"})
        assert [text for learner, text in platform.taken if learner == slow] == []
        platform.go_on.set()
        await wait_for(lambda: len(platform.taken) == 8)
        outbox.stop()
        await running
        return platform

    platform = asyncio.run(scenario())
    assert [text for learner, text in platform.taken if learner == slow] == ["s1", "s2", "s3"]
    assert [text for learner, text in platform.taken if learner == quick] == ["q1", "q2", "q3"]
    with database.transaction() as session:
        statuses = session.scalars(select(LearnerMessage.status)).all()
    assert statuses == ["sent"] * 8


def test_a_row_whose_lease_ran_out_while_it_is_being_sent_is_not_sent_again_by_the_same_process(
    database: Database, database_work: DatabaseWork
) -> None:
    (learner,) = learners_due(database, 1)
    queue(database, [(learner, "Hi")])
    platform = HeldPlatform(held={"Hi"})

    def clock() -> datetime:
        # Once the row is being sent, an hour has gone by: its lease is long over, and the
        # next claim (a batch of one is full, so it comes at once) finds it due again.
        return NOW + timedelta(hours=1) if platform.started else NOW

    async def scenario() -> None:
        outbox = LearnerOutbox(
            database_work, platform, nothing_to_word, batch=1, clock=clock, lease=timedelta(minutes=2)
        )
        running = asyncio.create_task(outbox.run())
        await wait_for(lambda: platform.started)
        await asyncio.sleep(0.5)
        platform.go_on.set()
        await wait_for(lambda: platform.taken)
        outbox.stop()
        await running

    asyncio.run(scenario())
    assert len(platform.started) == 1
    assert platform.taken == [(learner, "Hi")]
    with database.transaction() as session:
        row = session.execute(select(LearnerMessage.status, LearnerMessage.attempts)).one()
    assert row.status == "sent"
    assert row.attempts == 2  # claimed twice, sent once
