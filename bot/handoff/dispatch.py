"""The dispatcher: sends what the two outboxes hold, from every `lessonloop run` process.

Each process delivers the hand-offs to the support destinations it can reach (a Slack
process: the Slack channel and the webhook; a Telegram process: the Telegram group and the
webhook) and the messages to learners of the platform it serves. Rows are claimed in the
database (`storage.outbox`), so processes never send one row twice; a failure is retried
with a doubling backoff (or after the platform's `Retry-After`) for about a day, and a
row given up on is kept, marked `failed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from storage.db import Database
from storage.handoffs import DueDelivery, HandoffCase, claim_deliveries, delivered, delivery_failed
from storage.learner_messages import (
    DueLearnerMessage,
    claim_learner_messages,
    learner_message_failed,
    learner_message_sent,
)

log = logging.getLogger(__name__)

POLL_S = 1.0
"""How often the outboxes are looked at: a hand-off reaches support within about a second."""
MAX_BACKOFF = timedelta(hours=1)
MAX_ATTEMPTS = 36
"""About a day of retries (2 s doubling to an hour): then the row is `failed`, kept for a
person to look at (a learner who blocked the bot, a channel the app was removed from)."""


class DeliveryRefusedError(Exception):
    """A platform or receiver did not take the message; `retry_after` if it said when to retry."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Posted:
    """Where a hand-off landed: how the platform will refer to it in a reply or a press."""

    chat: str
    message_id: str


class SupportDestination(Protocol):
    """A place support reads hand-offs: the Slack channel, the Telegram group, the webhook."""

    @property
    def name(self) -> str: ...

    async def post(self, case: HandoffCase) -> Posted: ...


class LearnerChannel(Protocol):
    """How a process reaches the learners of the platform it serves."""

    @property
    def platform(self) -> str: ...

    async def send(self, message: DueLearnerMessage) -> None: ...


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 ... seconds after the 1st, 2nd, 3rd ... failure, at most an hour."""
    return min(timedelta(seconds=2**attempts), MAX_BACKOFF)


class Dispatcher:
    def __init__(
        self,
        database: Database,
        destinations: Sequence[SupportDestination],
        learners: LearnerChannel | None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.destinations = {destination.name: destination for destination in destinations}
        self.learners = learners
        self.clock = clock
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Deliver what is due, every `POLL_S`, until `stop`: a pass under way is finished,
        so a clean shutdown never leaves a sent row unmarked (to be sent again)."""
        self._stopping.clear()
        while not self._stopping.is_set():
            try:
                await self.deliver_due()
            except Exception:  # the database away for a moment must not stop the loop
                log.exception("the hand-off dispatcher could not read its outboxes")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), POLL_S)

    def stop(self) -> None:
        self._stopping.set()

    async def deliver_due(self) -> int:
        """One pass over both outboxes; how many rows were sent."""
        sent = 0
        if self.destinations:
            due = await asyncio.to_thread(self._claim_deliveries)
            results = await asyncio.gather(*(self._deliver(delivery) for delivery in due))
            sent += sum(results)
        if self.learners is not None:
            messages = await asyncio.to_thread(self._claim_learner_messages, self.learners.platform)
            for message in messages:  # in order: a reply before the "resolved" note after it
                sent += await self._send_to_learner(self.learners, message)
        return sent

    def _claim_deliveries(self) -> list[DueDelivery]:
        with self.database.transaction() as session:
            return claim_deliveries(session, list(self.destinations), self.clock())

    def _claim_learner_messages(self, platform: str) -> list[DueLearnerMessage]:
        with self.database.transaction() as session:
            return claim_learner_messages(session, platform, self.clock())

    async def _deliver(self, delivery: DueDelivery) -> bool:
        destination = self.destinations[delivery.destination]
        try:
            posted = await destination.post(delivery.handoff)
        except Exception as error:
            retry_at = self._retry_at(delivery.attempts, error)
            log.log(
                logging.WARNING if retry_at else logging.ERROR,
                "hand-off %s to %s failed (attempt %s, %s): %s",
                delivery.handoff.id,
                delivery.destination,
                delivery.attempts,
                f"next at {retry_at:%H:%M:%S}" if retry_at else "given up",
                _describe(error),
            )
            await asyncio.to_thread(self._write, delivery_failed, delivery.id, _describe(error), retry_at)
            return False
        await asyncio.to_thread(
            self._write, delivered, delivery.id, posted.chat, posted.message_id, self.clock()
        )
        log.info("hand-off %s delivered to %s", delivery.handoff.id, delivery.destination)
        return True

    async def _send_to_learner(self, channel: LearnerChannel, message: DueLearnerMessage) -> bool:
        try:
            await channel.send(message)
        except Exception as error:
            retry_at = self._retry_at(message.attempts, error)
            log.log(
                logging.WARNING if retry_at else logging.ERROR,
                "message %s to learner %s failed (attempt %s, %s): %s",
                message.id,
                message.learner_id,
                message.attempts,
                f"next at {retry_at:%H:%M:%S}" if retry_at else "given up",
                _describe(error),
            )
            await asyncio.to_thread(
                self._write, learner_message_failed, message.id, _describe(error), retry_at
            )
            return False
        await asyncio.to_thread(self._write, learner_message_sent, message.id, self.clock())
        return True

    def _retry_at(self, attempts: int, error: Exception) -> datetime | None:
        """When to try again; None after `MAX_ATTEMPTS`."""
        if attempts >= MAX_ATTEMPTS:
            return None
        wait = backoff(attempts)
        if isinstance(error, DeliveryRefusedError) and error.retry_after is not None:
            wait = timedelta(seconds=error.retry_after)
        return self.clock() + wait

    def _write(self, change: Callable[..., None], *arguments: object) -> None:
        with self.database.transaction() as session:
            change(session, *arguments)


def _describe(error: Exception) -> str:
    """What went wrong, for the log and `last_error`: our own words for a refusal, else the
    error's class and message (neither the webhook secret nor a token is ever part of one)."""
    if isinstance(error, DeliveryRefusedError):
        return str(error)
    return f"{type(error).__name__}: {error}"
