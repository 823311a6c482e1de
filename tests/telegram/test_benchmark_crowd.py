"""The benchmark's learners (bench/telegram.py) against the real adapter: one who presses a
tick whose only answer is an edit Telegram refuses must still act again.

The path the benchmark once hung on: a learner who pressed a stale button is shown the
multiple-answer question again, which leaves two copies of it on screen with working
buttons (the prompt is reused). A tick pressed on the older copy is shown there; the same
option pressed on the newer copy then takes the tick away, and the edit of the newer copy
to the engine's selection, nothing ticked, is what it already shows: Telegram refuses it
as "not modified" and nothing else is sent. Here `resume` makes the second copy.
"""

from __future__ import annotations

import asyncio

from bench.telegram import FIRST_ID, Crowd
from bot.engine import Engine
from tests.telegram.fake_bot_api import FakeTelegram
from tests.telegram.fake_chats import ChatMessage, Person
from tests.telegram.harness import Learner, telegram_world
from tests.telegram.test_telegram_course import WALK

LEARNER = Person(FIRST_ID, "Learner0", language_code="en")
"""The person the benchmark's first learner is."""
TO_THE_TICK_BOXES = WALK[: WALK.index(("poll", "Workload")) + 1]


def _tick_boxes(learner: Learner) -> list[ChatMessage]:
    return [m for m in learner.transcript() if any(b.text.startswith("⬜") for b in m.buttons)]


async def _next_update(fake: FakeTelegram, after: int) -> int:
    """The id of the first update pushed after `after` (the crowd's own bookkeeping of it
    is gone again as soon as the bot confirms it)."""
    while max(fake.updates) <= after:
        await asyncio.sleep(0.01)
    return min(update_id for update_id in fake.updates if update_id > after)


def test_a_benchmark_learner_acts_again_after_an_edit_telegram_refused(engine: Engine) -> None:
    async def scenario() -> None:
        async with telegram_world(engine, "polling") as world:
            fake = world.fake
            learner = Learner(world, LEARNER)
            for action, what in TO_THE_TICK_BOXES:
                if action == "say":
                    await learner.say(what)
                elif action == "press":
                    await learner.press(what)
                else:
                    await learner.answer_poll(what)
            await learner.say("resume")
            older, newer = _tick_boxes(learner)
            first = older.buttons[0]
            assert first.callback_data == newer.buttons[0].callback_data  # one prompt, two copies
            ticked = await fake.press(LEARNER, older.message_id, str(first.callback_data))
            await fake.handled(ticked)
            await world.bot.drained()
            assert fake.chats.find(LEARNER.id, older.message_id).buttons[0].text.startswith("☑️")

            crowd = Crowd(fake, 1, 1, echo=False)
            before = max(fake.updates)
            # Its next step, as after any answer: the first box of the newest copy (serial 0).
            crowd._act(0)
            pressed = await asyncio.wait_for(_next_update(fake, before), 10)
            await fake.handled(pressed)
            await world.bot.drained()

            world.expect_refusals = True
            [refused] = fake.refused()
            assert (refused.method, refused.status) == ("editMessageText", 400)
            assert refused.params["message_id"] == newer.message_id
            assert crowd.finished.is_set(), "the learner is still waiting for an answer"
            assert crowd.done == 1

    asyncio.run(scenario())
