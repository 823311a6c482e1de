"""Slack's one message a second per channel: a burst goes out at once, a longer run at
Slack's pace, and another channel is not held up by it."""

from __future__ import annotations

import asyncio
import time

from bot.adapters.slack.pacing import CHANNEL_BURST, ChannelPace


async def _post_times(pace: ChannelPace, posts: list[tuple[str, str]]) -> list[float]:
    started = time.monotonic()
    times: list[float] = []

    async def post(team: str, channel: str) -> None:
        async with pace.turn(team, channel):
            times.append(time.monotonic() - started)

    for team, channel in posts:
        await post(team, channel)
    return times


def test_a_burst_goes_at_once_and_the_rest_at_one_a_second() -> None:
    times = asyncio.run(_post_times(ChannelPace(), [("T1", "D1")] * (CHANNEL_BURST + 2)))
    assert max(times[:CHANNEL_BURST]) < 0.5
    assert times[CHANNEL_BURST] >= 0.9  # the sixth waits for the allowance to refill
    assert times[CHANNEL_BURST + 1] - times[CHANNEL_BURST] >= 0.9


def test_other_channels_are_not_held_up() -> None:
    busy = [("T1", "D1")] * CHANNEL_BURST
    others = [("T1", "D2"), ("T2", "D1")]  # another channel, and the same id in another workspace
    times = asyncio.run(_post_times(ChannelPace(), busy + others))
    assert max(times) < 0.5


def test_no_pace_when_lifted() -> None:
    times = asyncio.run(_post_times(ChannelPace(0), [("T1", "D1")] * 20))
    assert max(times) < 0.5
