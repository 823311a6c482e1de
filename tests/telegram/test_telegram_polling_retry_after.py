"""Telegram's 429 on `getUpdates` says how long to wait: the poller asks again no sooner."""

from __future__ import annotations

import asyncio
import time

from bot.engine import Engine
from bot.phrases import phrase
from tests.telegram.fake_chats import ApiError, Person
from tests.telegram.harness import Learner, telegram_world

ANN = Person(51003, "Ann", "Lee", language_code="en")
RETRY_AFTER_S = 2
"""More than the poller's own first backoff (1 s), so a poller that ignores it is caught."""


def test_a_429_on_get_updates_is_waited_out_for_as_long_as_telegram_asks(engine: Engine) -> None:
    async def scenario() -> None:
        async with telegram_world(engine, "polling") as world:
            world.expect_refusals = True
            confirmed: dict[int, float] = {}

            def note(what: str, update_id: int) -> None:
                if what == "confirmed":
                    confirmed.setdefault(update_id, time.monotonic())

            world.fake.watchers.append(note)
            world.fake.fail_next(
                "getUpdates",
                ApiError(429, f"Too Many Requests: retry after {RETRY_AFTER_S}", retry_after=RETRY_AFTER_S),
            )
            ann = Learner(world, ANN)
            await ann.say("help")

            [refused] = world.fake.refused()
            assert (refused.method, refused.status) == ("getUpdates", 429)
            # The update is confirmed by the first getUpdates after the refused one (or, if
            # the refused one came before the update, by the one after that).
            [(_update_id, confirmed_at)] = confirmed.items()
            assert confirmed_at - refused.at >= RETRY_AFTER_S
            assert [m.text for m in ann.transcript() if m.from_bot] == [phrase("help", "en")]

    asyncio.run(scenario())
