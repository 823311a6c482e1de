"""The event loop a serving process runs on: uvloop's where it is installed (every
platform but Windows), asyncio's own elsewhere.

A serving process spends most of its time on the event loop's side of sending and
receiving HTTP (the Bot API, Slack's Web API, webhooks), and uvloop does that part in C:
the outbox sends more messages a second on one core (README's broadcast rows).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

new_loop: Callable[[], asyncio.AbstractEventLoop] | None
try:
    from uvloop import new_event_loop as new_loop
except ImportError:  # not built for this platform: asyncio's own loop does the same, slower
    new_loop = None

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, on the faster loop where there is one."""
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(main)
