"""`lessonloop run slack --support-port` as a process, wired as in production: a learner's
unanswerable question reaches the support channel and the helpdesk through the process's
own dispatcher, the helpdesk's signed reply comes back to the learner, and no secret (the
webhook's included) is logged even at DEBUG."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import aiohttp

from tests.helpdesk import SECRET, FakeHelpdesk
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, TEAM, sign
from tests.slack.payloads import direct_message, event_body
from tests.slack.process import environment


async def eventually(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the process did not get there in time")
        await asyncio.sleep(0.05)


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
        arguments = ["--http", "--port", "0", "--listen", "127.0.0.1", "--support-port", "0"]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "slack",
            *arguments,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None
        assert process.stderr is not None
        stderr = asyncio.create_task(process.stderr.read())
        try:
            replies_url = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode().split()[-1]
            events_url = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode().split()[-1]
            assert replies_url.endswith("/support/replies")
            async with aiohttp.ClientSession() as http:
                text = json.dumps(
                    event_body(
                        TEAM, direct_message("DU0ANN", "U0ANN", "is the moon made of cheese"), "Ev0MOON"
                    )
                )
                headers = {"Content-Type": "application/json", **sign(text)}
                async with http.post(events_url, data=text, headers=headers) as response:
                    assert response.status == 200
                await eventually(lambda: bool(fake.messages["C0SUPPORT"]) and bool(helpdesk.accepted()))
                assert fake.messages["DU0ANN"][-1].text == (
                    "I've passed your question to our support team: a person will reply here.\n"
                    "Support hours: Mon-Fri 9:00-18:00 CET."
                )
                handoff_id = helpdesk.accepted()[0].document["handoff_id"]
                body = json.dumps(
                    {"handoff_id": handoff_id, "text": "Only on Tuesdays.", "agent": "Sam"}
                ).encode()
                async with http.post(replies_url, data=body, headers=helpdesk.signed(body)) as response:
                    assert (response.status, await response.json()) == (
                        200,
                        {"ok": True, "relayed": True, "resolved": False},
                    )
                await eventually(
                    lambda: fake.messages["DU0ANN"][-1].text == "💬 Sam from support: Only on Tuesdays."
                )
        finally:
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), timeout=30) == 0
            await helpdesk.stop()
            await fake.stop()
        assert fake.violations == []
        assert len(helpdesk.received) == 1
        return (await stderr).decode()

    logged = asyncio.run(scenario())
    assert "DEBUG" in logged
    for secret in (BOT_TOKEN, SIGNING_SECRET, SECRET):
        assert secret not in logged
