"""What the fake Slack keeps: the calls made to it, and messages as a learner sees them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

APP_ID = "A0LESSON"
BOT_USER = "U0BOT"
BOT_ID = "B0BOT"

Json = dict[str, Any]


@dataclass
class Call:
    method: str
    team: str | None
    """The workspace of the token the call was made with."""
    args: Json
    at: float
    status: int = 200


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[Json]
    ephemeral_for: str | None = None
    response_url: str | None = None
    """For an ephemeral message: the URL its buttons' presses carry."""
    thread_ts: str | None = None
    """For a reply in a thread: the ts of the message it answers."""

    def buttons(self) -> list[Json]:
        return [e for block in self.blocks if block["type"] == "actions" for e in block["elements"]]


@dataclass
class Person:
    first_name: str
    last_name: str = ""
    tz: str = "Europe/Berlin"
    locale: str = "en-US"
    email: str | None = None
    """On the profile, as Slack gives it to an app with `users:read.email`."""


@dataclass
class Responder:
    """A `response_url` handed out, and the ephemeral message it may replace."""

    team: str
    channel: str
    user: str
    message: Message | None = None
