"""Slack requests (Events API events, button presses, `/learn`) as what the engine needs.

Payloads stay dicts only here: each is turned into an `Incoming` before anything else
looks at it, and one that lacks a field a turn needs, or has it in another type than
Slack's, raises `UnusableRequestError` rather than a `KeyError` in a listener. Ids make
redeliveries recognisable: an event's `event_id`, and for a press the pressed message and
the press's own `action_ts`, which Slack repeats when it retries.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from bot.adapters.slack.people import Profile
from bot.adapters.slack.updates import Shown, prompt_block
from bot.flows.commands import parse as parse_command
from bot.messages import InboundEvent, Platform, Sender

Payload = dict[str, Any]
"""A Slack request body (or a part of one) as JSON decodes it."""

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


STORED_FORMAT = 2
"""The inbox holds what was read from a request, under this number; an entry without it
holds the request's raw body, as version 0.1.0 stored it."""


def stored(incoming: Incoming) -> str:
    """The inbox's copy of a request: what was read from it at the door, so the work after
    the acknowledgement does not read the body again."""
    return json.dumps({"format": STORED_FORMAT, "incoming": asdict(incoming)})


def from_stored(payload: Payload) -> Incoming | None:
    """The `Incoming` an inbox entry holds; None for a raw body stored by version 0.1.0."""
    fields = payload.get("incoming")
    if payload.get("format") != STORED_FORMAT or not isinstance(fields, dict):
        return None
    pressed = fields.get("pressed")
    return Incoming(
        **{
            **fields,
            "choices": tuple(fields["choices"]),
            "pressed": None if pressed is None else Shown(**{**pressed, "blocks": tuple(pressed["blocks"])}),
        }
    )


class UnusableRequestError(ValueError):
    """A request (signed, so from Slack) that lacks what a learner's turn needs, or has it
    in another type: a user, a channel, an action. It is acknowledged and logged, never
    answered: Slack would only send it again."""


def from_message(body: Payload) -> Incoming | None:
    """A learner's own message in their DM with the app; None for anything else (edits,
    joins, bots, channels)."""
    event = _object(body, "event")
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return None
    text = event.get("text")
    if not isinstance(text, str):
        raise UnusableRequestError("event.text missing or not a string")
    return Incoming(
        team=_team(body),
        user=_text(event, "user", "event"),
        event_id=_text(body, "event_id"),
        channel=_text(event, "channel", "event"),
        text=plain_text(text),
    )


def from_first_visit(body: Payload) -> Incoming:
    """The learner opened the app's Messages tab: greeted if new (`slack` checks that)."""
    event = _object(body, "event")
    return Incoming(
        team=_team(body),
        user=_text(event, "user", "event"),
        event_id=_text(body, "event_id"),
        channel=_text(event, "channel", "event"),
        start_payload="",
    )


def from_press(body: Payload) -> Incoming | None:
    """A pressed answer button on one of our messages (in the DM or an ephemeral answer);
    None for a button that is not an answer's."""
    container = _object(body, "container")
    action = _first_action(body)
    parts = prompt_block(_optional(action, "block_id") or "")
    if parts is None or container.get("type") != "message":
        return None
    ephemeral = bool(container.get("is_ephemeral"))
    channel = _optional(container, "channel_id") or _optional(_object(body, "channel"), "id") or ""
    response_url = _optional(body, "response_url") if ephemeral else None
    # Slack leaves an ephemeral message out of the payload: then only its buttons are known.
    message = _object(body, "message") or {"blocks": [{"type": "actions", "block_id": action["block_id"]}]}
    message_ts = _text(container, "message_ts", "container")
    shown = Shown(
        channel=channel,
        ts=message_ts,
        blocks=_objects(message.get("blocks")),
        prompt_id=parts[1],
        kind=parts[0],
        response_url=response_url,
    )
    return Incoming(
        team=_team(body),
        user=_text(_object(body, "user"), "id", "user"),
        event_id=f"action:{message_ts}:{_text(action, 'action_ts', 'action')}",
        channel="" if ephemeral else channel,
        choices=(_text(action, "value", "action"),),
        pressed=shown,
        response_url=response_url,
    )


def from_home_press(body: Payload) -> Incoming:
    """A button on the App Home tab: continue (resume) or start a course; answered in the DM."""
    action = _first_action(body)
    view_id = _optional(_object(body, "container"), "view_id") or _optional(_object(body, "view"), "id") or ""
    starting = _text(action, "action_id", "action").startswith("home-start")
    return Incoming(
        team=_team(body),
        user=_text(_object(body, "user"), "id", "user"),
        event_id=f"action:{view_id}:{_text(action, 'action_ts', 'action')}",
        text=None if starting else "resume",
        start_payload=(_optional(action, "value") or "") if starting else None,
    )


def from_command(body: Payload) -> Incoming:
    """`/learn [courses | progress | ask <question> | ...]`, answered only to the learner.

    Text that is not a command is taken as a question, so `/learn` in a channel can never
    answer a lesson's question by accident."""
    text = plain_text(_optional(body, "text") or "").strip() or "help"
    if parse_command(text) is None:
        text = f"ask {text}"
    return Incoming(
        team=_team(body),
        user=_text(body, "user_id"),
        event_id=f"command:{_text(body, 'trigger_id')}",
        text=text,
        response_url=_text(body, "response_url"),
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
        email=profile.email,
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
    """The workspace a request comes from; "" if it names none (or not as Slack does)."""
    try:
        team = _optional(body, "team_id")
        if not team:
            named = body.get("team")
            team = named if isinstance(named, str) else _optional(_object(body, "team"), "id")
        return team or _optional(_object(body, "user"), "team_id") or ""
    except UnusableRequestError:
        return ""


def _team(body: Payload) -> str:
    team = team_of(body)
    if not team:
        raise UnusableRequestError("no team")
    return team


def _object(found: Payload, key: str) -> Payload:
    """`found[key]` if it is an object; an empty one if it is absent or empty (`null`, `""`,
    `[]`), so a reader falls back on another field that says the same. Any other value is not
    Slack's: `UnusableRequestError`."""
    value = found.get(key)
    if isinstance(value, dict):
        return value
    if value:
        raise UnusableRequestError(f"{key} is not an object")
    return {}


def _objects(value: object) -> tuple[Payload, ...]:
    """The objects in `value` if it is a list; none if it is absent or empty. Any other value
    is not Slack's: `UnusableRequestError`."""
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, dict))
    if value:
        raise UnusableRequestError("blocks is not a list")
    return ()


def _first_action(body: Payload) -> Payload:
    actions = body.get("actions")
    return actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}


def _optional(found: Payload, key: str) -> str | None:
    """`found[key]` if it is a string; None if it is absent or empty. Any other value is not
    Slack's: `UnusableRequestError`."""
    value = found.get(key)
    if isinstance(value, str):
        return value
    if value:
        raise UnusableRequestError(f"{key} is not a string")
    return None


def _text(found: Payload, key: str, where: str = "") -> str:
    """`found[key]`, a string that is not empty, or `UnusableRequestError`."""
    value = found.get(key)
    if isinstance(value, str) and value:
        return value
    raise UnusableRequestError(f"{where + '.' if where else ''}{key} missing or not a string")
