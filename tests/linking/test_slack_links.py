"""Slack learners tied to customers by their profile's email, and invite links, through the
real Bolt app against the fake Slack."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.engine import Engine
from bot.links.deep_links import invite_token
from bot.phrases import phrase
from storage.db import Database
from tests.linking.records import SECRET, Tie, add_customer, learner_id, marks, tie_of
from tests.slack.fake_records import APP_ID, Person
from tests.slack.harness import TEAM, World, slack_world

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret-77c1"
PUBLIC_URL = "https://bot.example.test"
INVITE_TEXT = phrase("invite_link", "en")

# slack_sdk 3.47 sends the client credentials with aiohttp's BasicAuth, which aiohttp 3.14
# deprecates; harmless, and not ours to change (as in tests/slack/test_slack_install.py).
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


def test_a_profile_email_ties_the_learner_to_that_customer(engine: Engine, database: Database) -> None:
    acme = add_customer(database, "cus_acme", "ann@acme.test")
    add_customer(database, "cus_other", "ann@other.test")

    async def first_visit() -> None:
        async with slack_world(engine) as world:
            world.fake.people["U0ANN"] = Person("Ann", email="Ann@Acme.TEST")
            ann = world.learner("U0ANN")
            await ann.say("courses")
            await ann.say("progress")

    async def profile_changed() -> None:
        async with slack_world(engine) as world:  # a new process: the profile is asked anew
            world.fake.people["U0ANN"] = Person("Ann", email="ann@other.test")
            await world.learner("U0ANN").say("progress")

    asyncio.run(first_visit())
    assert tie_of(database, "slack", "U0ANN") == Tie(acme)
    asyncio.run(profile_changed())
    assert tie_of(database, "slack", "U0ANN") == Tie(acme)  # tied already: left alone
    assert marks(database, "linked") == [(learner_id(database, "slack", "U0ANN"), "email")]


def test_a_profile_without_a_customers_email_ties_nobody(engine: Engine, database: Database) -> None:
    add_customer(database, "cus_acme", "ann@acme.test")

    async def scenario() -> None:
        async with slack_world(engine) as world:
            world.fake.people["U0BOB"] = Person("Bob", email="bob@elsewhere.test")
            world.fake.people["U0CAT"] = Person("Cat")
            await world.learner("U0BOB").say("courses")
            await world.learner("U0CAT").say("courses")

    asyncio.run(scenario())
    assert tie_of(database, "slack", "U0BOB") == tie_of(database, "slack", "U0CAT") == Tie(None)
    assert marks(database, "linked") == []


def test_the_default_scopes_ask_for_profile_emails() -> None:
    from bot.adapters.slack.settings import DEFAULT_SCOPES

    assert "users:read.email" in DEFAULT_SCOPES


def test_with_one_workspace_an_invite_opens_the_app_there(engine: Engine, database: Database) -> None:
    async def scenario() -> None:
        async with slack_world(engine) as world:
            ann = world.learner("U0ANN")
            await ann.say("courses")
            await ann.say("invite")
            link = f"https://slack.com/app_redirect?app={APP_ID}&amp;team={TEAM}"
            assert ann.dm()[-1].text == f"{INVITE_TEXT}\n🔗 <{link}|{link}>"

    asyncio.run(scenario())


async def _install(world: World, code: str, ref: str | None = None) -> int:
    """Open the install page (with an invite's `ref`), approve, come back to the redirect."""
    query = f"?ref={ref}" if ref else ""
    async with world.session.get(f"{world.url}/slack/install{query}") as page:
        assert page.status == 200
        html = await page.text()
        cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    found = re.search(r"state=([\w.-]+)", html)
    assert found is not None
    async with world.session.get(
        f"{world.url}/slack/oauth_redirect?code={code}&state={found[1]}", headers={"Cookie": cookie}
    ) as back:
        await back.read()
    await world.bot.drained()
    return back.status


def test_an_install_through_an_invite_makes_the_installer_a_referral(
    engine: Engine, database: Database
) -> None:
    async def scenario() -> None:
        async with slack_world(
            engine,
            "http",
            bot_token=None,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            public_url=PUBLIC_URL,
        ) as world:
            world.fake.client = (CLIENT_ID, CLIENT_SECRET)
            world.fake.allow_install("code-one", "T0ONE", "xoxb-one-token")
            world.fake.allow_install("code-two", "T0TWO", "xoxb-two-token")
            assert await _install(world, "code-one") == 200
            assert world.fake.messages["DU0INSTALLER"] == []  # no invite: nobody is written to
            ann = world.learner("U0ANN", team="T0ONE", channel="D1ANN")
            await ann.say("courses")
            await ann.say("invite")
            token = invite_token(SECRET, learner_id(database, "slack", "U0ANN"))
            link = f"{PUBLIC_URL}/slack/install?ref={token}"
            assert ann.dm()[-1].text == f"{INVITE_TEXT}\n🔗 <{link}|{link}>"

            assert await _install(world, "code-two", ref=token) == 200

            welcome = [message.text for message in world.fake.messages["DU0INSTALLER"]]
            assert welcome == [
                f"{phrase('welcome_new', 'en', name='U0INSTALLER')}\nWhich course would you like to take?"
            ]

    asyncio.run(scenario())
    ann_id = learner_id(database, "slack", "U0ANN")
    assert tie_of(database, "slack", "U0INSTALLER") == Tie(None, ann_id, "referral")
    assert marks(database, "referred") == [(learner_id(database, "slack", "U0INSTALLER"), str(ann_id))]


def test_an_install_with_a_forged_invite_refers_nobody(engine: Engine, database: Database) -> None:
    async def scenario() -> None:
        async with slack_world(
            engine, "http", bot_token=None, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        ) as world:
            world.fake.client = (CLIENT_ID, CLIENT_SECRET)
            world.fake.allow_install("code-one", "T0ONE", "xoxb-one-token")
            assert await _install(world, "code-one", ref=invite_token("not-our-secret", 1)) == 200

    asyncio.run(scenario())
    assert tie_of(database, "slack", "U0INSTALLER") == Tie(None)
    assert marks(database, "referred") == []
