"""Stopping the outbox mid-batch: the rows being sent are finished and marked sent, the rows
of the batch not begun are handed back, due at once, so a stopping process neither keeps
the next one waiting for its claims nor holds up its own exit behind a long batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import select

from bot.adapters.database_work import DatabaseWork
from bot.delivery.outbox import SENDING_AT_ONCE, LearnerOutbox
from bot.messages import Outreach, Reply
from storage.db import Database
from storage.learner_messages import DueLearnerMessage, queue_learner_message
from storage.models import LearnerMessage
from tests.storage.test_due_lessons import NOW, learners_due

ROWS = 100


class SlowPlatform:
    """A platform that takes each message only when the test lets it."""

    platform = "telegram"

    def __init__(self) -> None:
        self.begun = 0
        self.go_on = asyncio.Event()

    async def deliver(self, _message: DueLearnerMessage, _replies: Sequence[Reply]) -> None:
        self.begun += 1
        await self.go_on.wait()


def nothing_to_word(_outreach: Outreach) -> tuple[Reply, ...]:
    raise AssertionError("support notes are sent as written")


def test_a_stop_finishes_what_is_being_sent_and_hands_back_the_rest(
    database: Database, database_work: DatabaseWork
) -> None:
    learner_ids = learners_due(database, ROWS)
    with database.transaction() as session:
        for learner_id in learner_ids:
            assert queue_learner_message(
                session, learner_id, "telegram", kind="support_reply", text="Hi", now=NOW
            )

    async def scenario() -> int:
        slow = SlowPlatform()
        outbox = LearnerOutbox(database_work, slow, nothing_to_word, clock=lambda: NOW)
        sending = asyncio.create_task(outbox.deliver_due())
        while slow.begun < SENDING_AT_ONCE:
            await asyncio.sleep(0.01)
        outbox.stop()
        slow.go_on.set()
        return await sending

    assert asyncio.run(scenario()) == SENDING_AT_ONCE
    with database.transaction() as session:
        rows = session.execute(
            select(LearnerMessage.status, LearnerMessage.attempts, LearnerMessage.next_attempt_at)
        ).all()
    assert sorted((row.status, row.attempts) for row in rows) == sorted(
        [("sent", 1)] * SENDING_AT_ONCE + [("pending", 0)] * (ROWS - SENDING_AT_ONCE)
    )
    assert {row.next_attempt_at for row in rows if row.status == "pending"} == {NOW}
