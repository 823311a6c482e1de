"""The fake Slack's Socket Mode side: a WebSocket on 127.0.0.1 that sends envelopes.

`apps.connections.open` (in `fake_slack`) hands out this server's ws:// URL. Each delivery
waits for the app's acknowledgement and fails the test if it takes longer than the
3 seconds Slack allows; a redelivery is the same payload with `retry_attempt` set, as Slack
sends it after a missed acknowledgement or a reconnect.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

from aiohttp import WSMsgType, web

ACK_DEADLINE_S = 3.0


class SocketModeServer:
    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.connected = asyncio.Event()
        self.ack_seconds: list[float] = []
        self._current: web.WebSocketResponse | None = None
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._serial = itertools.count(1)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._current = socket
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                "connection_info": {"app_id": self.app_id},
            }
        )
        self.connected.set()
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            waiting = self._acks.get(data.get("envelope_id", ""))
            if waiting is not None and not waiting.done():
                waiting.set_result(data)
        if self._current is socket:
            self.connected.clear()
        return socket

    async def deliver(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, envelope_id: str | None = None
    ) -> dict[str, Any]:
        """Send one envelope (`events_api`, `interactive`, `slash_commands`); the ack."""
        await asyncio.wait_for(self.connected.wait(), timeout=10)
        assert self._current is not None
        envelope_id = envelope_id or f"envelope-{next(self._serial)}"
        acknowledged: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = acknowledged
        started = time.monotonic()
        await self._current.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        try:
            ack = await asyncio.wait_for(acknowledged, timeout=ACK_DEADLINE_S)
        except TimeoutError:
            raise AssertionError(f"{kind} envelope {envelope_id} not acknowledged within 3 s") from None
        finally:
            del self._acks[envelope_id]
        self.ack_seconds.append(time.monotonic() - started)
        return ack

    async def close(self) -> None:
        if self._current is not None:
            await self._current.close()
