"""A process's HTTP routes served from a thread of their own, for tests that are not async
(the server is the production one, `bot.web.server.WebServer`)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from aiohttp import web

from bot.web.server import WebServer


class ThreadedServer:
    def __init__(self, routes: Sequence[web.RouteDef]) -> None:
        self._server = WebServer(routes)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="test-server", daemon=True)

    def start(self, host: str, port: int) -> int:
        """Start serving; returns the port bound (useful with 0)."""
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self._server.start(host, port), self._loop).result(timeout=10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._server.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
