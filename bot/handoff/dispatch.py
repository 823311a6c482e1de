"""The dispatcher: delivers hand-offs to support, from every serving process.

Each process delivers the hand-offs to the support destinations it can reach (with Slack:
the Slack channel and the webhook; with Telegram: the Telegram group and the webhook); the
messages to learners have their own outbox (`bot.delivery.outbox`). Rows are claimed in
the database (`storage.outbox`), so processes never send one row twice; a failure is
retried with a doubling backoff (or after the platform's `Retry-After`) for about a day
(`bot.delivery.retries`), and a row given up on is kept, marked `failed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.delivery.retries import describe
from bot.delivery.retries import retry_at as next_try
from storage.db import Database
from storage.handoffs import DueDelivery, HandoffCase, claim_deliveries, delivered, delivery_failed
from storage.outbox import LEASE

log = logging.getLogger(__name__)

POLL_S = 1.0
"""How often the outbox is looked at: a hand-off reaches support within about a second."""


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


class Dispatcher:
    def __init__(
        self,
        database: Database,
        destinations: Sequence[SupportDestination],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lease: timedelta = LEASE,
    ) -> None:
        self.database = database
        self.destinations = {destination.name: destination for destination in destinations}
        self.clock = clock
        self._lease = lease
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Deliver what is due, every `POLL_S`, until `stop`: a pass under way is finished,
        so a clean shutdown never leaves a sent row unmarked (to be sent again)."""
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
        """One pass over the hand-offs due; how many were delivered."""
        if not self.destinations:
            return 0
        due = await asyncio.to_thread(self._claim_deliveries)
        return sum(await asyncio.gather(*(self._deliver(delivery) for delivery in due)))

    def _claim_deliveries(self) -> list[DueDelivery]:
        with self.database.transaction() as session:
            return claim_deliveries(session, list(self.destinations), self.clock(), lease=self._lease)

    async def _deliver(self, delivery: DueDelivery) -> bool:
        destination = self.destinations[delivery.destination]
        try:
            posted = await destination.post(delivery.handoff)
        except Exception as error:
            retry_at = next_try(delivery.attempts, error, self.clock())
            log.log(
                logging.WARNING if retry_at else logging.ERROR,
                "hand-off %s to %s failed (attempt %s, %s): %s",
                delivery.handoff.id,
                delivery.destination,
                delivery.attempts,
                f"next at {retry_at:%H:%M:%S}" if retry_at else "given up",
                describe(error),
            )
            await asyncio.to_thread(self._write, delivery_failed, delivery.id, describe(error), retry_at)
            return False
        await asyncio.to_thread(
            self._write, delivered, delivery.id, posted.chat, posted.message_id, self.clock()
        )
        log.info("hand-off %s delivered to %s", delivery.handoff.id, delivery.destination)
        return True

    def _write(self, change: Callable[..., None], *arguments: object) -> None:
        with self.database.transaction() as session:
            change(session, *arguments)
