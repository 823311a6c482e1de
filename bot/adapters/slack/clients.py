"""The Web API client that speaks for a workspace, also for work taken over after a restart.

Bolt hands each listener a client with the right bot token; an inbox entry may be worked
on later, by another process, with no listener around. With one workspace the bot's own
client serves; with many, the listener's client is remembered per team for a while, and
otherwise the workspace's token is looked up in the installation store, as Bolt would.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from slack_sdk.web.async_client import AsyncWebClient

REMEMBER_S = 300.0
"""How long a workspace's client is reused before its token is looked up again."""

FindToken = Callable[[str], Awaitable[str | None]]


class Clients:
    def __init__(self, own: AsyncWebClient, find_token: FindToken | None) -> None:
        """`own` is the bot's client; `find_token` (many workspaces) a team's bot token."""
        self._own = own
        self._find_token = find_token
        self._known: dict[str, tuple[float, AsyncWebClient]] = {}

    def remember(self, team: str, client: AsyncWebClient) -> None:
        if self._find_token is not None:
            self._known[team] = (time.monotonic() + REMEMBER_S, client)

    async def client(self, team: str) -> AsyncWebClient:
        if self._find_token is None:
            return self._own
        known = self._known.get(team)
        if known is not None and known[0] > time.monotonic():
            return known[1]
        token = await self._find_token(team)
        if token is None:
            raise LookupError(f"no bot token for workspace {team}: the app is not installed there")
        client = AsyncWebClient(
            token=token,
            base_url=self._own.base_url,
            session=self._own.session,
            retry_handlers=list(self._own.retry_handlers),
        )
        self.remember(team, client)
        return client
