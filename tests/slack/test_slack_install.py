"""Installing the app in two workspaces through Slack's OAuth flow, then teaching in both
with each workspace's own token, and learners with the same user id kept apart."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from bot.engine import Engine
from storage.db import Database
from storage.models import Enrolment, InboxEntry, LearnerIdentity
from storage.slack_models import slack_bots, slack_installations, slack_oauth_states
from tests.slack.harness import World, slack_world
from tests.slack.payloads import direct_message, event_body

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret-77c1"

# slack_sdk 3.47 sends the client credentials with aiohttp's BasicAuth, which aiohttp 3.14
# deprecates; harmless (it still works), and not ours to change.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


async def install(world: World, code: str) -> int:
    """Click "Add to Slack" on /slack/install, approve, come back to /slack/oauth_redirect."""
    async with world.session.get(world.url + "/slack/install") as page:
        assert page.status == 200
        html = await page.text()
        cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    found = re.search(r"state=([\w-]+)", html)
    assert found is not None
    assert f"client_id={CLIENT_ID}" in html
    query = f"code={code}&state={found[1]}"
    async with world.session.get(
        f"{world.url}/slack/oauth_redirect?{query}", headers={"Cookie": cookie}
    ) as back:
        await back.read()
        return back.status


def test_two_workspaces_install_the_app_and_their_learners_stay_apart(
    engine: Engine, database: Database
) -> None:
    async def scenario() -> None:
        async with slack_world(
            engine, "http", bot_token=None, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        ) as world:
            world.fake.client = (CLIENT_ID, CLIENT_SECRET)
            world.fake.allow_install("code-one", "T0ONE", "xoxb-one-token")
            world.fake.allow_install("code-two", "T0TWO", "xoxb-two-token")
            assert await install(world, "code-one") == 200
            assert await install(world, "code-two") == 200
            assert await install(world, "code-never-issued") == 401

            one = world.learner("U0SAME", team="T0ONE", channel="D1SAME")
            two = world.learner("U0SAME", team="T0TWO", channel="D2SAME")
            await one.say("courses")
            await one.press("Getting started with Tasklane")
            await two.say("progress")
            stranger = world.learner("U0SAME", team="T0NOTINSTALLED", channel="D3SAME")
            await stranger.say("progress")

            assert "Lesson 1 of 5" in one.dm()[-1].text
            assert [m.text for m in two.dm()] == [
                "You haven't started a course yet. Type courses to pick one."
            ]
            assert stranger.dm() == []
            for call in world.fake.calls:
                if "channel" in call.args:
                    assert call.team == {"D1SAME": "T0ONE", "D2SAME": "T0TWO"}[call.args["channel"]]

    asyncio.run(scenario())
    with database.transaction() as session:
        bots = session.execute(select(slack_bots.c.team_id, slack_bots.c.bot_token).order_by("team_id")).all()
        assert [tuple(bot) for bot in bots] == [("T0ONE", "xoxb-one-token"), ("T0TWO", "xoxb-two-token")]
        assert len(session.execute(select(slack_installations.c.id)).all()) == 2
        assert session.execute(select(slack_oauth_states.c.id)).all() == []  # each state used once
        identities = session.scalars(select(LearnerIdentity).order_by(LearnerIdentity.workspace)).all()
        assert [(i.workspace, i.user_id) for i in identities] == [("T0ONE", "U0SAME"), ("T0TWO", "U0SAME")]
        assert identities[0].learner_id != identities[1].learner_id
        enrolment = session.scalars(select(Enrolment)).one()
        assert enrolment.learner_id == identities[0].learner_id


def test_an_event_from_a_workspace_without_the_app_is_not_answered_with_another_ones_token(
    engine: Engine, database: Database
) -> None:
    """Bolt finds the token by `authorizations` before `team_id`; a workspace that never
    installed the app must not be answered with the token of one that did."""

    async def scenario() -> None:
        async with slack_world(
            engine, "http", bot_token=None, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        ) as world:
            world.fake.client = (CLIENT_ID, CLIENT_SECRET)
            world.fake.allow_install("code-one", "T0ONE", "xoxb-one-token")
            assert await install(world, "code-one") == 200
            stranger = world.learner("U0SAME", team="T0STRANGER", channel="D3SAME")
            body = event_body("T0STRANGER", direct_message("D3SAME", "U0SAME", "courses"), "Ev0STRANGER")
            body["authorizations"][0]["team_id"] = "T0ONE"
            assert await world.transport.event(body) == 200
            await world.bot.drained()
            assert stranger.dm() == []
            assert {call.method for call in world.fake.calls} == {"oauth.v2.access", "auth.test"}

    asyncio.run(scenario())
    with database.transaction() as session:
        assert session.execute(select(LearnerIdentity.id)).all() == []
        assert session.execute(select(InboxEntry.id)).all() == []


def test_a_workspace_is_still_answered_while_slack_cannot_confirm_its_token(engine: Engine) -> None:
    """Bolt confirms a token with `auth.test` and drops the request (answered 200) when that
    fails; the answer is remembered, so an outage after it costs no request."""

    async def scenario() -> None:
        async with slack_world(
            engine, "http", bot_token=None, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        ) as world:
            world.fake.client = (CLIENT_ID, CLIENT_SECRET)
            world.fake.allow_install("code-one", "T0ONE", "xoxb-one-token")
            assert await install(world, "code-one") == 200
            one = world.learner("U0SAME", team="T0ONE", channel="D1SAME")
            await one.say("progress")
            world.fake.fail("auth.test", "text/plain")
            await one.say("courses")
            assert [m.text for m in one.dm()] == [
                "You haven't started a course yet. Type courses to pick one.",
                "Which course would you like to take?",
            ]
            # At the install, then at the first request; asked no more.
            assert [c.status for c in world.fake.calls if c.method == "auth.test"] == [200, 200]

    asyncio.run(scenario())
