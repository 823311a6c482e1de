"""A course on a cadence, on a clock the test moves: the learner is told when the next lesson
comes, in their own time; the sweep queues it at the window's opening and not a minute
before, and the outbox sends it as the engine words it then.

The clock starts on Tuesday 2026-11-24 at 09:00 UTC (10:00 in Berlin, 04:00 in New York).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.adapters.database_work import DatabaseWork
from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.delivery.outbox import LearnerOutbox
from bot.delivery.sweep import DueSweep
from bot.engine import Engine
from bot.messages import Platform, Reply, ScheduledLesson, TextReply
from storage.db import Database
from storage.learner_messages import DueLearnerMessage
from storage.models import Interaction, Learner
from tests.engine.chat import Chat, Clock

DRIP = Path(__file__).parents[1] / "engine" / "drip"


class Terminal:
    """The console's outbox channel, as a person reading the terminal would see it."""

    platform = "console"

    def __init__(self) -> None:
        self.shown: list[tuple[str, Reply]] = []

    async def deliver(self, message: DueLearnerMessage, replies: Sequence[Reply]) -> None:
        self.shown.extend((message.conversation_id, reply) for reply in replies)


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([DRIP])


@pytest.fixture
def engine(pack: ContentPack, database: Database, clock: Clock) -> Engine:
    return Engine(pack, database, clock=clock)


def test_the_next_lesson_comes_at_the_windows_opening_two_days_later(
    engine: Engine, database: Database, database_work: DatabaseWork, clock: Clock
) -> None:
    chat = Chat(engine)
    chat.say("timezone Berlin")
    chat.say("courses")
    chat.press("Drip")
    assert chat.press("Yes")[-1] == TextReply(
        "Your next lesson, “Two”, comes on Thursday at 09:00. See you then!"
    )
    sweep, terminal = DueSweep(database, clock=clock), Terminal()
    outbox = LearnerOutbox(database_work, terminal, engine.reach_out, clock=clock)

    clock.advance(days=1, hours=22, minutes=59)  # Thursday 07:59 UTC, 08:59 in Berlin
    assert sweep.sweep() == 0
    clock.advance(minutes=1)
    assert sweep.sweep() == 1
    assert asyncio.run(outbox.deliver_due()) == 1
    assert [reply for _, reply in terminal.shown] == [
        TextReply("📘 Lesson 2 of 2: Two"),
        TextReply("The end."),
        TextReply("✅ Lesson complete: Two"),
        TextReply("🎉 You've finished “Drip”!"),
    ]


def test_a_learner_in_new_york_gets_it_at_nine_in_new_york(
    engine: Engine, database: Database, clock: Clock
) -> None:
    chat = Chat(engine)
    chat.say("timezone New York")
    chat.say("courses")
    chat.press("Drip")
    clock.advance(hours=12)  # 21:00 UTC, 16:00 in New York: lesson one done on Tuesday
    assert chat.press("Yes")[-1] == TextReply(
        "Your next lesson, “Two”, comes on Thursday at 09:00. See you then!"
    )
    sweep = DueSweep(database, clock=clock)
    clock.advance(days=1, hours=16, minutes=59)  # Thursday 13:59 UTC, 08:59 in New York
    assert sweep.sweep() == 0
    clock.advance(minutes=1)
    assert sweep.sweep() == 1


def test_a_lesson_finished_on_friday_comes_on_the_next_open_day(
    engine: Engine, database: Database, clock: Clock
) -> None:
    clock.advance(days=3)  # Friday 09:00 UTC, 10:00 in Berlin
    chat = Chat(engine)
    chat.say("timezone Berlin")
    chat.say("courses")
    chat.press("Drip")
    assert chat.press("Yes")[-1] == TextReply(  # Sunday is outside the weekday window: Monday
        "Your next lesson, “Two”, comes on Monday at 09:00. See you then!"
    )


def lesson_two_of(database: Database, id: str = "learner-message:1") -> ScheduledLesson:
    with database.transaction() as session:
        learner_id = session.scalars(select(Learner.id)).one()
    return ScheduledLesson(id, learner_id, Platform.CONSOLE, "drip", "two")


def test_a_lesson_that_ended_in_a_turn_whose_sender_died_is_told_again(
    engine: Engine, database: Database, clock: Clock
) -> None:
    """Lesson two needs no answer: it ends in the turn that tells it, so a retry after its
    sender died has no open step to show, and tells it again unless the learner wrote since."""
    chat = Chat(engine)
    chat.say("timezone Berlin")
    chat.say("courses")
    chat.press("Drip")
    chat.press("Yes")
    clock.advance(days=2)
    first = engine.reach_out(lesson_two_of(database))  # committed; its sender then died
    assert first[0] == TextReply("📘 Lesson 2 of 2: Two")

    clock.advance(minutes=2)  # the lease ends: another sender takes the row
    again = engine.reach_out(replace(lesson_two_of(database), retaken=True))
    assert again == first
    with database.transaction() as session:
        marks = session.scalars(select(Interaction.kind).where(Interaction.direction == "mark")).all()
    assert marks.count("lesson_completed") == 2  # lesson one, and lesson two once
    assert marks.count("lesson_retold") == 1

    chat.say("progress")  # the learner writes: a later retry has nothing more to tell
    assert engine.reach_out(replace(lesson_two_of(database), retaken=True)) == ()
