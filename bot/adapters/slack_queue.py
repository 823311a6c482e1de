"""One learner's Slack requests handled one after another, different learners side by side.

Bolt answers each request as soon as its listener returns, and the listeners here return
right after queueing the work; a learner who taps two buttons quickly must still have the
first press handled before the second. Work is chained per learner in the order the
listeners ran, which is the order the requests arrived in this process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

log = logging.getLogger(__name__)

Learner = tuple[str, str]
"""(team id, user id)"""


class LearnerQueue:
    """Work per learner, one piece after another; different learners side by side."""

    def __init__(self) -> None:
        self._last: dict[Learner, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def submit(self, learner: Learner, work: Callable[[], Awaitable[None]]) -> None:
        task = asyncio.create_task(self._after(self._last.get(learner), work))
        self._last[learner] = task
        self._running.add(task)
        task.add_done_callback(partial(self._done, learner))

    @staticmethod
    async def _after(previous: asyncio.Task[None] | None, work: Callable[[], Awaitable[None]]) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            await work()
        except Exception:
            log.exception("a Slack request could not be answered")

    def _done(self, learner: Learner, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._last.get(learner) is task:
            del self._last[learner]

    async def drained(self) -> None:
        while self._running:
            await asyncio.wait(set(self._running))
