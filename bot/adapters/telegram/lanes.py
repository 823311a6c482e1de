"""Each learner's work in order, different learners side by side.

An update is handled in two stages. The engine stage (turning the update into an event
and running the engine's transaction) holds the learner's `turn` lock, so a learner's
updates reach the engine in the order Telegram sent them. Sending the replies is then
queued on the learner's lane and the update counts as stored: the polling offset can move
and a webhook can answer 200 without waiting for Telegram to take every message, which
under the one-message-a-second pace of a chat can take seconds. A lane runs its jobs one
after another, so replies never overtake each other, nor what the outbox sends the learner
(`run`): a scheduled message worded after a turn comes after that turn's replies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import TypeVar

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
OnError = Callable[[Exception], Awaitable[None]]
Result = TypeVar("Result")


class Lanes:
    def __init__(self, on_error: OnError) -> None:
        self._on_error = on_error
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self._last: dict[int, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def turn(self, learner: int | None) -> AsyncIterator[None]:
        """Hold the learner's engine stage. asyncio locks wake waiters in arrival order,
        so updates run in the order they reached this call."""
        if learner is None:
            yield
            return
        lock, users = self._locks.get(learner, (asyncio.Lock(), 0))
        self._locks[learner] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[learner]
            if users == 1:
                del self._locks[learner]
            else:
                self._locks[learner] = (lock, users - 1)

    def submit(self, learner: int, job: Job) -> None:
        """Run `job` after the learner's earlier jobs."""
        task = asyncio.create_task(self._after(self._last.get(learner), job))
        self._last[learner] = task
        self._running.add(task)
        task.add_done_callback(partial(self._done, learner))

    async def run(self, learner: int, job: Callable[[], Awaitable[Result]]) -> Result:
        """Run `job` after the learner's earlier jobs and return what it returns (or raise
        what it raised), for a caller who must know how the sending went."""
        outcome: asyncio.Future[Result] = asyncio.get_running_loop().create_future()

        async def reporting() -> None:
            try:
                result = await job()
            except Exception as error:
                if not outcome.done():  # the caller may have stopped waiting
                    outcome.set_exception(error)
            else:
                if not outcome.done():
                    outcome.set_result(result)

        self.submit(learner, reporting)
        return await outcome

    async def _after(self, previous: asyncio.Task[None] | None, job: Job) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            await job()
        except Exception as error:  # one learner's failure must not stop the others
            await self._on_error(error)

    def _done(self, learner: int, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._last.get(learner) is task:
            del self._last[learner]

    async def drained(self, learner: int | None = None) -> None:
        """Return once the learner's queued jobs (everyone's, without `learner`) are done."""
        while True:
            waiting = {self._last[learner]} if learner in self._last else set()
            if learner is None:
                waiting = set(self._running)
            if not waiting:
                return
            await asyncio.wait(waiting)
