"""Waiting in adapter tests until a bot has sent everything the outboxes hold.

Each running adapter's own loops send as well, so a test cannot count what one
`deliver_due` call sent; it delivers what is due itself and waits until no row is pending
(a row a loop is sending stays pending until it is marked sent)."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from sqlalchemy import func, select

from bot.delivery.outbox import LearnerOutbox
from storage.db import Database
from storage.models import HandoffDelivery, LearnerMessage


def pending(database: Database) -> int:
    with database.transaction() as session:
        to_support = session.scalar(
            select(func.count()).select_from(HandoffDelivery).where(HandoffDelivery.status == "pending")
        )
        to_learners = session.scalar(
            select(func.count()).select_from(LearnerMessage).where(LearnerMessage.status == "pending")
        )
    return (to_support or 0) + (to_learners or 0)


class Sender(Protocol):
    """A running bot (`SlackBot`, `TelegramBot`): its outboxes."""

    @property
    def learners(self) -> LearnerOutbox: ...

    async def deliver_due(self) -> int: ...


async def deliver_everything(bot: Sender, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        await bot.deliver_due()
        if await asyncio.to_thread(pending, bot.learners.database) == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError("the outboxes still hold rows that are not sent")
        await asyncio.sleep(0.05)
