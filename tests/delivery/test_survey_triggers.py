"""Surveys on their triggers: `pulse` 3 days after first contact, after `habits`, and every
20 days; `helped` once support resolves a learner's question. None inside the quiet period
after the last survey (30 days by default), none in the middle of a lesson, none outside
09:00-20:00 on the learner's clock, none after `stop`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config import HandoffSettings
from bot.content.model import ContentPack
from bot.engine import Engine
from bot.handoff.desk import HandoffDesk
from bot.messages import RatingScale, Reply
from storage.db import Database
from storage.models import Handoff, SurveyInvitation
from tests.delivery.proactive_chat import World, texts
from tests.engine.chat import Chat, Clock

SUPPORT = HandoffSettings(webhook_url="http://127.0.0.1:9/helpdesk", webhook_secret="shared")


@pytest.fixture
def engine(proactive_pack: ContentPack, database: Database, clock: Clock) -> Engine:
    return Engine(proactive_pack, database, clock=clock, handoff=SUPPORT)


def surveyed(replies: tuple[Reply, ...]) -> list[str]:
    return [reply.text for reply in replies if isinstance(reply, RatingScale)]


PULSE = "How likely are you to recommend us?"


def test_three_days_after_first_contact_at_nine_in_the_morning(world: World, clock: Clock) -> None:
    chat = Chat(world.engine)
    chat.say("timezone UTC")  # Tuesday 09:00: first contact
    clock.advance(days=2, hours=23, minutes=59)
    assert world.tick(chat) == ()
    clock.advance(minutes=1)  # Friday 09:00
    shown = world.tick(chat)
    assert texts(shown)[0] == "📝 Pulse"
    assert surveyed(shown) == [PULSE]
    chat.press("9")
    assert chat.texts()[-1] == "Thanks!"


def test_a_survey_falling_due_at_night_waits_for_the_morning(world: World, clock: Clock) -> None:
    clock.advance(hours=12)  # Tuesday 21:00 UTC
    chat = Chat(world.engine)
    chat.say("timezone Seoul")  # 21:00 UTC is 06:00 on Wednesday in Seoul
    clock.advance(days=3)  # Saturday 06:00 in Seoul: due, but before 09:00 there
    assert world.tick(chat) == ()
    clock.advance(hours=2, minutes=59)
    assert world.tick(chat) == ()
    clock.advance(minutes=1)  # 09:00 in Seoul
    assert surveyed(world.tick(chat)) == [PULSE]


def test_a_survey_never_interrupts_a_lesson_and_comes_after_it(world: World, clock: Clock) -> None:
    chat = Chat(world.engine)
    chat.say("timezone UTC")
    clock.advance(days=3, minutes=-30)  # Friday 08:30: the learner starts a lesson
    chat.say("courses")
    chat.press("Habits")
    clock.advance(minutes=30)
    assert surveyed(world.tick(chat)) == []  # due, but the quiz waits for an answer
    chat.press("Blue")
    chat.press("Green")
    chat.press("Yes")
    clock.advance(minutes=59)
    assert surveyed(world.tick(chat)) == []
    clock.advance(minutes=1)  # an hour after it found them busy
    assert surveyed(world.tick(chat)) == [PULSE]


def test_no_second_survey_inside_the_quiet_period(world: World, clock: Clock, database: Database) -> None:
    chat = Chat(world.engine)
    chat.say("timezone UTC")
    clock.advance(days=3)
    world.tick(chat)
    chat.press("9")  # Friday: the first-contact pulse
    clock.advance(hours=1)
    chat.say("courses")
    chat.press("Habits")
    chat.press("Blue")
    chat.press("Green")
    chat.press("Yes")
    clock.advance(days=1)  # Saturday 10:00: lesson two ends the course: pulse after habits...
    assert texts(world.tick(chat))[0] == "📘 Lesson 2 of 2: Two"
    for _ in range(4):
        clock.advance(days=7)
        assert surveyed(world.tick(chat)) == []  # ...waits out 30 days after Friday's
    clock.advance(days=2)  # Friday 09:00 + 30 days
    assert surveyed(world.tick(chat)) == [PULSE]
    with database.transaction() as session:
        reasons = {each.reason: each.status for each in session.scalars(select(SurveyInvitation))}
    assert reasons["first-contact"] == "sent"
    assert reasons["every:1"] == "sent"  # due on day 20, moved by the quiet period like...
    assert reasons["course:habits"] == "covered"  # ...this one, which it stands for
    assert reasons["every:2"] == "pending"
    clock.advance(days=20)
    assert surveyed(world.tick(chat)) == []  # every:2 is due, but inside the quiet period


def test_a_recurring_survey_invites_the_next_time_when_it_is_sent(
    world: World, clock: Clock, database: Database
) -> None:
    chat = Chat(world.engine)
    chat.say("timezone UTC")
    clock.advance(days=3)
    world.tick(chat)  # the first-contact pulse on day 3
    chat.press("8")
    clock.advance(days=30)  # day 33: every:1 (due day 20) waited out the quiet period
    assert surveyed(world.tick(chat)) == [PULSE]
    with database.transaction() as session:
        following = session.scalars(
            select(SurveyInvitation).where(SurveyInvitation.reason == "every:2")
        ).one()
    assert following.due_at == clock.now + timedelta(days=20)


def test_a_csat_follows_the_note_that_support_resolved_the_question(
    world: World, engine: Engine, clock: Clock, database: Database
) -> None:
    chat = Chat(engine)
    chat.say("timezone UTC")
    chat.say("is the moon made of cheese")
    assert "passed your question to our support team" in chat.texts()[0]
    desk = HandoffDesk(database, SUPPORT, engine.surveys_after_handoff, clock=clock)
    with database.transaction() as session:
        handoff_id = session.scalars(select(Handoff.id)).one()
    clock.advance(hours=2)
    desk.resolve(handoff_id, "Sam")
    shown = world.tick(chat)
    assert texts(shown)[0].startswith(
        "Support marked your question “is the moon made of cheese” as resolved."
    )
    assert texts(shown)[1] == "📝 Support"
    assert surveyed(shown) == ["How did support do?"]
    desk.resolve(handoff_id, "Sam")  # resolving again invites nobody again
    clock.advance(hours=1)
    assert world.tick(chat) == ()


def test_a_learner_who_said_stop_is_not_surveyed(world: World, clock: Clock) -> None:
    chat = Chat(world.engine)
    chat.say("stop")
    clock.advance(days=40)
    assert world.tick(chat) == ()
