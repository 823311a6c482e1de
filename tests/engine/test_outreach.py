"""The bot speaking first: a scheduled lesson reaches a learner who is due it, once; not one
who moved on, said `stop`, or is in the middle of something (that waits an hour)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.engine import Engine
from bot.messages import ChoiceAccepted, Platform, ScheduledLesson, TextReply
from storage.db import Database
from storage.models import Enrolment, Interaction, Learner
from tests.engine.chat import Chat, Clock

CONTENT = Path(__file__).parent / "content"


SECOND_COURSE = """\
kind: course
id: extra
title: Extra
lessons:
  - id: only
    title: Only
    steps:
      - ask:
          text: Ready?
          choices: [{label: "Yes", value: "yes"}]
"""


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> ContentPack:
    more = tmp_path_factory.mktemp("more-content")
    (more / "extra.yaml").write_text(SECOND_COURSE, encoding="utf-8")
    return load_content([CONTENT, more])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(pack: ContentPack, database: Database, clock: Clock) -> Engine:
    return Engine(pack, database, clock=clock)


def finished_lesson_one_and_said_later(chat: Chat) -> None:
    chat.say("courses")
    chat.press("Basics")
    chat.press("Red")
    chat.say("Apollo")
    chat.press("Later")


def learner_id(database: Database) -> int:
    with database.transaction() as session:
        return int(session.scalars(select(Learner.id)).one())


def lesson_two(database: Database, id: str = "outreach-1") -> ScheduledLesson:
    return ScheduledLesson(id, learner_id(database), Platform.CONSOLE, "basics", "two")


def test_a_due_lesson_reaches_the_learner_once(engine: Engine, database: Database, clock: Clock) -> None:
    chat = Chat(engine)
    finished_lesson_one_and_said_later(chat)
    last_seen = clock.now
    clock.advance(days=2)

    replies = chat.replies = engine.reach_out(lesson_two(database))

    assert replies[:3] == (
        TextReply("📘 Lesson 2 of 2: Lesson two"),
        TextReply("Time for a quiz."),
        TextReply("📝 Quiz: Check (3 questions)"),
    )
    with database.transaction() as session:
        logged = session.execute(
            select(Interaction.direction, Interaction.kind).where(Interaction.at == clock.now)
        ).all()
        seen = session.scalars(select(Learner.last_seen_at)).one()
    assert ("mark", "lesson_started") in logged
    assert [row for row in logged if row.direction == "in"] == []  # the learner did nothing
    assert seen == last_seen
    assert engine.reach_out(lesson_two(database)) == ()  # delivered twice: done once
    assert chat.press("Red")[:2] == (  # the quiz is open for her
        ChoiceAccepted("4", "Red"),
        TextReply("✅ Correct!\nYes, red is a colour.\nColours are not numbers."),
    )


def test_a_retried_outreach_whose_turn_committed_shows_the_open_step_again(
    engine: Engine, database: Database
) -> None:
    chat = Chat(engine)
    finished_lesson_one_and_said_later(chat)
    first = engine.reach_out(lesson_two(database))  # committed; its sender then died

    again = engine.reach_out(replace(lesson_two(database), retaken=True))

    assert again != ()
    assert again[-1] == first[-1]  # the quiz question that was open, shown again


def test_a_learner_in_the_middle_of_a_lesson_is_not_interrupted(
    engine: Engine, database: Database, clock: Clock
) -> None:
    chat = Chat(engine)
    finished_lesson_one_and_said_later(chat)
    chat.say("courses")
    chat.press("Extra")  # at the other course's question

    assert engine.reach_out(lesson_two(database)) == ()
    assert chat.press("Yes")[0] == ChoiceAccepted("5", "Yes")
    with database.transaction() as session:
        due = session.scalars(select(Enrolment.next_due_at).where(Enrolment.course_id == "basics")).one()
    assert due == clock.now + timedelta(hours=1)


def test_nothing_reaches_a_learner_who_moved_on_or_said_stop(engine: Engine, database: Database) -> None:
    chat = Chat(engine)
    finished_lesson_one_and_said_later(chat)
    moved_on = ScheduledLesson("outreach-old", learner_id(database), Platform.CONSOLE, "basics", "one")
    assert engine.reach_out(moved_on) == ()  # she is due lesson two now, not one
    gone = ScheduledLesson("outreach-gone", learner_id(database), Platform.CONSOLE, "basics", "three")
    assert engine.reach_out(gone) == ()  # not in the content (any more)

    chat.say("stop")
    assert engine.reach_out(lesson_two(database)) == ()
