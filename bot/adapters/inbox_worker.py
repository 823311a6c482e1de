"""Working off a platform's inbox in this process: store, acknowledge, then do the work.

`receive` stores a request (`storage.inbox`) and returns once it is committed; only then
may the adapter acknowledge it. Each learner then gets a lane, one task that takes their
entries oldest first, runs the adapter's `work` on each, and marks it done together with
whatever the work asks to save (its result, given to the adapter's `save`) in the
transaction that takes the next entry.
Learners proceed side by side; one learner's entries never overlap, here or across
processes. A background task renews this process's claims while it lives and, at start
and every third of a lease, takes over entries whose process died (never claimed, or
claimed longer ago than the lease). Stores, and finishes, that arrive while one is being
written go to the database together (`gathered_calls`): one multi-row statement instead
of one per request. Written for Slack; nothing in it is Slack's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from bot.adapters.database_work import DatabaseWork
from bot.adapters.gathered_calls import GatheredCalls
from storage import inbox
from storage.inbox import Arrival, Entry

log = logging.getLogger(__name__)

DEFAULT_LEASE_S = 30.0
KEEP_DONE = timedelta(days=1)

Saved = TypeVar("Saved")
"""What an entry's work asks to save when the entry is marked done (e.g. what it posted)."""


_LaneStep = tuple[str, tuple[Entry, Saved | None] | None, bool]
"""A lane's learner key, the entry it just finished (with what to save) and its retake_own."""


@dataclass
class _Lane:
    handed: deque[Entry] = field(default_factory=deque)
    """Entries `receive` claimed for this learner while the lane was still running."""
    pokes: int = 0
    """Bumped by `receive` for each entry it stored but left to the lane."""
    task: asyncio.Task[None] | None = None


