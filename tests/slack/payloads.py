"""What Slack sends: Events API bodies, block_actions payloads and slash command forms,
shaped like the real ones (the fields Bolt and the adapter read, and a few around them)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.slack.fake_records import APP_ID, BOT_USER, Message

Json = dict[str, Any]
_serial = itertools.count(1)


def serial() -> int:
    return next(_serial)


def event_body(team: str, event: Json, event_id: str) -> Json:
    return {
        "token": "verification-token",
        "team_id": team,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": team, "user_id": BOT_USER, "is_bot": True, "is_enterprise_install": False}
        ],
    }


def direct_message(channel: str, user: str, text: str) -> Json:
    return {
        "type": "message",
        "channel": channel,
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
    }


def _pressed(team: str, user: str, block: Json, button: Json) -> Json:
    return {
        "type": "block_actions",
        "api_app_id": APP_ID,
        "token": "verification-token",
        "user": {"id": user, "team_id": team},
        "team": {"id": team, "domain": "acme"},
        "trigger_id": f"trigger-{serial()}",
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "block_id": block.get("block_id", ""),
                "value": button.get("value", ""),
                "text": button["text"],
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def press_payload(team: str, user: str, message: Message, button: Json) -> Json:
    """A press on a message's button; Slack sends the message along, unless it is ephemeral."""
    block = next(b for b in message.blocks if b["type"] == "actions" and button in b["elements"])
    ephemeral = message.ephemeral_for is not None
    payload = _pressed(team, user, block, button)
    payload["container"] = {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": message.channel,
        "is_ephemeral": ephemeral,
    }
    payload["channel"] = {"id": message.channel}
    if ephemeral:
        payload["response_url"] = message.response_url
    else:
        payload["message"] = {
            "type": "message",
            "ts": message.ts,
            "text": message.text,
            "blocks": message.blocks,
            "user": BOT_USER,
        }
    return payload


def home_press_payload(team: str, user: str, view: Json, label: str) -> Json:
    """A press on the App Home tab's button labelled `label`."""
    block, button = next(
        (b, e)
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == label
    )
    payload = _pressed(team, user, block, button)
    payload["container"] = {"type": "view", "view_id": f"V{user}"}
    payload["view"] = {"id": f"V{user}", **view}
    return payload


def command_form(team: str, user: str, channel: str, text: str, response_url: str) -> dict[str, str]:
    return {
        "command": "/learn",
        "text": text,
        "team_id": team,
        "user_id": user,
        "channel_id": channel,
        "trigger_id": f"trigger-{serial()}",
        "api_app_id": APP_ID,
        "response_url": response_url,
    }
