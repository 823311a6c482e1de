"""Slack requests (Events API events, button presses, `/learn`) as what the engine needs.

Payloads stay dicts only here: each is turned into an `Incoming` before anything else
looks at it. Ids make redeliveries recognisable: an event's `event_id`, and for a press
the pressed message and the press's own `action_ts`, which Slack repeats when it retries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.adapters.slack.people import Profile
from bot.adapters.slack.updates import Shown, prompt_block
from bot.flows.commands import parse as parse_command
from bot.messages import InboundEvent, Platform, Sender

Payload = dict[str, Any]

_LABELLED_LINK = re.compile(r"<[^<>|]+\|([^<>]*)>")
_BARE_LINK = re.compile(r"<((?:https?|mailto):[^<>|]+)>")


@dataclass(frozen=True)
class Incoming:
    """One thing a learner did in Slack, before their profile is looked up."""

    team: str
    user: str
    event_id: str
    channel: str = ""
    """Where to answer; "" means the learner's direct messages with the app."""
    text: str | None = None
    choices: tuple[str, ...] = ()
    start_payload: str | None = None
    pressed: Shown | None = None
    response_url: str | None = None
    """Answer only the learner, through this URL (`/learn`, a press on such an answer)."""

    @property
    def learner(self) -> tuple[str, str]:
        return self.team, self.user


def from_message(body: Payload) -> Incoming | None:
    """A learner's own message in their DM with the app; None for anything else (edits,
    joins, bots, channels)."""
    event = body.get("event") or {}
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return None
    if not event.get("user") or "text" not in event:
        return None
    return Incoming(
        team=team_of(body),
        user=event["user"],
        event_id=body["event_id"],
        channel=event["channel"],
        text=plain_text(event["text"]),
    )


def from_first_visit(body: Payload) -> Incoming:
    """The learner opened the app's Messages tab: greeted if new (`slack` checks that)."""
    event = body["event"]
    return Incoming(
        team=team_of(body),
        user=event["user"],
        event_id=body["event_id"],
        channel=event["channel"],
        start_payload="",
    )


def from_press(body: Payload) -> Incoming | None:
    """A pressed answer button on one of our messages (in the DM or an ephemeral answer)."""
    container = body.get("container") or {}
    action = (body.get("actions") or [{}])[0]
    parts = prompt_block(action.get("block_id", ""))
    if parts is None or "value" not in action or container.get("type") != "message":
        return None
    ephemeral = bool(container.get("is_ephemeral"))
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    response_url = body.get("response_url") if ephemeral else None
    # Slack leaves an ephemeral message out of the payload: then only its buttons are known.
    message = body.get("message") or {"blocks": [{"type": "actions", "block_id": action["block_id"]}]}
    shown = Shown(
        channel=channel,
        ts=container["message_ts"],
        blocks=tuple(message.get("blocks") or ()),
        prompt_id=parts[1],
        kind=parts[0],
        response_url=response_url,
    )
    return Incoming(
        team=team_of(body),
        user=body["user"]["id"],
        event_id=f"action:{container['message_ts']}:{action['action_ts']}",
        channel="" if ephemeral else channel,
        choices=(action["value"],),
        pressed=shown,
        response_url=response_url,
    )


def from_home_press(body: Payload) -> Incoming:
    """A button on the App Home tab: continue (resume) or start a course; answered in the DM."""
    action = body["actions"][0]
    view_id = (body.get("container") or {}).get("view_id") or (body.get("view") or {}).get("id", "")
    starting = action["action_id"].startswith("home-start")
    return Incoming(
        team=team_of(body),
        user=body["user"]["id"],
        event_id=f"action:{view_id}:{action['action_ts']}",
        text=None if starting else "resume",
        start_payload=action.get("value", "") if starting else None,
    )


def from_command(body: Payload) -> Incoming:
    """`/learn [courses | progress | ask <question> | ...]`, answered only to the learner.

    Text that is not a command is taken as a question, so `/learn` in a channel can never
    answer a lesson's question by accident."""
    text = plain_text(body.get("text") or "").strip() or "help"
    if parse_command(text) is None:
        text = f"ask {text}"
    return Incoming(
        team=body.get("team_id", ""),
        user=body["user_id"],
        event_id=f"command:{body['trigger_id']}",
        text=text,
        response_url=body["response_url"],
    )


def inbound(
    incoming: Incoming, profile: Profile, conversation_id: str, received_at: datetime
) -> InboundEvent:
    sender = Sender(
        platform=Platform.SLACK,
        user_id=incoming.user,
        workspace=incoming.team,
        first_name=profile.first_name,
        last_name=profile.last_name,
        locale_hint=profile.locale,
        timezone=profile.timezone,
    )
    return InboundEvent(
        sender=sender,
        conversation_id=conversation_id,
        event_id=incoming.event_id,
        received_at=received_at,
        text=incoming.text,
        choices=incoming.choices,
        start_payload=incoming.start_payload,
    )


def plain_text(mrkdwn: str) -> str:
    """What the learner typed: Slack's link markup and `&amp;`-style escapes undone."""
    text = _BARE_LINK.sub(r"\1", _LABELLED_LINK.sub(r"\1", mrkdwn))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def team_of(body: Payload) -> str:
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    if not team:
        team = (body.get("user") or {}).get("team_id", "")
    return str(team)
