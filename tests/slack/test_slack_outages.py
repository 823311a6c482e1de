"""Slack failing the way it does behind a proxy in an outage: a 503 with a `text/plain`
body, a 502 HTML page sent as `application/json`, a connection dropped or refused, a call
that stalls. Looking the learner up may fail and sending one message may fail; neither may
cost the learner their lesson, the rest of their turn, or a press."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import get_args

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import people as people_module
from bot.adapters.slack import web_api
from bot.adapters.slack.people import People, Profile
from bot.engine import Engine
from tests.slack.fake_records import Person
from tests.slack.fake_slack import Failure, FakeSlack
from tests.slack.harness import BOT_TOKEN, TEAM, slack_world

FAILURES = list(get_args(Failure))
LOGGED = {"text/plain": "HTTP 503", "html-as-json": "HTTP 502", "disconnect": "ServerDisconnectedError"}
LESSON_ONE = "Lesson 1 of 5: Welcome"
QUESTION = "First things first: what brings you to Tasklane?"


def failures_logged(caplog: pytest.LogCaptureFixture, method: str) -> list[str]:
    """What the adapter logged about `method` failing; and that nothing went as far as an error."""
    ours = [record for record in caplog.records if record.name.startswith("bot.")]
    assert [record.getMessage() for record in ours if record.levelno >= logging.ERROR] == []
    return [r.getMessage().rsplit(": ", 1)[1] for r in ours if r.getMessage().startswith(f"{method} ")]


@pytest.mark.parametrize("how", FAILURES)
def test_a_profile_slack_cannot_give_still_leaves_the_learner_their_lesson(
    how: Failure, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with slack_world(engine) as world:
            world.fake.fail("users.info", how)
            learner = world.learner()
            await learner.say("courses")
            await learner.press("Getting started with Tasklane")
            assert LESSON_ONE in learner.dm()[-1].text
            assert world.fake.made("users.info") == []

    asyncio.run(scenario())
    assert failures_logged(caplog, "users.info") == [LOGGED[how]] * 2


@pytest.mark.parametrize("how", FAILURES)
def test_an_edit_slack_refuses_leaves_the_rest_of_the_turn_to_arrive(
    how: Failure, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with slack_world(engine) as world:
            learner = world.learner()
            await learner.say("courses")
            world.fake.fail("chat.update", how)
            await learner.press("Getting started with Tasklane")
            world.fake.heal("chat.update")
            courses, lesson = learner.dm()
            assert courses.text == "Which course would you like to take?"  # the edit that failed
            assert LESSON_ONE in lesson.text
            await learner.press("I lead a team")  # and the course goes on
            assert "✓ *I lead a team*" in learner.dm()[1].text
            assert len(world.fake.made("chat.update")) == 1

    asyncio.run(scenario())
    assert failures_logged(caplog, "chat.update") == [LOGGED[how]]


@pytest.mark.parametrize("how", FAILURES)
def test_a_continue_press_on_the_home_tab_is_answered_when_the_dm_cannot_be_opened(
    how: Failure, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with slack_world(engine) as world:
            learner = world.learner()
            await learner.say("courses")
            await learner.press("Getting started with Tasklane")
            await learner.open_tab("home")
            world.fake.fail("conversations.open", how)
            before = len(learner.dm())
            await learner.press_in_home("Continue")
            assert [m.text for m in learner.dm()[before:]] == [QUESTION]
            # Posted to the user id, so in the DM, whose id the edit after the press uses.
            assert world.fake.made("chat.postMessage")[-1].args["channel"] == "U0ANN"
            await learner.press("I lead a team")
            assert learner.dm()[before].text == f"{QUESTION}\n✓ *I lead a team*"
            assert world.fake.made("conversations.open") == []

    asyncio.run(scenario())
    assert failures_logged(caplog, "conversations.open") == [LOGGED[how]]


def test_a_home_tab_slack_refuses_to_show_is_shown_next_time(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with slack_world(engine) as world:
            learner = world.learner()
            world.fake.fail("views.publish", "text/plain")
            await learner.open_tab("home")
            world.fake.heal("views.publish")
            assert (TEAM, "U0ANN") not in world.fake.views
            await learner.open_tab("home")
            assert (TEAM, "U0ANN") in world.fake.views

    asyncio.run(scenario())
    assert failures_logged(caplog, "views.publish") == ["HTTP 503"]


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_lookups_give_what_is_known_when_slack_refuses_the_connection(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        fake = FakeSlack()
        await fake.start()
        fake.add_workspace(TEAM, BOT_TOKEN)
        fake.people["U0ANN"] = Person("Ann", "Lee")
        people = People()
        monkeypatch.setattr(people_module, "PROFILE_TTL_S", 0.0)  # looked up again every time
        async with web_api.session() as session:
            slack = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url, session=session)
            known = await people.profile(slack, TEAM, "U0ANN")
            await fake.stop()
            refused = AsyncWebClient(
                token=BOT_TOKEN,
                base_url=f"http://127.0.0.1:{unused_port()}/api/",
                session=session,
                retry_handlers=web_api.retry_handlers(),
            )
            assert known == Profile("Ann", "Lee", "en-US", "Europe/Berlin")
            assert await people.profile(refused, TEAM, "U0ANN") == known
            assert await people.profile(refused, TEAM, "U0BEN") == Profile()
            assert await people.direct_channel(refused, TEAM, "U0ANN") is None

    asyncio.run(scenario())
    assert failures_logged(caplog, "users.info") == ["ClientConnectorError"] * 2
    assert failures_logged(caplog, "conversations.open") == ["ClientConnectorError"]


def test_a_lookup_that_stalls_gives_up_and_the_learner_is_answered(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(web_api, "TIMEOUT_S", 0.5)

    async def scenario() -> None:
        async with slack_world(engine) as world:
            world.fake.delay("users.info", 5.0)
            learner = world.learner()
            await learner.say("courses")
            assert learner.dm()[-1].text == "Which course would you like to take?"

    asyncio.run(scenario())
    assert failures_logged(caplog, "users.info") == ["TimeoutError"]
