"""`lessonloop run slack --http` as a real process the tests can start, send to, and kill."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.slack.harness import sign

ROOT = Path(__file__).resolve().parents[2]
Json = dict[str, Any]


def environment(database_url: str, **variables: str) -> dict[str, str]:
    kept = {name: value for name, value in os.environ.items() if not name.startswith("SLACK_")}
    return {
        **kept,
        "LESSONLOOP_DATABASE_URL": database_url,
        "LESSONLOOP_CONTENT_DIR": str(ROOT / "content"),
        "LESSONLOOP_LOG_LEVEL": "DEBUG",
        **variables,
    }


@dataclass
class SlackProcess:
    process: asyncio.subprocess.Process
    url: str
    stderr: asyncio.Task[bytes]
    helpdesk_url: str = ""
    """With `--support-port`: where a helpdesk posts its replies."""

    @classmethod
    async def start(cls, env: dict[str, str], *arguments: str, http: bool = True) -> SlackProcess:
        """Start it (with any further `arguments`) and wait until it says where it listens,
        or (`http=False`) that it is connected in Socket Mode; `url` is then ""."""
        mode = ["--http", "--port", "0", "--listen", "127.0.0.1"] if http else []
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "slack",
            *mode,
            *arguments,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None
        assert process.stderr is not None
        stderr = asyncio.create_task(process.stderr.read())
        helpdesk_url = ""
        while True:
            ready = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
            if "helpdesk replies at" in ready:
                helpdesk_url = ready.rsplit(" ", 1)[1].strip()
                continue
            expected = "Slack requests at" if http else "connected to Slack in Socket Mode"
            assert expected in ready, (ready, (await stderr).decode()[-3000:])
            url = ready.rsplit(" ", 1)[1].strip() if http else ""
            return cls(process, url, stderr, helpdesk_url)

    async def post(self, body: str, content_type: str) -> int:
        headers = {"Content-Type": content_type, **sign(body)}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=body, headers=headers) as answer,
        ):
            await answer.read()
            return answer.status

    async def event(self, body: Json) -> int:
        return await self.post(json.dumps(body), "application/json")

    async def interaction(self, payload: Json) -> int:
        return await self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    async def kill(self) -> None:
        """SIGKILL: no clean-up, no finishing the work in hand."""
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.stderr.cancel()

    async def stop(self) -> str:
        """SIGTERM, which must end it cleanly; its stderr."""
        self.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(self.process.wait(), timeout=30) == 0
        return (await self.stderr).decode()


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)
