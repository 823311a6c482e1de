"""Sending no faster than Telegram allows, and waiting out a 429 instead of dropping a message.

PTB's `AIORateLimiter` paces the whole bot and each group, but not a private chat, which
is where every Lessonloop conversation happens, and by default it gives up on the first
429. Telegram's rules (FAQ "My bot is hitting limits"): about 30 messages a second in
all, about one a second in one chat with short bursts tolerated, 20 a minute in a group.
A lesson turn sends a few messages at once, so each chat gets a small burst allowance
that refills at one message a second. A 429's `retry_after` pauses every request, as
Telegram asks, and the request is then sent again until it goes through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

OVERALL_PER_SECOND = 30.0
CHAT_BURST = 5
"""Messages one private chat may get at once before the one-a-second pace applies."""
GROUP_PER_MINUTE = 20.0
MAX_LIMITERS = 1024
"""Per-chat limiters kept before idle ones are dropped (an idle limiter has no debt)."""
RETRY_MARGIN_S = 0.1

Sender = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


class Pacing(BaseRateLimiter[None]):
    """`overall`, `chat_burst` and `group_per_minute` of 0 turn that pacing off (the
    benchmark does, to measure the software rather than Telegram's limits)."""

    def __init__(
        self,
        *,
        overall: float = OVERALL_PER_SECOND,
        chat_burst: int = CHAT_BURST,
        group_per_minute: float = GROUP_PER_MINUTE,
    ) -> None:
        self._overall = AsyncLimiter(overall, 1) if overall else None
        self._chat_burst = chat_burst
        self._group_per_minute = group_per_minute
        self._chats: dict[int | str, AsyncLimiter] = {}
        self._paused_until = 0.0
        """Event-loop time before which nothing is sent: the latest 429's `retry_after`."""

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(  # noqa: PLR0917 (PTB's signature)
        self,
        callback: Sender,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        loop = asyncio.get_running_loop()
        while True:
            async with self._chat_limiter(chat_id), self._overall_limiter(chat_id):
                # A deadline rather than a flag set by the request that was refused: that
                # request may be cancelled while it waits (a stopping poller), and the
                # pause must still end for everyone else.
                while (pause := self._paused_until - loop.time()) > 0:
                    await asyncio.sleep(pause)
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as error:
                    wait = _seconds(error.retry_after) + RETRY_MARGIN_S
                    self._paused_until = max(self._paused_until, loop.time() + wait)
                    log.warning(
                        "Telegram asked to wait %.1f s (%s); sending again after that", wait, endpoint
                    )

    def _overall_limiter(self, chat_id: object) -> AbstractAsyncContextManager[None]:
        # Only messages count towards the overall limit: answering a callback has no chat.
        if chat_id is None or self._overall is None:
            return contextlib.nullcontext()
        return self._overall

    def _chat_limiter(self, chat_id: object) -> AbstractAsyncContextManager[None]:
        if not isinstance(chat_id, int | str):
            return contextlib.nullcontext()
        with contextlib.suppress(ValueError):
            chat_id = int(chat_id)
        group = isinstance(chat_id, str) or chat_id < 0
        rate, period = (
            (self._group_per_minute, 60.0) if group else (float(self._chat_burst), float(self._chat_burst))
        )
        if not rate:
            return contextlib.nullcontext()
        limiter = self._chats.get(chat_id)
        if limiter is None:
            if len(self._chats) >= MAX_LIMITERS:
                self._forget_idle()
            limiter = self._chats[chat_id] = AsyncLimiter(rate, period)
        return limiter

    def _forget_idle(self) -> None:
        for key, limiter in list(self._chats.items()):
            if limiter.has_capacity(limiter.max_rate):
                del self._chats[key]


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
