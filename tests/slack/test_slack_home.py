"""The App Home tab (courses, progress, a button to go on) and `/learn` from any channel,
answered so only the learner sees it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.engine import Engine
from storage.db import Database
from storage.models import LearnerIdentity
from tests.slack.fake_records import Person
from tests.slack.harness import TEAM, Mode, SlackLearner, slack_world


def home(learner: SlackLearner) -> list[Any]:
    """The home tab as the learner sees it: each block's text, or its buttons' labels."""
    view = learner.world.fake.views[(learner.team, learner.user)]
    shown: list[Any] = []
    for block in view["blocks"]:
        if block["type"] in ("header", "section"):
            shown.append(block["text"]["text"])
        elif block["type"] == "context":
            shown.append(block["elements"][0]["text"])
        elif block["type"] == "actions":
            shown.append([element["text"]["text"] for element in block["elements"]])
    return shown


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_the_home_tab_shows_progress_and_continues_the_course(mode: Mode, engine: Engine) -> None:
    async def scenario() -> None:
        async with slack_world(engine, mode) as world:
            learner = world.learner()
            await learner.open_tab("home")
            assert home(learner) == [
                "Your progress",
                "You haven't started a course yet. Type courses to pick one.",
                ["Getting started with Tasklane", "What you get with Tasklane Pro"],
            ]
            await learner.press_in_home("Getting started with Tasklane")
            assert "Lesson 1 of 5: Welcome" in learner.dm()[-1].text
            await learner.press("I lead a team")
            await learner.press("Next lesson")
            await learner.open_tab("home")
            assert home(learner) == [
                "Your progress",
                "• Getting started with Tasklane: 1 of 5 lessons",
                "📘 Lesson 2 of 5: Your first project",
                ["Continue", "What you get with Tasklane Pro"],
            ]
            before = len(learner.dm())
            await learner.press_in_home("Continue")
            assert [m.text for m in learner.dm()[before:]] == [
                "What will your first project be called? Just type a name; you can change it later."
            ]
            assert len(world.fake.made("conversations.open")) == 1  # the DM, looked up once

    asyncio.run(scenario())


def test_the_home_tab_speaks_the_learners_language(engine: Engine) -> None:
    async def scenario() -> None:
        async with slack_world(engine) as world:
            world.fake.people["U0MIN"] = Person("민지", tz="Asia/Seoul", locale="ko-KR")
            learner = world.learner("U0MIN")
            await learner.open_tab("home")
            assert home(learner)[:2] == [
                "진행 상황",
                "아직 시작한 코스가 없어요. courses를 입력해 골라 보세요.",
            ]

    asyncio.run(scenario())


def test_opening_the_dm_greets_a_newcomer_once(engine: Engine) -> None:
    async def scenario() -> None:
        async with slack_world(engine) as world:
            learner = world.learner()
            await learner.open_tab("messages")
            await learner.open_tab("messages")
            assert [m.text.split("\n")[0] for m in learner.dm()] == [
                "Hi U0ANN! I teach short lessons right here in chat, and I answer product questions "
                "any time. Type help to see what I can do."
            ]

    asyncio.run(scenario())


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_learn_answers_only_the_learner_in_any_channel(
    mode: Mode, engine: Engine, database: Database
) -> None:
    async def scenario() -> None:
        async with slack_world(engine, mode) as world:
            learner = world.learner()
            await learner.command("courses")
            await learner.press("Getting started with Tasklane")
            await learner.command("progress")
            await learner.command("ask how do I reset my password")
            await learner.command("how do I change my email")
            await learner.command("")
            shown = [m.text for m in world.fake.messages["C0GENERAL"]]
            assert shown[0] == "Which course would you like to take?\n✓ *Getting started with Tasklane*"
            assert "Lesson 1 of 5: Welcome" in shown[1]
            assert shown[2] == "Your progress:\n• Getting started with Tasklane: 0 of 5 lessons"
            assert shown[3].startswith("Click 'Forgot password' on the sign-in page")
            assert "email" in shown[4].casefold()
            assert shown[5].startswith("Here's what I understand:")
            assert all(m.ephemeral_for == "U0ANN" for m in world.fake.messages["C0GENERAL"])
            assert learner.dm() == []
            assert world.fake.made("chat.postMessage") == []

    asyncio.run(scenario())
    with database.transaction() as session:
        identity = session.scalars(select(LearnerIdentity)).one()
        assert (identity.workspace, identity.conversation_id) == (TEAM, "DU0ANN")  # the DM, for later