class InboxWorker(Generic[Saved]):
    def __init__(
        self,
        database_work: DatabaseWork,
        platform: str,
        work: Callable[[Entry], Awaitable[Saved | None]],
        save: Callable[[Session, Sequence[Saved]], None],
        *,
        lease_s: float = DEFAULT_LEASE_S,
        tidy: Callable[[Session, datetime], object] | None = None,
    ) -> None:
        """`work` does an entry's work and says what to save when it is marked done; `save`
        saves that for the entries finished together, in the transaction marking them done;
        `tidy` deletes the adapter's old rows, in the periodic transaction. Storing is
        urgent work: the acknowledgement waits for it, so it must not queue behind the
        engine's."""
        self._database_work = database_work
        self._database = database_work.database
        self.platform = platform
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = timedelta(seconds=lease_s)
        self._work = work
        self._save = save
        self._tidy = tidy
        self._lanes: dict[str, _Lane] = {}
        self._storing: dict[str, int] = {}
        """Learners with a `receive` between its store and its look at the lanes: the entry
        it may have claimed has no lane yet, and is not the keeper's to take over."""
        self._keeper: asyncio.Task[None] | None = None
        self._store = GatheredCalls(self._store_all)
        self._finish_and_take = GatheredCalls(self._finish_all)

    def start(self) -> None:
        """Begin renewing claims and taking over what dead processes left (now, then
        every third of a lease)."""
        self._keeper = asyncio.create_task(self._keep())

    async def receive(self, arrival: Arrival) -> bool:
        """Store `arrival` (committed when this returns) and see that it gets worked on;
        False for a duplicate, which is dropped."""
        key = arrival.learner_key
        self._storing[key] = self._storing.get(key, 0) + 1
        try:
            stored, taken = await self._store(arrival)
        finally:
            self._storing[key] -= 1
            if not self._storing[key]:
                del self._storing[key]
        if stored:
            lane = self._lanes.get(key)
            if lane is None:
                if taken is not None:
                    self._open_lane(key, taken)
            elif taken is not None:
                lane.handed.append(taken)
            else:
                lane.pokes += 1
        return stored

    async def drained(self) -> None:
        """Return once no lane of this process has work left."""
        while self._lanes:
            await asyncio.wait([lane.task for lane in self._lanes.values() if lane.task is not None])

    async def close(self) -> None:
        """Finish the work in hand; what is left waiting goes to the next process."""
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
        await self.drained()

    # --- the lanes ---------------------------------------------------------------------

    def _open_lane(self, learner_key: str, first: Entry | None, *, retake_own: bool = False) -> None:
        lane = _Lane()
        self._lanes[learner_key] = lane
        lane.task = asyncio.create_task(self._run_lane(learner_key, lane, first, retake_own))

    async def _run_lane(self, learner_key: str, lane: _Lane, entry: Entry | None, retake_own: bool) -> None:
        """`retake_own`: this process's claims on the learner's entries have no lane working
        on them any more (one failed), so the first take may take them again."""
        finished: tuple[Entry, Saved | None] | None = None
        try:
            while True:
                if entry is None:
                    seen = lane.pokes
                    entry = await self._finish_and_take((learner_key, finished, retake_own))
                    finished, retake_own = None, False
                    if entry is None and lane.handed:
                        entry = lane.handed.popleft()
                    if entry is None:
                        if lane.pokes == seen:
                            return
                        continue
                finished = (entry, await self._attempt(entry))
                entry = None
        except Exception:
            # The database is unreachable: the claims lapse and the entries are taken over.
            log.exception("the %s inbox of a learner stopped; its entries wait for a retry", self.platform)
        finally:
            del self._lanes[learner_key]

    async def _attempt(self, entry: Entry) -> Saved | None:
        try:
            return await self._work(entry)
        except Exception:
            log.exception("%s event %s could not be answered", self.platform, entry.event_id)
            return None

    async def _store_all(self, arrivals: Sequence[Arrival]) -> list[tuple[bool, Entry | None]]:
        return await self._database_work.run_urgent(self._store_and_take_all, arrivals)

    def _store_and_take_all(self, arrivals: Sequence[Arrival]) -> list[tuple[bool, Entry | None]]:
        with self._database.transaction() as session:
            return inbox.store_and_take_all(
                session, arrivals, worker=self.worker, now=datetime.now(UTC), lease=self.lease
            )

    async def _finish_all(self, work: Sequence[_LaneStep[Saved]]) -> list[Entry | None]:
        return await self._database_work.run(self._finish_and_take_all, work)

    def _finish_and_take_all(self, work: Sequence[_LaneStep[Saved]]) -> list[Entry | None]:
        """Mark the finished entries done, with what their work asked to save, and take
        each learner's next entry."""
        with self._database.transaction() as session:
            saved = [finished[1] for _key, finished, _retake in work if finished and finished[1] is not None]
            if saved:
                self._save(session, saved)
            return inbox.finish_and_take_all(
                session,
                self.platform,
                [
                    (learner_key, finished[0] if finished is not None else None, retake_own)
                    for learner_key, finished, retake_own in work
                ],
                worker=self.worker,
                now=datetime.now(UTC),
                lease=self.lease,
            )

    # --- keeping claims alive, taking over the dead's --------------------------------

    async def _keep(self) -> None:
        interval = self.lease.total_seconds() / 3
        while True:
            try:
                waiting = await self._database_work.run_urgent(self._renew_and_find_waiting)
                for learner_key in waiting:
                    # A claim this process just made in `receive` is its own, not a dead one:
                    # the keeper's answer can come back before the store's does.
                    if learner_key not in self._lanes and learner_key not in self._storing:
                        log.info("taking over %s entries of %s", self.platform, learner_key)
                        self._open_lane(learner_key, None, retake_own=True)
            except Exception:
                log.exception("renewing the %s inbox's claims failed; retrying", self.platform)
            await asyncio.sleep(interval)

    def _renew_and_find_waiting(self) -> list[str]:
        with self._database.transaction() as session:
            now = datetime.now(UTC)
            inbox.renew_claims(session, self.worker, now)
            inbox.forget_done_before(session, self.platform, now - KEEP_DONE)
            if self._tidy is not None:
                self._tidy(session, now)
            return inbox.learners_waiting(
                session, self.platform, worker=self.worker, now=now, lease=self.lease
            )
