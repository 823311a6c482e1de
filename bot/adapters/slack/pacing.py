"""Sending to one Slack channel no faster than Slack allows.

Slack's rule for `chat.postMessage` is about one message a second per channel, with short
bursts tolerated; beyond it Slack answers 429, which slack_sdk's retry handler waits out
(`web_api.retry_handlers`). A lesson turn posts a few messages at once, and the outbox may
send a learner several rows in a row, so each channel gets a small burst allowance that
refills at one message a second: a burst goes out at once, a long run at Slack's pace, and
no 429 is provoked. Other channels are not held up.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractAsyncContextManager

from aiolimiter import AsyncLimiter

CHANNEL_BURST = 5
"""Messages one channel may get at once before the one-a-second pace applies."""
MAX_LIMITERS = 1024
"""Per-channel limiters kept before idle ones are dropped (an idle limiter has no debt)."""


class ChannelPace:
    """`burst` of 0 turns the pacing off (a benchmark of the software, not of Slack)."""

    def __init__(self, burst: int = CHANNEL_BURST) -> None:
        self._burst = burst
        self._channels: dict[tuple[str, str], AsyncLimiter] = {}

    def turn(self, team: str, channel: str) -> AbstractAsyncContextManager[None]:
        """Hold this for one call that posts a message in `channel` (rewriting one, `chat.update`,
        is limited per workspace, not per channel)."""
        if not self._burst:
            return contextlib.nullcontext()
        key = (team, channel)
        limiter = self._channels.get(key)
        if limiter is None:
            if len(self._channels) >= MAX_LIMITERS:
                self._forget_idle()
            limiter = self._channels[key] = AsyncLimiter(self._burst, self._burst)
        return limiter

    def _forget_idle(self) -> None:
        for key, limiter in list(self._channels.items()):
            if limiter.has_capacity(limiter.max_rate):
                del self._channels[key]
