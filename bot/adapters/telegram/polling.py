"""Long polling that neither loses nor repeats an update across a restart.

Telegram forgets an update as soon as `getUpdates` is called with an offset past it, and
PTB's own `Updater` makes that call right after fetching a batch, before its handlers
have run: a crash then loses the batch. Here a batch is stored in the inbox first
(`TelegramBot.store`), the next offset is stored in the database, and only then does the
next `getUpdates` confirm the batch to Telegram. After a crash the stored offset fetches
the unconfirmed batch again; the inbox drops the updates it already has.

Updates are parsed one by one from the raw JSON: PTB parses a whole batch at once, and
one update it cannot read (a field a newer Bot API dropped) would otherwise stop the bot
for good. Such an update is logged and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.adapters.database_work import DatabaseWork
from bot.adapters.telegram.events import ALLOWED_UPDATES
from storage.platform_state import read_cursor, write_cursor

log = logging.getLogger(__name__)

PLATFORM = "telegram"
CURSOR = "update_offset"
LONG_POLL_S = 25
"""How long Telegram may hold a `getUpdates` open when there is nothing new."""
BATCH = 100
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
RETRY_MARGIN_S = 0.1

Handle = Callable[[Update], Awaitable[None]]


class PollingBot(ExtBot[None]):
    """PTB's bot, with a `getUpdates` that leaves parsing to the caller, and `call` for the
    sends whose answer needs no PTB object (`delivery`)."""

    async def call(self, endpoint: str, data: dict[str, Any]) -> Any:
        """One Bot API method through PTB's request path (pacing, retries, errors), its
        result as Telegram's JSON: building a `Message` from each answer cost more than
        sending it (measured with bench/telegram.py)."""
        return await self._post(endpoint, data)

    async def raw_updates(self, offset: int | None, timeout: int) -> list[Any]:
        data = {
            "offset": offset,
            "timeout": timeout,
            "limit": BATCH,
            "allowed_updates": list(ALLOWED_UPDATES),
        }
        result = await self._post("getUpdates", data, read_timeout=timeout + 10)
        return list(result) if isinstance(result, list) else []


class Poller:
    def __init__(
        self, bot: PollingBot, threads: DatabaseWork, handle: Handle, *, timeout: int = LONG_POLL_S
    ) -> None:
        self.bot = bot
        self.threads = threads
        self.database = threads.database
        self.handle = handle
        self.timeout = timeout

    async def run(self, stopping: asyncio.Event) -> None:
        """Fetch and handle batches until `stopping` is set; the batch in hand is finished."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        offset = await self.threads.run(self._load_offset)
        failures = 0
        while not stopping.is_set():
            fetch = asyncio.create_task(self.bot.raw_updates(offset, self.timeout))
            stop = asyncio.create_task(stopping.wait())
            await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if not fetch.done():
                fetch.cancel()
                await asyncio.gather(fetch, return_exceptions=True)
                return
            try:
                raw = fetch.result()
            except InvalidToken:
                raise
            except RetryAfter as error:
                # getUpdates bypasses the rate limiter (PTB's rule), so `Pacing` never sees
                # this 429: the wait Telegram asks for is kept here.
                pause = _seconds(error.retry_after) + RETRY_MARGIN_S
                log.warning("getUpdates refused with 429; asking again in %.1f s, as Telegram asks", pause)
                await _sleep_unless(stopping, pause)
                continue
            except (Conflict, NetworkError, TelegramError) as error:
                pause = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                log.warning("getUpdates failed (%s); trying again in %.0f s", error, pause)
                await _sleep_unless(stopping, pause)
                continue
            failures = 0
            if raw:
                offset = await self._handle_batch(raw)

    async def _handle_batch(self, raw: list[Any]) -> int:
        updates = []
        for item in raw:
            try:
                updates.append(Update.de_json(item, self.bot))
            except Exception:
                log.exception("skipping update %s, which could not be read: %.500r", _update_id(item), item)
        await asyncio.gather(*(self.handle(update) for update in updates))
        offset = max(_update_id(item) for item in raw) + 1
        await self.threads.run_urgent(self._save_offset, offset)  # the next getUpdates waits for it
        return offset

    def _load_offset(self) -> int | None:
        with self.database.transaction() as session:
            stored = read_cursor(session, PLATFORM, CURSOR)
        return int(stored) if stored else None

    def _save_offset(self, offset: int) -> None:
        with self.database.transaction() as session:
            write_cursor(session, PLATFORM, CURSOR, str(offset), datetime.now(UTC))


def _update_id(item: Any) -> int:
    return int(item.get("update_id", -1)) if isinstance(item, dict) else -1


def _seconds(retry_after: int | timedelta) -> float:
    """`RetryAfter.retry_after` is seconds, or a timedelta with PTB_TIMEDELTA=1."""
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


async def _sleep_unless(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
