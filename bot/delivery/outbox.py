"""Sending the outbox to learners of one platform, from every serving process.

A row is a support person's reply or note, sent as it was worded, or a scheduled lesson,
worded by the engine as it goes out (`Engine.reach_out`), so it starts where the learner
is then. The platform's adapter renders the replies natively (Block Kit, inline keyboards,
quiz polls) within its rate limits. Rows are claimed in the database (`storage.outbox`),
so several processes share the outbox without sending a row twice; one learner's rows go
in order, different learners' side by side. A row whose sender died or failed is claimed
again: a lesson whose turn had committed is then shown as where the learner is (the open
step again), so nothing is lost, and what the platform took just before a crash may go
out twice: the messages in flight. A platform that says the learner blocked the bot marks
them unreachable: nothing more is tried until they write again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any, Protocol

from bot.adapters.database_work import DatabaseWork
from bot.delivery.retries import describe, retry_at
from bot.messages import (
    CampaignMessage,
    Outreach,
    Platform,
    Reminder,
    Reply,
    ReviewRound,
    ScheduledLesson,
    SurveyInvite,
    TextReply,
)
from storage.learner_messages import (
    DueLearnerMessage,
    claim_learner_messages,
    learner_message_failed,
    learner_messages_sent,
    mark_unreachable,
    release_learner_messages,
)
from storage.outbox import LEASE

log = logging.getLogger(__name__)

POLL_S = 1.0
BATCH = 200
"""Rows claimed at a time: enough to keep a platform's 30 messages a second busy."""
SENDING_AT_ONCE = 48
"""Learners whose rows are being sent at one moment; the rest of a batch waits its turn,
so a stop only waits for these (at Telegram's 30 a second, a few seconds) and hands the
waiting rows back."""
MARKED_AT_ONCE = 48
"""Rows the platform took that are marked sent in one statement (and the end of a batch
marks the rest): a crash before the mark sends at most these again, besides those in
flight."""

ReachOut = Callable[[Outreach], tuple[Reply, ...]]


class LearnerUnreachableError(Exception):
    """The platform says the learner cannot be written to (they blocked the bot, or left)."""


class LearnerChannel(Protocol):
    """How a process reaches the learners of the platform it serves: `deliver` shows the
    replies in the learner's conversation, or raises `DeliveryRefusedError` (retried) or
    `LearnerUnreachableError`."""

    @property
    def platform(self) -> str: ...

    async def deliver(self, message: DueLearnerMessage, replies: Sequence[Reply]) -> None: ...


@dataclass
class _Batch:
    """Rows claimed together and being sent; `all_begun` once each of its learners has
    begun (or the batch has ended)."""

    claimed: int
    all_begun: asyncio.Event
    not_begun: int
    task: asyncio.Task[int] = field(init=False)

    def begun(self) -> None:
        self.not_begun -= 1
        if self.not_begun <= 0:
            self.all_begun.set()


async def _first_of(*waits: Coroutine[Any, Any, object]) -> None:
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


