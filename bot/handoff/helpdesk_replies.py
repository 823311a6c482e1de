"""Replies from a helpdesk: a signed `POST /support/replies` that reaches the learner.

The helpdesk that received a hand-off by webhook answers with the same signature scheme
(`bot.handoff.webhook`, same shared secret) and a JSON body `{"handoff_id": 12, "text":
"...", "agent": "Sam", "resolved": false, "reply_id": "..."}`; `text` may be left out
when it only resolves. The reply is queued for the learner like a Slack thread reply; the
process serving the learner's platform sends it. `reply_id` (the helpdesk's own id for the
reply, else the body's hash) makes a retried POST do nothing twice.

What could never be delivered is refused at the door rather than retried for a day. A
`handoff_id` that is not a whole number from 1 to BIGINT's maximum (JSON `true` included)
is a 400; a reply longer than one message on the learner's platform takes
(`bot.handoff.reply_limits`) is a 413 naming how much text fits: the helpdesk does not
retry a 4xx, and the agent can shorten it now.

`lessonloop serve` takes it on its one port, or on a port of its own with `--support-port`
(to keep it off the public address); it only writes to the database, so any process can.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass

from aiohttp import web

from bot.handoff.desk import HandoffDesk
from bot.handoff.reply_limits import TooLong, too_long_for
from bot.handoff.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_is_valid

log = logging.getLogger(__name__)

REPLIES_PATH = "/support/replies"
MAX_BODY = 64 * 1024
MAX_HANDOFF_ID = 2**63 - 1
"""`handoffs.id` is a BIGINT on PostgreSQL and a 64-bit INTEGER on SQLite."""
EXPECTED = "{handoff_id: int, text: str, resolved?: bool}"


class MalformedReplyError(ValueError):
    """The body is not a reply; the message tells the helpdesk what is wrong."""


@dataclass(frozen=True)
class HelpdeskReply:
    handoff_id: int
    text: str
    agent: str
    resolved: bool
    reply_id: str


def parse_reply(body: bytes) -> HelpdeskReply:
    """The reply in `body`; `MalformedReplyError` (a 400) saying what is wrong if it is not one."""
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise MalformedReplyError(f"expected a JSON object: {EXPECTED}")
    handoff_id, text = document.get("handoff_id"), document.get("text", "")
    agent, resolved = document.get("agent", ""), document.get("resolved", False)
    # bool is an int in Python: `true` must not be taken for hand-off 1.
    if type(handoff_id) is not int or not 1 <= handoff_id <= MAX_HANDOFF_ID:
        raise MalformedReplyError(f"handoff_id must be a whole number from 1 to {MAX_HANDOFF_ID}")
    if not isinstance(text, str):
        raise MalformedReplyError("text must be a string")
    if not isinstance(agent, str):
        raise MalformedReplyError("agent must be a string")
    if not isinstance(resolved, bool):
        raise MalformedReplyError("resolved must be true or false")
    if not (text.strip() or resolved):
        raise MalformedReplyError("expected text, or resolved: true")
    reply_id = document.get("reply_id")
    key = str(reply_id) if reply_id else hashlib.sha256(body).hexdigest()
    return HelpdeskReply(handoff_id, text.strip(), agent.strip()[:100], resolved, key[:150])


class HelpdeskReplies:
    """The endpoint's route, for the process's one HTTP application (`bot.web`)."""

    def __init__(self, desk: HandoffDesk) -> None:
        self._desk = desk
        self._secret = desk.settings.webhook_secret

    def routes(self) -> list[web.RouteDef]:
        return [web.post(REPLIES_PATH, self._receive)]

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()  # the server refuses over 1 MB; a reply takes far less
        if len(body) > MAX_BODY:
            return web.json_response({"ok": False, "error": f"the body is over {MAX_BODY} bytes"}, status=413)
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not signature_is_valid(self._secret, timestamp, body, given, now=time.time()):
            return web.json_response({"ok": False, "error": "bad or expired signature"}, status=401)
        try:
            reply = parse_reply(body)
        except MalformedReplyError as error:
            return web.json_response({"ok": False, "error": str(error)}, status=400)
        found = await asyncio.to_thread(self._apply, reply)
        if found is None:
            return web.json_response({"ok": False, "error": "no such hand-off"}, status=404)
        if isinstance(found, TooLong):
            answer = {"ok": False, "error": found.error(), "max_text_length": found.room}
            return web.json_response(answer, status=413)
        relayed, resolved = found
        return web.json_response({"ok": True, "relayed": relayed, "resolved": resolved})

    def _apply(self, reply: HelpdeskReply) -> tuple[bool, bool] | TooLong | None:
        """(relayed now, resolved now or before); `TooLong` (and nothing done) for a reply
        that cannot be delivered; None for an unknown hand-off."""
        case = self._desk.case(reply.handoff_id)
        if case is None:
            return None
        too_long = too_long_for(case, reply.agent, reply.text)
        if too_long is not None:
            return too_long
        key = f"webhook:{reply.reply_id}"
        relayed = bool(reply.text) and self._desk.reply(case.id, reply.agent, reply.text, delivery_key=key)
        if reply.resolved:
            by = f"webhook:{reply.agent}" if reply.agent else "webhook"
            case = self._desk.resolve(case.id, by) or case
        return relayed, case.status == "resolved"
