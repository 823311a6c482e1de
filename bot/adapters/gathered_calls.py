"""Calls that arrive while one is in flight wait, and then go together as one.

Storing a request in the inbox, or finishing one, is a few statements; under load dozens
of them arrive at once, and SQLAlchemy spends more per statement than SQLite does. Sent
together, they cost one multi-row statement instead of one each. Nobody waits for company:
a call made while nothing is in flight starts at once; only those made during it wait
for the next round. If a round fails, each of its calls is tried again on its own, so one
bad item fails only its own caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GatheredCalls(Generic[Item, Result]):
    def __init__(self, run_all: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]]) -> None:
        """`run_all(items)` returns one result per item, in order."""
        self._run_all = run_all
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._rounds: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._rounds is None:
            self._rounds = asyncio.create_task(self._run_rounds())
        return await future

    async def _run_rounds(self) -> None:
        try:
            while self._waiting:
                calls, self._waiting = self._waiting, []
                await self._run_round(calls)
        finally:
            self._rounds = None

    async def _run_round(self, calls: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._run_all([item for item, _future in calls])
        except Exception as error:
            if len(calls) == 1:
                _fail(calls[0][1], error)
                return
            for call in calls:
                await self._run_round([call])
            return
        for (_item, future), result in zip(calls, results, strict=True):
            _answer(future, result)


def _fail(future: asyncio.Future[Result], error: Exception) -> None:
    if not future.done():  # done: the caller stopped waiting
        future.set_exception(error)


def _answer(future: asyncio.Future[Result], result: Result) -> None:
    if not future.done():
        future.set_result(result)
