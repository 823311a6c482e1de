"""A helpdesk that received a Telegram learner's hand-off by webhook answers through
`POST /support/replies`: the reply reaches the learner in Telegram, "resolved" settles the
hand-off, and forged, stale, malformed or repeated requests change nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.config import HandoffSettings
from bot.content.model import ContentPack
from bot.engine import Engine
from bot.handoff.desk import HandoffDesk
from bot.handoff.helpdesk_replies import REPLIES_PATH, HelpdeskReplies
from storage.db import Database
from storage.models import Handoff, LearnerMessage
from tests.helpdesk import SECRET, FakeHelpdesk
from tests.outboxes import deliver_everything
from tests.telegram.fake_chats import Person
from tests.telegram.harness import Learner, telegram_world
from tests.threaded_server import ThreadedServer

ANN = Person(51001, "Ann", "Lee", language_code="en")


def test_a_helpdesk_reply_reaches_the_telegram_learner(
    bundled_content: ContentPack, database: Database
) -> None:
    replies = ThreadedServer(
        HelpdeskReplies(HandoffDesk(database, HandoffSettings(webhook_secret=SECRET))).routes()
    )
    url = f"http://127.0.0.1:{replies.start('127.0.0.1', 0)}{REPLIES_PATH}"

    async def scenario() -> None:
        helpdesk = FakeHelpdesk()
        await helpdesk.start()
        support = HandoffSettings(webhook_url=helpdesk.url, webhook_secret=SECRET)
        try:
            async with (
                telegram_world(Engine(bundled_content, database, handoff=support), "polling") as world,
                aiohttp.ClientSession() as http,
            ):

                async def post(document: dict[str, Any], *, age_s: int = 0, secret: str | None = None) -> int:
                    body = json.dumps(document).encode()
                    signer = FakeHelpdesk(secret) if secret else helpdesk
                    async with http.post(
                        url, data=body, headers=signer.signed(body, age_s=age_s)
                    ) as response:
                        return response.status

                ann = Learner(world, ANN)
                await ann.say("is the moon made of cheese")
                await deliver_everything(world.bot)
                [hook] = helpdesk.accepted()
                handoff_id = hook.document["handoff_id"]

                reply = {
                    "handoff_id": handoff_id,
                    "text": "No, but our roadmap is.",
                    "agent": "Sam",
                    "reply_id": "zd-1",
                }
                assert await post(reply) == 200
                assert await post(reply) == 200  # the helpdesk retried: relayed once
                assert await post({**reply, "reply_id": "zd-2"}, secret="someone-else") == 401
                assert await post({**reply, "reply_id": "zd-3"}, age_s=600) == 401
                assert await post({**reply, "handoff_id": 999, "reply_id": "zd-4"}) == 404
                assert await post({"handoff_id": handoff_id}) == 400
                await deliver_everything(world.bot)
                assert [m.text for m in ann.transcript() if m.from_bot][
                    -1
                ] == "💬 Sam from support: No, but our roadmap is."

                assert await post({"handoff_id": handoff_id, "resolved": True, "agent": "Sam"}) == 200
                await deliver_everything(world.bot)
                assert [m.text for m in ann.transcript() if m.from_bot][-1] == (
                    "Support marked your question “is the moon made of cheese” as resolved. "
                    "If anything is still unclear, just ask again."
                )
        finally:
            await helpdesk.stop()

    try:
        asyncio.run(scenario())
    finally:
        replies.stop()
    with database.transaction() as session:
        handoff = session.scalars(select(Handoff)).one()
        assert (handoff.status, handoff.resolved_by) == ("resolved", "webhook:Sam")
        kinds = session.scalars(select(LearnerMessage.kind).order_by(LearnerMessage.id)).all()
        assert kinds == ["support_reply", "handoff_resolved"]
