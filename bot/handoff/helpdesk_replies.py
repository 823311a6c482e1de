"""Replies from a helpdesk: a signed `POST /support/replies` that reaches the learner.

The helpdesk that received a hand-off by webhook answers with the same signature scheme
(`bot.handoff.webhook`, same shared secret) and a JSON body `{"handoff_id": 12, "text":
"...", "agent": "Sam", "resolved": false, "reply_id": "..."}`; `text` may be left out
when it only resolves. The reply is queued for the learner like a Slack thread reply; the
process serving the learner's platform sends it. `reply_id` (the helpdesk's own id for the
reply, else the body's hash) makes a retried POST do nothing twice.

`lessonloop run slack|telegram --support-port N` serves it on its own small aiohttp server
in a thread of its own: it only writes to the database, so it needs nothing of the
adapter's event loop, and either platform's process can take it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from bot.handoff.cases import relay_reply, resolve
from bot.handoff.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_is_valid
from storage.db import Database
from storage.handoffs import find_case

log = logging.getLogger(__name__)

REPLIES_PATH = "/support/replies"
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class HelpdeskReply:
    handoff_id: int
    text: str
    agent: str
    resolved: bool
    reply_id: str


def parse_reply(body: bytes) -> HelpdeskReply | None:
    """The reply in `body`, or None if it is not one (then the helpdesk gets a 400)."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    handoff_id, text = document.get("handoff_id"), document.get("text", "")
    agent, resolved = document.get("agent", ""), document.get("resolved", False)
    if not isinstance(handoff_id, int) or not isinstance(text, str) or not isinstance(agent, str):
        return None
    if not isinstance(resolved, bool) or not (text.strip() or resolved):
        return None
    reply_id = document.get("reply_id")
    key = str(reply_id) if reply_id else hashlib.sha256(body).hexdigest()
    return HelpdeskReply(handoff_id, text.strip(), agent.strip()[:100], resolved, key[:150])


class ReplyServer:
    """The endpoint on 127.0.0.1 or wherever `host` says, in a thread of its own."""

    def __init__(self, database: Database, secret: str) -> None:
        self._database = database
        self._secret = secret
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="support-replies", daemon=True)

    def start(self, host: str, port: int) -> int:
        """Start serving; returns the port bound (useful with 0)."""
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self._start(host, port), self._loop).result(timeout=10)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self, host: str, port: int) -> int:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(REPLIES_PATH, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        return int(self._runner.addresses[0][1])

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not signature_is_valid(self._secret, timestamp, body, given, now=time.time()):
            return web.json_response({"ok": False, "error": "bad or expired signature"}, status=401)
        reply = parse_reply(body)
        if reply is None:
            return web.json_response(
                {"ok": False, "error": "expected {handoff_id: int, text: str, resolved?: bool}"}, status=400
            )
        found = await asyncio.to_thread(self._apply, reply)
        if found is None:
            return web.json_response({"ok": False, "error": "no such hand-off"}, status=404)
        relayed, resolved = found
        return web.json_response({"ok": True, "relayed": relayed, "resolved": resolved})

    def _apply(self, reply: HelpdeskReply) -> tuple[bool, bool] | None:
        """(relayed now, resolved now or before); None for an unknown hand-off."""
        now = datetime.now(UTC)
        with self._database.transaction() as session:
            case = find_case(session, reply.handoff_id)
        if case is None:
            return None
        key = f"webhook:{reply.reply_id}"
        relayed = bool(reply.text) and relay_reply(
            self._database, case.id, reply.agent, reply.text, now, delivery_key=key
        )
        if reply.resolved:
            by = f"webhook:{reply.agent}" if reply.agent else "webhook"
            case = resolve(self._database, case.id, by, now) or case
        return relayed, case.status == "resolved"
