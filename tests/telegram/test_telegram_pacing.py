"""Pacing waits out Telegram's 429s for every request, whatever happens to the one refused."""

from __future__ import annotations

import asyncio
import time

from telegram.error import RetryAfter

from bot.adapters.telegram.pacing import Pacing


def test_the_pause_after_a_429_ends_even_when_the_refused_request_is_cancelled() -> None:
    """A poller stopping during a pause cancels its refused `getUpdates`; the replies queued
    behind the pause must still go out once it is over, not wait for ever."""

    async def refused() -> bool:
        raise RetryAfter(1)

    async def accepted() -> bool:
        return True

    async def scenario() -> None:
        pacing = Pacing(overall=0, chat_burst=0)
        started = time.monotonic()
        poll = asyncio.create_task(pacing.process_request(refused, (), {}, "getUpdates", {}, None))
        await asyncio.sleep(0.1)  # refused: everything now waits a second
        reply = asyncio.create_task(
            pacing.process_request(accepted, (), {}, "sendMessage", {"chat_id": 51002}, None)
        )
        poll.cancel()
        assert await asyncio.wait_for(reply, timeout=5) is True
        assert time.monotonic() - started >= 1  # still after the pause Telegram asked for

    asyncio.run(scenario())
