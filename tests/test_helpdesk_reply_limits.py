"""A helpdesk's reply is refused at `POST /support/replies` when it could never be
delivered: too long for the learner's platform (413, naming the limit), or a body whose
`handoff_id` is not a hand-off number at all (400, saying what is expected). Nothing is
queued for a refused reply; one that fits exactly is relayed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.config import HandoffSettings
from bot.content.loader import load_content
from bot.engine import Engine
from bot.handoff.desk import HandoffDesk
from bot.handoff.helpdesk_replies import REPLIES_PATH, HelpdeskReplies
from bot.messages import Platform, Sender
from storage.db import Database
from storage.models import Handoff, LearnerMessage
from tests.engine.chat import Chat
from tests.helpdesk import SECRET, FakeHelpdesk
from tests.threaded_server import ThreadedServer

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "💬 Sam from support: "


def units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts (💬 is two)."""
    return len(text.encode("utf-16-le")) // 2


TELEGRAM_ROOM = 4096 - units(PREFIX)
SLACK_ROOM = 40_000 - units(PREFIX)


@pytest.fixture
def endpoint(database: Database) -> Iterator[str]:
    server = ThreadedServer(
        HelpdeskReplies(HandoffDesk(database, HandoffSettings(webhook_secret=SECRET))).routes()
    )
    yield f"http://127.0.0.1:{server.start('127.0.0.1', 0)}{REPLIES_PATH}"
    server.stop()


def post(url: str, document: Any) -> tuple[int, Any]:
    """Status and JSON answer of one signed POST, as a helpdesk sends it."""

    async def send() -> tuple[int, Any]:
        body = json.dumps(document).encode()
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, data=body, headers=FakeHelpdesk().signed(body)) as response,
        ):
            return response.status, await response.json()

    return asyncio.run(send())


def hand_off(database: Database, platform: Platform, user: str) -> int:
    """A learner on `platform` asks what the FAQ cannot answer; the hand-off's id."""
    support = HandoffSettings(webhook_url="http://127.0.0.1:9/never-called", webhook_secret=SECRET)
    chat = Chat(Engine(load_content([ROOT / "content"]), database, handoff=support))
    chat.sender = Sender(platform, user, first_name="Ann")
    chat.say("is the moon made of cheese")
    with database.transaction() as session:
        return session.scalars(select(Handoff.id).order_by(Handoff.id.desc())).first() or 0


def queued(database: Database) -> list[tuple[str, int]]:
    with database.transaction() as session:
        rows = session.execute(
            select(LearnerMessage.platform, LearnerMessage.text).order_by(LearnerMessage.id)
        )
        return [(platform, units(text)) for platform, text in rows]


def test_a_reply_longer_than_the_learners_platform_takes_is_refused_naming_the_limit(
    database: Database, endpoint: str
) -> None:
    telegram = hand_off(database, Platform.TELEGRAM, "51001")
    slack = hand_off(database, Platform.SLACK, "U0ANN")

    def reply(handoff_id: int, text: str, reply_id: str) -> tuple[int, Any]:
        return post(endpoint, {"handoff_id": handoff_id, "text": text, "agent": "Sam", "reply_id": reply_id})

    assert reply(telegram, "x" * (TELEGRAM_ROOM + 1), "zd-1") == (
        413,
        {
            "ok": False,
            "error": f"the reply is too long for Telegram: {TELEGRAM_ROOM + 1} characters of text, "
            f"at most {TELEGRAM_ROOM} fit in one message (4096 with “{PREFIX.strip()}” before it)",
            "max_text_length": TELEGRAM_ROOM,
        },
    )
    assert reply(slack, "x" * 60_000, "zd-2") == (
        413,
        {
            "ok": False,
            "error": f"the reply is too long for Slack: 60000 characters of text, "
            f"at most {SLACK_ROOM} fit in one message (40000 with “{PREFIX.strip()}” before it)",
            "max_text_length": SLACK_ROOM,
        },
    )
    # Slack is sent `&` as `&amp;`: what counts is what chat.postMessage receives.
    ampersands = SLACK_ROOM // 5 + 1
    status, answer = reply(slack, "&" * ampersands, "zd-3")
    assert (status, answer["error"]) == (
        413,
        f"the reply is too long for Slack: {5 * ampersands} characters of text, "
        f"at most {SLACK_ROOM} fit in one message (40000 with “{PREFIX.strip()}” before it)",
    )
    assert queued(database) == []

    assert reply(telegram, "x" * TELEGRAM_ROOM, "zd-4") == (
        200,
        {"ok": True, "relayed": True, "resolved": False},
    )
    assert reply(slack, "x" * SLACK_ROOM, "zd-5") == (200, {"ok": True, "relayed": True, "resolved": False})
    assert queued(database) == [("telegram", 4096), ("slack", 40_000)]


def test_a_handoff_id_that_is_not_a_positive_whole_number_in_range_is_a_400(
    database: Database, endpoint: str
) -> None:
    handoff_id = hand_off(database, Platform.TELEGRAM, "51001")
    expected = (
        400,
        {"ok": False, "error": "handoff_id must be a whole number from 1 to 9223372036854775807"},
    )
    for wrong in (2**63, True, False, 0, -1, "1", 1.0, None):
        assert post(endpoint, {"handoff_id": wrong, "text": "hello"}) == expected, wrong
    assert post(endpoint, {"text": "hello"}) == expected
    assert post(endpoint, {"handoff_id": handoff_id, "text": 5}) == (
        400,
        {"ok": False, "error": "text must be a string"},
    )
    assert post(endpoint, {"handoff_id": handoff_id, "text": "hi", "resolved": "yes"}) == (
        400,
        {"ok": False, "error": "resolved must be true or false"},
    )
    assert post(endpoint, {"handoff_id": handoff_id}) == (
        400,
        {"ok": False, "error": "expected text, or resolved: true"},
    )
    assert post(endpoint, [handoff_id]) == (
        400,
        {"ok": False, "error": "expected a JSON object: {handoff_id: int, text: str, resolved?: bool}"},
    )
    assert post(endpoint, {"handoff_id": 2**63 - 1, "text": "hello"}) == (
        404,
        {"ok": False, "error": "no such hand-off"},
    )
    assert queued(database) == []
