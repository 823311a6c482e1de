"""A button prompt answered by typing loses its buttons in whichever process handles the
typing, also one that never saw the prompt posted (another process, or after a restart)."""

from __future__ import annotations

import asyncio

import pytest

from bot.content.model import ContentPack
from bot.engine import Engine
from storage.db import Database
from tests.slack.harness import slack_world


@pytest.mark.parametrize("when", ["another-process", "after-a-restart"])
def test_a_course_picked_by_typing_takes_the_buttons_off_the_list(
    when: str, bundled_content: ContentPack, database_url: str
) -> None:
    first, second = Database(database_url), Database(database_url)

    async def scenario() -> None:
        async with slack_world(Engine(bundled_content, first)) as one:
            learner = one.learner()
            await learner.say("courses")
            assert learner.buttons() == ["Getting started with Tasklane", "What you get with Tasklane Pro"]
            if when == "another-process":
                async with slack_world(Engine(bundled_content, second), fake=one.fake) as two:
                    await two.learner().say("Getting started with Tasklane")
            else:
                await one.bot.close()
                async with slack_world(Engine(bundled_content, second), fake=one.fake) as two:
                    await two.learner().say("Getting started with Tasklane")
            courses = learner.dm()[0]
            assert (courses.text, courses.buttons()) == (
                "Which course would you like to take?\n✓ *Getting started with Tasklane*",
                [],
            )
            assert "\n📘 Lesson 1 of" in learner.dm()[1].text

    try:
        asyncio.run(scenario())
    finally:
        first.dispose()
        second.dispose()


def test_a_quiz_question_shown_again_after_a_stray_message_comes_below_it(engine: Engine) -> None:
    """Only a tick on the question itself redraws it in place; shown again, it is posted
    where the learner is looking, after the re-prompt."""

    async def scenario() -> None:
        async with slack_world(engine) as world:
            learner = world.learner()
            await learner.say("start")
            for label in ("Getting started with Tasklane", "I lead a team", "Next lesson"):
                await learner.press(label)
            await learner.say("Apollo")
            for label in ("Yes, it's there!", "Next lesson", "2 to 5 people", "Next lesson", "In Slack"):
                await learner.press(label)
            quiz_buttons = ["Board", "Workload", "My Tasks", "Calendar"]
            asked = learner.dm()[-1]
            assert [button["text"]["text"] for button in asked.buttons()] == quiz_buttons
            before = len(learner.dm())
            await learner.say("zzz")
            new = learner.dm()[before:]
            assert [(m.text.splitlines()[0], [b["text"]["text"] for b in m.buttons()]) for m in new] == [
                ("Please pick one of the options (tap a button or type its number).", quiz_buttons)
            ]
            await learner.press("Workload")
            assert "✅ Correct!" in str(learner.dm()[-2].blocks) + str(learner.dm()[-1].blocks)

    asyncio.run(scenario())
