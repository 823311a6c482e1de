"""`POST /support/replies` under properly signed, malformed documents: none gets a 5xx,
none logs a traceback, and nothing is queued for the learner or changed in the hand-off.

A real hand-off is open first (a console learner's question nobody could answer, with a
helpdesk webhook configured), with id 1: a document that smuggles `true` in as the id, or
any other wrong type, must not reach it. Documents that README calls valid for that
hand-off are left out (they would rightly relay); for any other id they must change
nothing either. The end of the test checks that a valid reply does get queued, so the
property cannot hold vacuously.
"""

from __future__ import annotations

import http.client
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import assume
from hypothesis import strategies as st
from sqlalchemy import text

from bot.config import HandoffSettings
from bot.content.model import ContentPack
from bot.engine import Engine
from bot.handoff.desk import HandoffDesk
from bot.handoff.helpdesk_replies import REPLIES_PATH, HelpdeskReplies
from storage.db import Database
from tests.engine.chat import Chat
from tests.helpdesk import SECRET, FakeHelpdesk
from tests.properties.malformed import (
    HUGE_INTS,
    Field,
    Json,
    Mutation,
    json_values,
    mutations,
    raw_bodies,
)
from tests.properties.watch import (
    Tracebacks,
    changes,
    for_all,
    shown,
    snapshot,
    watching_tracebacks,
)
from tests.threaded_server import ThreadedServer

SEEDED_ID = 1
LONG_TEXT = "x" * 60_000
OPEN_HANDOFFS = text("SELECT id FROM handoffs WHERE status = 'open'")
_reply_ids = itertools.count(1)


def valid_for_readme(document: object) -> bool:
    """README's contract for a reply, written out independently of `parse_reply`."""
    if not isinstance(document, dict):
        return False
    handoff_id = document.get("handoff_id")
    text = document.get("text", "")
    agent = document.get("agent", "")
    resolved = document.get("resolved", False)
    if type(handoff_id) is not int or not 1 <= handoff_id < 2**63:
        return False
    if not isinstance(text, str) or not isinstance(agent, str) or not isinstance(resolved, bool):
        return False
    return bool(text.strip()) or resolved


@dataclass
class RepliesDoor:
    port: int
    database: Database
    logged: Tracebacks
    helpdesk: FakeHelpdesk
    connection: http.client.HTTPConnection | None = None

    def post(self, body: bytes, content_type: str | None = "application/json") -> int:
        headers = self.helpdesk.signed(body)
        if content_type is None:
            del headers["Content-Type"]
        else:
            headers["Content-Type"] = content_type
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request("POST", REPLIES_PATH, body=body, headers=headers)
                answer = self.connection.getresponse()
                answer.read()
                return answer.status
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def check(self, what: object, body: bytes, content_type: str | None = "application/json") -> None:
        before = snapshot(self.database)
        status = self.post(body, content_type)
        changed = changes(before, snapshot(self.database))
        tracebacks = self.logged.take()
        sent = f"document: {what!r}\nbody: {shown(body, 600)}"
        assert status < 500, f"HTTP {status} for a malformed reply\n{sent}\n" + "\n".join(tracebacks)
        assert tracebacks == [], f"a traceback was logged\n{sent}\n" + "\n\n".join(tracebacks)
        assert changed == [], f"the learner's state or the hand-off changed\n{sent}\n" + "\n".join(changed)


@pytest.fixture
def door(bundled_content: ContentPack, sqlite_database: Database) -> Iterator[RepliesDoor]:
    support = HandoffSettings(webhook_url="http://127.0.0.1:9/never-called", webhook_secret=SECRET)
    Chat(Engine(bundled_content, sqlite_database, handoff=support)).say("is the moon made of cheese")
    with sqlite_database.transaction() as session:
        assert session.execute(OPEN_HANDOFFS).scalar_one() == SEEDED_ID
    replies = ThreadedServer(
        HelpdeskReplies(HandoffDesk(sqlite_database, HandoffSettings(webhook_secret=SECRET))).routes()
    )
    port = replies.start("127.0.0.1", 0)
    door = RepliesDoor(port, sqlite_database, Tracebacks(), FakeHelpdesk())
    try:
        with watching_tracebacks() as logged:
            door.logged = logged
            yield door
    finally:
        if door.connection is not None:
            door.connection.close()
        replies.stop()


def well_formed() -> Json:
    return {
        "handoff_id": SEEDED_ID,
        "text": "No, but our roadmap is.",
        "agent": "Sam",
        "resolved": False,
        "reply_id": f"zd-{next(_reply_ids)}",
    }


# --- 1. bodies that are not a reply at all ---------------------------------------------


def test_random_bodies(door: RepliesDoor) -> None:
    for_all(raw_bodies(), lambda sent: door.check(sent, sent.body, sent.content_type), examples=250)


# --- 2. a reply with a field removed or of the wrong type ------------------------------

FIELDS = [
    Field(("handoff_id",), int),
    Field(("text",), str),
    Field(("agent",), str, required=False),
    Field(("resolved",), bool, required=False),
]
IDS = st.one_of(
    st.sampled_from(HUGE_INTS),
    st.sampled_from([True, False, 1.0, "1", [1], {"id": 1}, None, 0, -1, -(2**63)]),
    st.integers(),
)


@dataclass(frozen=True)
class Mutated:
    mutation: Mutation
    long_text: bool
    """The text is 60,000 characters (under the 64 KiB body limit)."""

    def apply(self) -> Json:
        document = well_formed()
        if self.long_text:
            document["text"] = LONG_TEXT
        return self.mutation.apply(document)

    def __repr__(self) -> str:
        return f"<reply with {self.mutation!r}{' and a 60,000-character text' if self.long_text else ''}>"


mutated = st.builds(
    Mutated,
    st.one_of(
        mutations(FIELDS),
        IDS.map(lambda value: Mutation(("handoff_id",), value)),
        st.sampled_from(["", "   ", "\n"]).map(lambda blank: Mutation(("text",), blank)),
    ),
    st.booleans(),
)


def _check_mutated(door: RepliesDoor, sent: Mutated) -> None:
    document = sent.apply()
    assume(not (valid_for_readme(document) and document["handoff_id"] == SEEDED_ID))
    door.check(sent, json.dumps(document).encode())


def test_replies_with_a_field_removed_or_of_the_wrong_type(door: RepliesDoor) -> None:
    for_all(mutated, lambda sent: _check_mutated(door, sent), examples=550)
    before = snapshot(door.database)
    assert door.post(json.dumps(well_formed()).encode()) == 200
    assert changes(before, snapshot(door.database)) != [], "a valid reply changed nothing"


# --- 3. any document made of the reply's keys ------------------------------------------


@dataclass(frozen=True)
class Document:
    document: dict[str, Any]

    def __repr__(self) -> str:
        return f"<document {json.dumps(self.document)[:600]}>"


documents = st.dictionaries(
    st.sampled_from(["handoff_id", "text", "agent", "resolved", "reply_id"]) | st.text(max_size=8),
    json_values,
    max_size=5,
).map(Document)


def _check_document(door: RepliesDoor, sent: Document) -> None:
    assume(not (valid_for_readme(sent.document) and sent.document["handoff_id"] == SEEDED_ID))
    door.check(sent, json.dumps(sent.document).encode())


def test_any_document_of_the_replys_keys(door: RepliesDoor) -> None:
    for_all(documents, lambda sent: _check_document(door, sent), examples=200)
