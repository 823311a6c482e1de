"""`lessonloop run slack --support-port` as a process, wired as in production: a learner's
unanswerable question reaches the support channel and the helpdesk through the process's
own dispatcher, the helpdesk's signed reply comes back to the learner, and no secret (the
webhook's included) is logged even at DEBUG."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from tests.helpdesk import SECRET, FakeHelpdesk
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, TEAM
from tests.slack.payloads import direct_message, event_body
from tests.slack.process import SlackProcess, environment, until


def test_run_slack_hands_off_and_takes_the_helpdesk_reply(database_url: str) -> None:
    async def scenario() -> str:
        fake, helpdesk = FakeSlack(), FakeHelpdesk()
        await fake.start()
        await helpdesk.start()
        fake.add_workspace(TEAM, BOT_TOKEN)
        env = environment(
            database_url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_API_URL=fake.api_url,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            LESSONLOOP_SUPPORT_SLACK_CHANNEL="C0SUPPORT",
            LESSONLOOP_SUPPORT_WEBHOOK_URL=helpdesk.url,
            LESSONLOOP_SUPPORT_WEBHOOK_SECRET=SECRET,
            LESSONLOOP_SUPPORT_HOURS="Mon-Fri 9:00-18:00 CET",
        )
        process = await SlackProcess.start(env, "--support-port", "0")
        try:
            assert process.helpdesk_url.endswith("/support/replies")
            moon = direct_message("DU0ANN", "U0ANN", "is the moon made of cheese")
            assert await process.event(event_body(TEAM, moon, "Ev0MOON")) == 200
            await until(lambda: bool(fake.messages["C0SUPPORT"]) and bool(helpdesk.accepted()))
            assert fake.messages["DU0ANN"][-1].text == (
                "I've passed your question to our support team: a person will reply here.\n"
                "Support hours: Mon-Fri 9:00-18:00 CET."
            )
            handoff_id = helpdesk.accepted()[0].document["handoff_id"]
            body = json.dumps(
                {"handoff_id": handoff_id, "text": "Only on Tuesdays.", "agent": "Sam"}
            ).encode()
            async with (
                aiohttp.ClientSession() as http,
                http.post(process.helpdesk_url, data=body, headers=helpdesk.signed(body)) as response,
            ):
                assert (response.status, await response.json()) == (
                    200,
                    {"ok": True, "relayed": True, "resolved": False},
                )
            await until(lambda: fake.messages["DU0ANN"][-1].text == "💬 Sam from support: Only on Tuesdays.")
        finally:
            logged = await process.stop()
            await helpdesk.stop()
            await fake.stop()
        assert fake.violations == []
        assert len(helpdesk.received) == 1
        return logged

    logged = asyncio.run(scenario())
    assert "DEBUG" in logged
    for secret in (BOT_TOKEN, SIGNING_SECRET, SECRET):
        assert secret not in logged
