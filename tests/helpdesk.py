"""A fake helpdesk on 127.0.0.1: receives hand-off webhooks and checks their signature the
way README tells a real receiver to, with its own HMAC code (not Lessonloop's), and signs
the replies it sends back the same way."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SECRET = "helpdesk-shared-secret-1f9c"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_valid: bool
    status: int = 200

    @property
    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class FakeHelpdesk:
    secret: str = SECRET
    received: list[Received] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    """Statuses (and headers) to answer the next requests with, before the usual 200."""
    url: str = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks/lessonloop", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hooks/lessonloop"

    async def stop(self) -> None:
        await self._runner.cleanup()

    def signed(self, body: bytes, *, age_s: int = 0) -> dict[str, str]:
        """Headers for a reply back to Lessonloop, signed `age_s` seconds ago."""
        timestamp = str(int(time.time()) - age_s)
        digest = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/json",
            "X-Lessonloop-Timestamp": timestamp,
            "X-Lessonloop-Signature": f"v1={digest}",
        }

    def accepted(self) -> list[Received]:
        """The deliveries it took: signed right and answered 2xx."""
        return [r for r in self.received if r.signature_valid and r.status == 200]

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers.get("X-Lessonloop-Timestamp", "")
        signed = f"{timestamp}.".encode() + body
        expected = "v1=" + hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
        valid = fresh and hmac.compare_digest(expected, request.headers.get("X-Lessonloop-Signature", ""))
        status, headers = (401, {}) if not valid else self.answers.pop(0) if self.answers else (200, {})
        self.received.append(Received(dict(request.headers), body, valid, status))
        return web.Response(status=status, headers=headers, text="ok" if status == 200 else "refused")
