"""A learner who presses faster than Telegram lets the bot answer: every press stops
spinning at once, and the replies, paced at one message a second, still come in order.

Real pacing (a burst of five per chat, then one a second): each turn of the drill lesson
sends four messages and edits the pressed one, so the replies fall further behind with
each press, while `answerCallbackQuery`, sent when the update is stored, does not. The
learner presses the newest button on screen every half second: the same one again while
its turn's replies have not come (a stale press, told in the chat), none at a moment when
the edit has taken the buttons away and the next prompt is still on its way; by long polling and by
webhook at once, each with its own fake Telegram and database (two bots sharing one inbox
would be two processes of one bot, which must talk to one Telegram).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest
from sqlalchemy import Engine as SqlEngine

from bot.adapters.telegram.pacing import Pacing
from bot.engine import Engine
from bot.phrases import phrase
from storage.db import Database
from storage.migrate import upgrade
from tests.postgres_schemas import fresh_schema_url
from tests.telegram.drill import COURSE, PARTS, STEP, Pressed, drill_content, part, press_every, prompt
from tests.telegram.fake_chats import Person
from tests.telegram.harness import Learner, Mode, World, telegram_world

ANN = Person(51101, "Ann", "Lee", language_code="en")
BOB = Person(51102, "Bob", "Ray", language_code="en")
PRESSES = 5
EVERY_S = 0.5
ANSWERED_WITHIN_S = 1.0


def step_of(text: str) -> int:
    found = STEP.match(text)
    return int(found.group(1)) if found else 0


def assert_in_order(texts: list[str]) -> None:
    """Each step's parts and prompt together and in order, none sent twice, steps never
    going back (a later turn's replies overtaking an earlier's would), and every "expired"
    followed by where the learner is."""
    steps = [step_of(text) for text in texts if step_of(text)]
    assert steps == sorted(steps), texts
    starts = [index for index, text in enumerate(texts) if text == part(step_of(text), 1)]
    assert len({step_of(texts[index]) for index in starts}) == len(starts), texts
    for index in starts:
        step = step_of(texts[index])
        together = [*(part(step, number) for number in range(1, PARTS + 1)), prompt(step)]
        assert [text.split("\n")[0] for text in texts[index : index + PARTS + 1]] == together, texts
    prompts = {prompt(step) for step in steps}
    for index, text in enumerate(texts):
        if text == phrase("expired", "en"):
            assert texts[index + 1].split("\n")[0] in prompts, texts


async def a_fast_learner(engine: Engine, mode: Mode, person: Person) -> None:
    async with telegram_world(engine, mode, pacing=Pacing()) as world:
        learner = Learner(world, person)
        await learner.say(f"/start {COURSE}")
        pressed = await press_every(world.fake, person, PRESSES, EVERY_S)
        await world.fake.handled(pressed[-1].update_id)  # stored: its work is now in hand
        await world.bot.drained()
        assert_answered_at_once(world, pressed)
        texts = [m.text for m in learner.transcript() if m.from_bot]
        assert_in_order(texts)
        assert prompt(2) in " ".join(texts), texts  # it did get through the lesson, not only stale presses


def assert_answered_at_once(world: World, pressed: list[Pressed]) -> None:
    answers = world.fake.called("answerCallbackQuery")
    answered = {str(call.params["callback_query_id"]): call.at for call in answers}
    assert len(answers) == len(pressed) == len(answered)  # one answer per press
    late = {press.query_id: round(answered[press.query_id] - press.at, 3) for press in pressed}
    assert all(seconds <= ANSWERED_WITHIN_S for seconds in late.values()), late


@pytest.fixture
def other_database(database: Database, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A second fresh database on the same backend as `database`."""
    place: AbstractContextManager[str]
    if database.is_sqlite:
        place = nullcontext(f"sqlite:///{tmp_path}/other.db")
    else:
        admin: SqlEngine = request.getfixturevalue("_postgres_admin")
        place = fresh_schema_url(admin)
    with place as url:
        other = Database(url)
        upgrade(other)
        yield other
        other.dispose()


def test_presses_every_half_second_are_answered_at_once_and_replies_come_in_order(
    tmp_path: Path, database: Database, other_database: Database
) -> None:
    content = drill_content(tmp_path)

    async def both() -> None:
        polling = a_fast_learner(Engine(content, database), "polling", ANN)
        webhook = a_fast_learner(Engine(content, other_database), "webhook", BOB)
        await asyncio.wait_for(asyncio.gather(polling, webhook), 60)

    asyncio.run(both())
