"""The serving process takes `POST /data/<kind>` on its one port when `data_token` or
`data_secret` is set, and has no such route when neither is."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest

from bot.bootstrap import assemble
from bot.config import HandoffSettings
from bot.content.loader import load_content
from bot.customers.records_endpoint import NO_DATA_ACCESS, DataAccess
from bot.service import Listening, Platforms, serve_until
from storage.db import Database
from tests.customers.stored import customers

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "crm-token-0b7f"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _post_while_serving(database: Database, access: DataAccess) -> int:
    """Serve (no chat platform, only the HTTP application), POST one customer, stop."""
    core = assemble(load_content([ROOT / "content"]), database, HandoffSettings())
    port = _free_port()
    stopping = asyncio.Event()
    serving = asyncio.create_task(
        serve_until(stopping, core, Platforms(), Listening("127.0.0.1", port), data_access=access)
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as alive:
                        if alive.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    assert not serving.done(), serving.exception()
                    await asyncio.sleep(0.05)
            async with session.post(
                f"http://127.0.0.1:{port}/data/customers",
                json={"customer_id": "C-1", "plan": "Free"},
                headers={"Authorization": f"Bearer {TOKEN}"},
            ) as answer:
                return answer.status
    finally:
        stopping.set()
        await asyncio.wait_for(serving, timeout=30)


def test_serve_takes_records_with_the_token(database: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert asyncio.run(_post_while_serving(database, DataAccess(token=TOKEN))) == 200

    assert [row[:4] for row in customers(database)] == [("C-1", None, "", "Free")]
    assert "/data/{kind}" in capsys.readouterr().out


def test_without_a_token_or_secret_there_is_no_records_route(database: Database) -> None:
    assert asyncio.run(_post_while_serving(database, NO_DATA_ACCESS)) == 404

    assert customers(database) == []
