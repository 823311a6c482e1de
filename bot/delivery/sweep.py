"""The periodic jobs: every few seconds, what has fallen due (lessons, reminders, review
rounds, surveys) moves into the outbox; every minute, triggered campaigns choose the
learners whose trigger has fired.

APScheduler 3 runs it in each serving process, from memory (no job store: its job stores
must never be shared between schedulers). Several processes sweeping at once is harmless:
each batch claims its enrolments in the database (`storage.due_lessons`), so a lesson is
queued once whichever process takes it; one process's runs never overlap (`max_instances`),
and runs missed while it was busy or asleep collapse into one (`coalesce`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.orm import Session

from storage.db import Database
from storage.due_lessons import BATCH, queue_due_lessons
from storage.due_reminders import queue_due_reminders
from storage.review_items import queue_due_reviews
from storage.survey_invitations import queue_due_invitations

log = logging.getLogger(__name__)

EVERY_S = 5.0
"""How often due lessons are looked for: a lesson goes out within seconds of its time."""

Queue = Callable[[Session, datetime, int], int]
QUEUES: tuple[Queue, ...] = (queue_due_lessons, queue_due_reminders, queue_due_reviews, queue_due_invitations)
"""Everything the bot says first, each moved into the outbox by its own claims."""


TRIGGERS_EVERY_S = 60.0
"""How often triggered campaigns look for learners newly qualified: a look at the whole
segment, so less often than the due lessons (a trigger counts days, not seconds)."""


class DueSweep:
    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        campaign_triggers: Callable[[], int] | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._campaign_triggers = campaign_triggers
        self._scheduler: AsyncIOScheduler | None = None

    def sweep(self) -> int:
        """Queue everything due now, batch by batch (each its own transaction); how many
        lessons, reminders, reviewed questions and surveys."""
        now, total = self._clock(), 0
        for queue in QUEUES:
            while True:
                with self._database.transaction() as session:
                    moved = queue(session, now, BATCH)
                total += moved
                if moved < BATCH:
                    break
        if total:
            log.info("%s due lessons, reminders, reviews and surveys queued", total)
        return total

    async def sweep_now(self) -> int:
        return await asyncio.to_thread(self.sweep)

    def start(self, every_s: float = EVERY_S) -> None:
        """Sweep every `every_s` seconds on the running event loop, from now on."""
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduler.add_job(
            self._run,
            "interval",
            seconds=every_s,
            id="due-lessons",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(every_s * 10)),
            next_run_time=datetime.now(UTC),
        )
        if self._campaign_triggers is not None:
            self._scheduler.add_job(
                self._run_triggers,
                "interval",
                seconds=max(every_s, TRIGGERS_EVERY_S),
                id="campaign-triggers",
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                next_run_time=datetime.now(UTC),
            )
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    async def _run_triggers(self) -> None:
        assert self._campaign_triggers is not None
        try:
            await asyncio.to_thread(self._campaign_triggers)
        except Exception:  # the next run tries again
            log.exception("the triggered campaigns could not choose their learners")

    async def _run(self) -> None:
        try:
            await self.sweep_now()
        except Exception:  # the database away for a moment: the next run tries again
            log.exception("the sweep of due lessons failed")
