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
            assert learner.dm()[1].text.startswith("📘 Lesson 1 of")

    try:
        asyncio.run(scenario())
    finally:
        first.dispose()
        second.dispose()
