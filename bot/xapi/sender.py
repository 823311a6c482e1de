"""Sending every new learning record to the company's LRS as it happens, from `serve`.

Each round queues the records not queued yet (`storage.lrs_deliveries`), claims a batch
and posts its statements in one request. Stored: sent. Not taken now (the LRS away, a 5xx,
a 429, our credentials refused): the whole batch is due again after a doubling backoff
(or the LRS's Retry-After), for as long as it takes: an LRS down for a weekend loses
nothing. Refused for what the statements say (a 400 or 422 rejects the whole request):
the batch is halved until the statements at fault are alone; those are `failed`, with
the LRS's answer kept for the operator (`lessonloop xapi status`), and the others go. A
statement id is fixed by its record, so what a crash sends twice the LRS keeps once (a
409, a different statement under an id it has, means it has the record: sent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.adapters.database_work import DatabaseWork
from bot.delivery.retries import backoff
from bot.xapi.export import StatementExport
from bot.xapi.lrs import LrsClient, LrsUnavailableError, StatementsRefusedError
from bot.xapi.statements import Statement
from storage.lrs_deliveries import (
    ClaimedDelivery,
    claim_deliveries,
    deliveries_retried,
    deliveries_sent,
    delivery_failed,
    queue_new_records,
)
from storage.outbox import LEASE

log = logging.getLogger(__name__)

POLL_S = 2.0
"""How often new records are looked for while the outbox is empty."""
BATCH = 100
"""Statements per request: Ralph and most LRSs take far more, but a refused batch is
halved until the culprit is alone, so a smaller one costs fewer requests then."""
CONFLICT = 409


@dataclass
class _Outcome:
    sent: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    error: str = ""
    retry_after: float | None = None


class LrsSender:
    def __init__(
        self,
        work: DatabaseWork,
        lrs: LrsClient,
        statements: Callable[[], StatementExport],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lease: timedelta = LEASE,
        batch: int = BATCH,
    ) -> None:
        """`statements` words them with the content as it is when they are sent."""
        self.database = work.database
        self._work = work
        self.lrs = lrs
        """Open (`async with`) while `run` runs; a caller of `send_due` opens it itself."""
        self.endpoint = lrs.endpoint
        self._statements = statements
        self._clock = clock
        self._lease = lease
        self._batch = batch
        self._stopping = asyncio.Event()

    async def run(self, poll_s: float = POLL_S) -> None:
        """Send until `stop`, a full batch after another, then every `poll_s`."""
        async with self.lrs:
            while not self._stopping.is_set():
                try:
                    claimed = await self.send_due()
                except Exception:  # the database away for a moment must not stop the loop
                    log.exception("the outbox to the LRS could not be read")
                    claimed = 0
                if claimed < self._batch:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), poll_s)

    def stop(self) -> None:
        self._stopping.set()

    async def send_due(self) -> int:
        """Queue the new records and send one batch of what is due; how many were claimed."""
        now = self._clock()
        claimed = await self._work.run(self._claim, now)
        if not claimed:
            return 0
        outcome = _Outcome()
        try:
            worded = await self._work.run(self._word, claimed)
            gone = [delivery for delivery in claimed if delivery.id not in worded]
            outcome.failed += [
                (delivery.id, "the record is gone (its learner was deleted)") for delivery in gone
            ]
            await self._post(
                [(delivery, worded[delivery.id]) for delivery in claimed if delivery.id in worded], outcome
            )
        except LrsUnavailableError as error:
            outcome.error, outcome.retry_after = str(error), error.retry_after
        except Exception as error:  # a statement that cannot be worded: retried, and said
            log.exception("statements for the LRS could not be worded")
            outcome.error = f"{type(error).__name__}: {error}"
        done = set(outcome.sent) | {delivery_id for delivery_id, _ in outcome.failed}
        outcome.retry = [delivery.id for delivery in claimed if delivery.id not in done]
        await self._work.run(self._write, outcome, claimed, self._clock())
        return len(claimed)

    async def _post(self, batch: list[tuple[ClaimedDelivery, Statement]], outcome: _Outcome) -> None:
        if not batch:
            return
        try:
            await self.lrs.post([statement for _, statement in batch])
        except StatementsRefusedError as refused:
            if len(batch) > 1:
                half = len(batch) // 2
                await self._post(batch[:half], outcome)
                await self._post(batch[half:], outcome)
            elif refused.status == CONFLICT:
                outcome.sent.append(batch[0][0].id)
            else:
                delivery, statement = batch[0]
                log.error("the LRS refused statement %s (%s): %s", statement.id, delivery.record, refused)
                outcome.failed.append((delivery.id, f"the LRS refused it with {refused}"))
            return
        outcome.sent += [delivery.id for delivery, _ in batch]

    def _claim(self, now: datetime) -> list[ClaimedDelivery]:
        with self.database.transaction() as session:
            queue_new_records(session, now)
        with self.database.transaction() as session:
            return claim_deliveries(session, now, self._batch, lease=self._lease)

    def _word(self, claimed: list[ClaimedDelivery]) -> dict[int, Statement]:
        found = self._statements().of_records(delivery.record for delivery in claimed)
        return {delivery.id: found[delivery.record] for delivery in claimed if delivery.record in found}

    def _write(self, outcome: _Outcome, claimed: list[ClaimedDelivery], now: datetime) -> None:
        with self.database.transaction() as session:
            deliveries_sent(session, outcome.sent, now)
            for delivery_id, reason in outcome.failed:
                delivery_failed(session, delivery_id, reason, now)
            if outcome.retry:
                attempts = max(delivery.attempts for delivery in claimed if delivery.id in set(outcome.retry))
                wait = (
                    backoff(attempts)
                    if outcome.retry_after is None
                    else timedelta(seconds=outcome.retry_after)
                )
                deliveries_retried(session, outcome.retry, outcome.error, now + wait, now)
                log.warning(
                    "%s statement(s) wait for the LRS until %s: %s",
                    len(outcome.retry),
                    f"{now + wait:%H:%M:%S}",
                    outcome.error,
                )
