"""One aiohttp server for the routes the parts of a process hand in.

Each part checks its own requests (signatures, body sizes), so the server adds nothing but
the socket: a request for another path gets aiohttp's 404, and stopping lets the requests
in progress finish for a few seconds before their connections are closed.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

SHUTDOWN_S = 5.0
"""How long requests in progress may take after a stop: inside SIGTERM's 10 s with room for
the work after them."""
MAX_BODY = 1 << 20
"""Slack's and Telegram's bodies are far below it; a part that takes less checks itself."""


class WebServer:
    def __init__(self, routes: Sequence[web.RouteDef]) -> None:
        self._routes = list(routes)
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on `host:port`; returns the port bound (useful with 0)."""
        app = web.Application(client_max_size=MAX_BODY)
        app.add_routes(self._routes)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_S)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop taking requests; those in progress are finished first."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
