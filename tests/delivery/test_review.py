"""Spaced review: a quiz question missed in a course comes back 1, 3 and 7 days later, at the
window's opening, until answered right after the longest gap; a miss in review starts it
over; no more than the course's `per_day` a day; never in the middle of a lesson.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.messages import QuizQuestionReply, Reply
from storage.db import Database
from storage.models import ReviewItem
from tests.delivery.proactive_chat import World, texts
from tests.engine.chat import Chat, Clock


def questions(replies: tuple[Reply, ...]) -> list[str]:
    return [reply.question for reply in replies if isinstance(reply, QuizQuestionReply)]


def take_lesson_one(world: World, sky: str, grass: str) -> Chat:
    chat = Chat(world.engine)
    chat.say("timezone UTC")
    chat.say("courses")
    chat.press("Habits")
    chat.press(sky)
    chat.press(grass)
    chat.press("Yes")
    return chat


def under_review(database: Database) -> list[tuple[str, int]]:
    with database.transaction() as session:
        return [
            (item.question_id, item.step)
            for item in session.scalars(select(ReviewItem).order_by(ReviewItem.id))
        ]


def test_a_missed_question_comes_back_after_1_3_and_7_days_until_learned(
    world: World, clock: Clock, database: Database
) -> None:
    chat = take_lesson_one(world, sky="Green", grass="Green")  # Tuesday: sky missed
    assert under_review(database) == [("sky", 0)]

    clock.advance(hours=23, minutes=59)  # Wednesday 08:59
    assert world.tick(chat) == ()
    clock.advance(minutes=1)  # 09:00: lesson two first, then the review of sky
    shown = world.tick(chat)
    assert texts(shown)[0] == "📘 Lesson 2 of 2: Two"
    assert "🔁 Time for a quick review: a question you missed before." in texts(shown)
    assert questions(shown) == ["What colour is the sky?"]
    chat.press("Blue")
    assert chat.texts()[-1] == "Review done: 1 of 1 right. Anything you missed comes back in a few days."
    assert under_review(database) == [("sky", 1)]

    clock.advance(days=2, hours=23)  # Saturday 08:00: not yet (3 days: Saturday 09:00)
    assert questions(world.tick(chat)) == []
    clock.advance(hours=1)
    assert questions(world.tick(chat)) == ["What colour is the sky?"]
    chat.press("Blue")
    assert under_review(database) == [("sky", 2)]

    clock.advance(days=7)  # the next Saturday 09:00: right after the longest gap, learned
    assert questions(world.tick(chat)) == ["What colour is the sky?"]
    chat.press("Blue")
    assert under_review(database) == []
    clock.advance(days=30)
    assert questions(world.tick(chat)) == []


def test_a_miss_in_review_starts_the_gaps_over(world: World, clock: Clock, database: Database) -> None:
    chat = take_lesson_one(world, sky="Green", grass="Green")
    clock.advance(days=1)
    world.tick(chat)
    chat.press("Blue")
    clock.advance(days=3)
    world.tick(chat)
    chat.press("Green")  # wrong again: back to a day
    assert under_review(database) == [("sky", 0)]
    clock.advance(days=1)
    assert questions(world.tick(chat)) == ["What colour is the sky?"]


def test_review_waits_while_a_lesson_is_in_progress(world: World, clock: Clock) -> None:
    chat = Chat(world.engine)
    chat.say("timezone UTC")
    chat.say("courses")
    chat.press("Habits")
    chat.press("Green")  # sky missed; the quiz waits for grass
    clock.advance(days=1)  # Wednesday 09:00: sky is due, but the lesson is not finished
    assert "What colour is the sky?" not in questions(world.tick(chat))  # a nudge about grass
    chat.press("Green")
    chat.press("Yes")
    clock.advance(minutes=59)
    assert questions(world.tick(chat)) == []
    clock.advance(minutes=1)  # an hour after it found the learner busy
    assert questions(world.tick(chat)) == ["What colour is the sky?"]


def test_no_more_than_per_day_come_back_on_one_day(world: World, clock: Clock, database: Database) -> None:
    chat = take_lesson_one(world, sky="Green", grass="Red")  # two missed; `habits` reviews 1 a day
    clock.advance(days=1)
    shown = world.tick(chat)
    assert "🔁 Time for a quick review: a question you missed before." in texts(shown)
    assert questions(shown) == ["What colour is grass?"]  # equally due: in the order of their ids
    chat.press("Green")
    clock.advance(hours=1)
    assert questions(world.tick(chat)) == []  # sky waits: today's one is used
    chat.press("10")  # the survey `pulse` came, the course being done
    clock.advance(hours=23)
    assert questions(world.tick(chat)) == ["What colour is the sky?"]
