"""Reminders about a lesson step left unanswered: each inside the course's window and
pointing at the step; after the last the learner is paused, nothing more is sent first,
and when they write again the lesson goes on where it stopped.

`habits` reminds 2 hours and then 1 day after the step was left, inside 09:00-17:00.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.messages import QuizQuestionReply
from storage.db import Database
from storage.models import Interaction
from tests.delivery.proactive_chat import World, texts
from tests.engine.chat import Chat, Clock

LEFT_AT_SKY = "📘 Lesson 1 of 2: One"


def start_habits(world: World) -> Chat:
    chat = Chat(world.engine)
    chat.say("timezone UTC")
    chat.say("courses")
    chat.press("Habits")
    assert isinstance(chat.replies[-1], QuizQuestionReply)
    return chat


def question_of(replies: tuple[object, ...]) -> str | None:
    asked = [reply.question for reply in replies if isinstance(reply, QuizQuestionReply)]
    return asked[-1] if asked else None


def test_two_nudges_point_at_the_step_left_then_the_learner_is_paused(world: World, clock: Clock) -> None:
    chat = start_habits(world)  # Tuesday 09:00, left at the quiz's first question

    clock.advance(hours=1, minutes=59)
    assert world.tick(chat) == ()
    clock.advance(minutes=1)  # 11:00: the first nudge, and the question again
    first = world.tick(chat)
    assert texts(first) == [
        "👋 Still there, Ann? You stopped in the middle of “One”. Here's where you left off:"
    ]
    assert question_of(first) == "What colour is the sky?"

    clock.advance(hours=23, minutes=59)
    assert world.tick(chat) == ()
    clock.advance(minutes=1)  # Wednesday 11:00: a day after the first, the last nudge
    last = world.tick(chat)
    assert question_of(last) == "What colour is the sky?"
    assert texts(last)[-1].startswith("That's my last reminder: I'll stay quiet until you write to me.")

    clock.advance(days=10)  # paused: no nudge, no survey (`pulse` fell due on Friday)
    assert world.tick(chat) == ()


def test_a_paused_learner_who_writes_again_picks_up_at_the_same_question(
    world: World, clock: Clock, database: Database
) -> None:
    chat = start_habits(world)
    clock.advance(hours=2)
    world.tick(chat)
    clock.advance(days=1)
    world.tick(chat)

    clock.advance(days=3)
    chat.say("hi")
    assert chat.texts() == ["Welcome back! Let's pick up where you stopped."]  # no "pick an option"
    assert question_of(chat.replies) == "What colour is the sky?"
    chat.press("Blue")
    assert question_of(chat.replies) == "What colour is grass?"

    with database.transaction() as session:
        marks = session.scalars(select(Interaction.kind).where(Interaction.direction == "mark")).all()
    assert [mark for mark in marks if mark in {"reminded", "paused", "resumed"}] == [
        "reminded",
        "reminded",
        "paused",
        "resumed",
    ]


def test_answering_starts_the_count_again_and_finishing_the_lesson_ends_it(
    world: World, clock: Clock
) -> None:
    chat = start_habits(world)
    clock.advance(hours=1, minutes=30)
    chat.press("Blue")  # 10:30: the next question waits now, its first nudge at 12:30
    clock.advance(minutes=30)
    assert world.tick(chat) == ()
    clock.advance(hours=1, minutes=30)
    assert question_of(world.tick(chat)) == "What colour is grass?"

    chat.press("Green")
    chat.press("Yes")  # lesson one done: nothing waits, so no nudge comes
    clock.advance(hours=21)  # Wednesday 09:30: lesson two, which needs no answer
    assert texts(world.tick(chat))[0] == "📘 Lesson 2 of 2: Two"
    clock.advance(days=2)
    assert not [text for text in texts(world.tick(chat)) if "Still there" in text]


def test_a_nudge_due_in_the_evening_waits_for_the_window_next_morning(world: World, clock: Clock) -> None:
    clock.advance(hours=7)  # 16:00: the step is left an hour before the window closes
    chat = start_habits(world)
    clock.advance(hours=1, minutes=59)  # 17:59: due at 18:00, outside 09:00-17:00
    assert world.tick(chat) == ()
    clock.advance(hours=15)  # Wednesday 08:59
    assert world.tick(chat) == ()
    clock.advance(minutes=1)
    assert question_of(world.tick(chat)) == "What colour is the sky?"


def test_a_learner_who_said_stop_gets_no_nudge(world: World, clock: Clock) -> None:
    chat = start_habits(world)
    chat.say("stop")
    clock.advance(days=5)
    assert world.tick(chat) == ()
