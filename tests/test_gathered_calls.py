"""`GatheredCalls`: what arrives while a round is in flight goes together in the next."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.adapters.gathered_calls import GatheredCalls


class BadItemError(Exception):
    pass


class Recorder:
    """A `run_all` that doubles numbers, refuses 13, and records every round it ran."""

    def __init__(self) -> None:
        self.rounds: list[list[int]] = []
        self.release = asyncio.Event()

    async def __call__(self, items: Sequence[int]) -> list[int]:
        self.rounds.append(list(items))
        await self.release.wait()
        if 13 in items:
            raise BadItemError
        return [item * 2 for item in items]


def test_calls_made_during_a_round_go_together_in_the_next() -> None:
    async def scenario() -> None:
        recorder = Recorder()
        gathered = GatheredCalls(recorder)
        first = asyncio.ensure_future(gathered(1))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        later = [asyncio.ensure_future(gathered(number)) for number in (2, 3, 4)]
        recorder.release.set()
        assert await first == 2
        assert await asyncio.gather(*later) == [4, 6, 8]
        assert recorder.rounds == [[1], [2, 3, 4]]
        assert await gathered(5) == 10  # nothing in flight: a round of its own at once
        assert recorder.rounds[-1] == [5]

    asyncio.run(scenario())


def test_a_failing_round_is_retried_one_by_one_and_only_the_bad_item_fails() -> None:
    async def scenario() -> None:
        recorder = Recorder()
        recorder.release.set()
        gathered = GatheredCalls(recorder)
        results = await asyncio.gather(gathered(1), gathered(13), gathered(3), return_exceptions=True)
        assert results[0] == 2
        assert results[2] == 6
        assert isinstance(results[1], BadItemError)
        assert recorder.rounds == [[1, 13, 3], [1], [13], [3]]
        with pytest.raises(BadItemError):
            await gathered(13)

    asyncio.run(scenario())
