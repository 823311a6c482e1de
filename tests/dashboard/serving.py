"""`serve` in the test's event loop with only its HTTP application: the dashboard on a
seeded history, at a real port on 127.0.0.1, the process's clock at `seeded.NOW`."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

from bot.bootstrap import assemble
from bot.config import HandoffSettings
from bot.content.loader import load_content
from bot.metrics.definitions import Definitions
from bot.service import Listening, Platforms, serve_until
from bot.web.dashboard.access import DashboardAccess
from bot.web.dashboard.passwords import hashed
from bot.web.dashboard.settings import DashboardSettings
from storage.db import Database
from tests.dashboard.seeded import NOW

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "retention is the point"
TOKEN = "wall-screen-token-7f3a9c"
ACCESS = DashboardAccess(hashed(PASSWORD), TOKEN)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def serving(database: Database, access: DashboardAccess = ACCESS) -> AsyncIterator[str]:
    """The base URL while `serve` runs; stopped afterwards."""
    core = assemble(load_content([ROOT / "content"]), database, HandoffSettings(), clock=lambda: NOW)
    dashboard = DashboardSettings(access, Definitions(zone=ZoneInfo("UTC")), "en")
    port = _free_port()
    stopping = asyncio.Event()
    running = asyncio.create_task(
        serve_until(stopping, core, Platforms(), Listening("127.0.0.1", port), dashboard=dashboard)
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(400):
                try:
                    async with session.get(f"{base}/healthz") as alive:
                        if alive.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    assert not running.done(), running.exception()
                    await asyncio.sleep(0.05)
        yield base
    finally:
        stopping.set()
        await asyncio.wait_for(running, timeout=30)
