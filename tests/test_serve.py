"""`lessonloop serve` as a real process: Slack over HTTP, Telegram by webhook, helpdesk
replies and health checks on one port; a learner answered on each platform; SIGTERM ends it
cleanly within 10 s; with nothing configured it says what to set."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.web.health import health_routes
from storage.db import Database
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, TEAM, sign
from tests.slack.payloads import direct_message, event_body
from tests.slack.process import environment, until
from tests.telegram.fake_bot_api import TOKEN, FakeTelegram
from tests.telegram.fake_chats import Person
from tests.telegram.harness import WEBHOOK_PATH, WEBHOOK_SECRET
from tests.threaded_server import ThreadedServer

ROOT = Path(__file__).resolve().parents[1]
ANN = Person(51001, "Ann", "Lee", language_code="en")


def free_port() -> int:
    """A port nobody listens on now: Telegram must be told the webhook's URL before it is served."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def started(env: dict[str, str], port: int) -> tuple[asyncio.subprocess.Process, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    said: list[str] = []
    while not said or "serving at" not in said[-1]:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
        assert line, f"serve ended before it was serving: {said}"
        said.append(line.strip())
    return process, said


def test_serve_runs_both_platforms_and_every_route_on_one_port(database_url: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    async def scenario() -> None:
        slack, telegram = FakeSlack(), FakeTelegram()
        await slack.start()
        slack.add_workspace(TEAM, BOT_TOKEN)
        await telegram.start()
        env = environment(
            database_url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=telegram.root,
            TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
            TELEGRAM_WEBHOOK_URL=f"{base}{WEBHOOK_PATH}",
            LESSONLOOP_SUPPORT_WEBHOOK_URL="http://127.0.0.1:9/helpdesk",
            LESSONLOOP_SUPPORT_WEBHOOK_SECRET="helpdesk-secret",
        )
        process, said = await started(env, port)
        try:
            assert said[-4:] == [
                f"lessonloop: helpdesk replies at {base}/support/replies",
                f"lessonloop: Slack requests at {base}/slack/events",
                f"lessonloop: @lessonloop_test_bot takes updates at {base}{WEBHOOK_PATH}",
                f"lessonloop: serving at {base} (health: /healthz, /readyz)",
            ]
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{base}/healthz") as alive:
                    assert (alive.status, await alive.json()) == (200, {"alive": True})
                async with session.get(f"{base}/readyz") as ready:
                    assert (ready.status, await ready.json()) == (200, {"ready": True})
                async with session.post(f"{base}/support/replies", json={"handoff_id": 1}) as unsigned:
                    assert unsigned.status == 401
                body = json.dumps(
                    event_body(TEAM, direct_message(FakeSlack.dm("U0ANN"), "U0ANN", "help"), "Ev0SERVE")
                )
                headers = {"Content-Type": "application/json", **sign(body)}
                async with session.post(f"{base}/slack/events", data=body, headers=headers) as event:
                    assert event.status == 200
            await until(lambda: bool(slack.made("chat.postMessage")))
            await telegram.handled(await telegram.say(ANN, "help"))
            await until(lambda: any(message.from_bot for message in telegram.transcript(ANN)))

            asked_to_stop = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), timeout=30) == 0
            assert time.monotonic() - asked_to_stop < 10
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await telegram.close()
            await slack.stop()
        assert slack.violations == []

    asyncio.run(scenario())


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_serve_with_nothing_configured_says_what_to_set(database_url: str) -> None:
    env = {
        name: value
        for name, value in environment(database_url, LESSONLOOP_LOG_LEVEL="WARNING").items()
        if not name.startswith(("SLACK_", "TELEGRAM_"))
    }
    finished = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (finished.returncode, finished.stdout) == (2, "")
    assert finished.stderr == (
        "lessonloop: nothing to serve: set TELEGRAM_BOT_TOKEN for Telegram, and SLACK_BOT_TOKEN with "
        "SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP) for Slack; README's Telegram and "
        "Slack sections say where to find each\n"
    )


def test_readyz_is_503_until_the_database_has_this_versions_schema(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    server = ThreadedServer(health_routes(database))
    port = server.start("127.0.0.1", 0)

    async def ask() -> tuple[int, object]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/readyz") as ready,
        ):
            return ready.status, await ready.json()

    try:
        status, answer = asyncio.run(ask())
    finally:
        server.stop()
        database.dispose()
    assert status == 503
    assert isinstance(answer, dict)
    assert answer["ready"] is False
    assert str(answer["reason"]).startswith("the database is at revision None, this version needs ")