class LearnerOutbox:
    def __init__(
        self,
        work: DatabaseWork,
        channel: LearnerChannel,
        reach_out: ReachOut,
        *,
        batch: int = BATCH,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lease: timedelta = LEASE,
    ) -> None:
        self.database = work.database
        self._work = work
        self.channel = channel
        self._lease = lease
        self._reach_out = reach_out
        self._batch = batch
        self._clock = clock
        self._stopping = asyncio.Event()
        self._sending = asyncio.Semaphore(SENDING_AT_ONCE)
        self._sent: list[int] = []
        """Rows the platform took, not yet marked sent."""
        self._in_flight: set[int] = set()
        """Rows of the batches being sent."""
        self._learners: dict[int, asyncio.Lock] = {}
        """The learners whose rows are being sent (or wait for a batch before to finish)."""

    async def run(self) -> None:
        """Send what is due, every `POLL_S`, until `stop`: the rows being sent are finished
        and marked, the others handed back. After a full batch the next is claimed as soon
        as every learner of this one has begun, so the platform is not left idle while the
        batch's last messages go out and the next is claimed."""
        sending: set[asyncio.Task[int]] = set()
        while not self._stopping.is_set():
            try:
                batch = await self._begin_batch()
            except Exception:  # the database away for a moment must not stop the loop
                log.exception("the outbox to %s learners could not be read", self.channel.platform)
                batch = None
            if batch is not None:
                sending.add(batch.task)
                batch.task.add_done_callback(self._finished)
                batch.task.add_done_callback(sending.discard)
                if batch.claimed >= self._batch:
                    await _first_of(batch.all_begun.wait(), self._stopping.wait())
                    continue
                await asyncio.gather(*sending, return_exceptions=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), POLL_S)
        await asyncio.gather(*sending, return_exceptions=True)

    def stop(self) -> None:
        self._stopping.set()

    async def deliver_due(self) -> int:
        """One batch of the rows due; how many were sent."""
        return await (await self._begin_batch()).task

    async def _begin_batch(self) -> _Batch:
        claimed = await self._work.run(self._claim)
        # A row whose lease ran out while this process still sends it (a clock that jumped,
        # a platform slower than the lease) is not sent a second time from here.
        due = [row for row in claimed if row.id not in self._in_flight]
        self._in_flight.update(row.id for row in due)
        by_learner = [list(rows) for _, rows in groupby(due, key=lambda row: row.learner_id)]
        batch = _Batch(len(claimed), asyncio.Event(), len(by_learner))
        batch.task = asyncio.create_task(self._send_batch(batch, by_learner))
        if not by_learner:
            batch.all_begun.set()
        return batch

    async def _send_batch(self, batch: _Batch, by_learner: list[list[DueLearnerMessage]]) -> int:
        try:
            return sum(await asyncio.gather(*(self._send_in_order(batch, rows) for rows in by_learner)))
        finally:
            batch.all_begun.set()
            await self._mark_sent()
            self._in_flight.difference_update(row.id for rows in by_learner for row in rows)

    def _finished(self, task: asyncio.Task[int]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("sending the outbox to %s learners failed", self.channel.platform, exc_info=error)

    def _claim(self) -> list[DueLearnerMessage]:
        with self.database.transaction() as session:
            claimed = claim_learner_messages(
                session, self.channel.platform, self._clock(), self._batch, lease=self._lease
            )
        return sorted(claimed, key=lambda row: (row.learner_id, row.id))

    async def _send_in_order(self, batch: _Batch, rows: list[DueLearnerMessage]) -> int:
        """One learner's rows, oldest first: a reply before the "resolved" note after it,
        and after their rows of the batch before (whose last may still be going out).
        Once `stop` is called, the rows not begun yet are handed back, due now."""
        sent, waiting = 0, True
        async with self._learner_turn(rows[0].learner_id):
            for index, row in enumerate(rows):
                async with self._sending:
                    if waiting:
                        waiting = False
                        batch.begun()
                    if self._stopping.is_set():
                        await self._work.run(self._write_released, [each.id for each in rows[index:]])
                        break
                    sent += await self._send(row)
        if waiting:
            batch.begun()
        return sent

    @contextlib.asynccontextmanager
    async def _learner_turn(self, learner_id: int) -> AsyncIterator[None]:
        """One learner's rows are sent by one batch at a time, in the order the batches
        were claimed (an asyncio lock wakes its waiters first come, first served)."""
        lock = self._learners.setdefault(learner_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._learners.get(learner_id) is lock:
                del self._learners[learner_id]

    async def _send(self, message: DueLearnerMessage) -> int:
        try:
            replies = await self._replies(message)
            if replies:
                await self.channel.deliver(message, replies)
        except LearnerUnreachableError as error:
            log.info("learner %s cannot be reached on %s: %s", message.learner_id, message.platform, error)
            await self._work.run(self._write_unreachable, message, describe(error))
            return 0
        except Exception as error:
            again = retry_at(message.attempts, error, self._clock())
            log.log(
                logging.WARNING if again else logging.ERROR,
                "message %s to learner %s failed (attempt %s, %s): %s",
                message.id,
                message.learner_id,
                message.attempts,
                f"next at {again:%H:%M:%S}" if again else "given up",
                describe(error),
            )
            await self._work.run(self._write_failed, message.id, describe(error), again)
            return 0
        self._sent.append(message.id)
        if len(self._sent) >= MARKED_AT_ONCE:
            await self._mark_sent()
        return 1

    async def _mark_sent(self) -> None:
        marked, self._sent = self._sent, []
        if marked:
            await self._work.run(self._write_sent, marked)

    async def _replies(self, message: DueLearnerMessage) -> tuple[Reply, ...]:
        outreach = _outreach(message)
        if outreach is None:
            return (TextReply(message.text),)
        return await self._work.run(self._reach_out, outreach)

    def _write_released(self, message_ids: list[int]) -> None:
        with self.database.transaction() as session:
            release_learner_messages(session, message_ids, self._clock())

    def _write_sent(self, message_ids: list[int]) -> None:
        with self.database.transaction() as session:
            learner_messages_sent(session, message_ids, self._clock())

    def _write_failed(self, message_id: int, error: str, again: datetime | None) -> None:
        with self.database.transaction() as session:
            learner_message_failed(session, message_id, error, again)

    def _write_unreachable(self, message: DueLearnerMessage, error: str) -> None:
        with self.database.transaction() as session:
            learner_message_failed(session, message.id, error, None)
            mark_unreachable(session, message.learner_id, self._clock())


def _outreach(message: DueLearnerMessage) -> Outreach | None:
    """What the engine words for a row of the bot's own (None: a support note, sent as written)."""
    key, platform, retaken = f"learner-message:{message.id}", Platform(message.platform), message.attempts > 1
    if message.kind == "lesson" and message.course_id and message.lesson_id:
        return ScheduledLesson(
            key, message.learner_id, platform, message.course_id, message.lesson_id, retaken
        )
    if message.kind == "reminder":
        return Reminder(key, message.learner_id, platform, retaken)
    if message.kind == "review" and message.course_id:
        return ReviewRound(key, message.learner_id, platform, message.course_id, retaken)
    if message.kind == "survey" and message.invitation_id is not None:
        return SurveyInvite(key, message.learner_id, platform, message.invitation_id, retaken)
    if message.kind == "campaign" and message.assignment_id is not None:
        return CampaignMessage(key, message.learner_id, platform, message.assignment_id, retaken)
    return None
