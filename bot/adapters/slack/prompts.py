"""Messages on screen that still carry a prompt's buttons, kept in the database.

When a learner answers a button prompt by typing, the engine's `ChoiceAccepted` names only
the prompt; rewriting the message needs its channel, timestamp and blocks. Kept in
`platform_messages` (kind `slack_prompt`, keyed by team, user and prompt id), they are
found by whichever process handles the learner's next event, also after a restart. Rows
are written in the transaction that marks the inbox entry done, so they are there before
the learner's next entry is taken; a prompt's row goes once its buttons are gone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.adapters.slack.events import Incoming
from bot.adapters.slack.updates import Shown
from bot.messages import ChoiceAccepted, Platform, QuizQuestionReply, Reply
from storage.platform_state import (
    RememberedMessage,
    find_message,
    forget_messages,
    forget_messages_before,
    remember_messages,
)

KIND = "slack_prompt"
KEEP = timedelta(days=30)
"""A prompt left unanswered this long keeps its buttons; pressing them gets "expired"."""

PromptChanges = Mapping[str, Shown | None]
"""Per prompt id, the message now showing its buttons, or None where they are gone."""


def prompts_to_find(incoming: Incoming, replies: Sequence[Reply]) -> list[str]:
    """The prompts the replies change whose message the request itself does not show: one
    answered by typing, or a pressed ephemeral message (Slack leaves out its blocks). A
    quiz question is only redrawn in place when pressed, so only then is it looked up."""
    pressed = incoming.pressed
    wanted = []
    ephemeral = pressed is not None and pressed.response_url is not None
    for reply in replies:
        if not isinstance(reply, ChoiceAccepted | QuizQuestionReply):
            continue
        shown_here = pressed is not None and pressed.prompt_id == reply.prompt_id
        redrawn = (
            shown_here and ephemeral if isinstance(reply, QuizQuestionReply) else not shown_here or ephemeral
        )
        if redrawn:
            wanted.append(reply.prompt_id)
    return list(dict.fromkeys(wanted))


def find_shown(session: Session, team: str, user: str, prompt_ids: Iterable[str]) -> dict[str, Shown]:
    found = {}
    for prompt_id in prompt_ids:
        row = find_message(session, Platform.SLACK.value, KIND, _key(team, user, prompt_id))
        if row is not None:
            details = row.details
            found[prompt_id] = Shown(
                channel=row.conversation_id,
                ts=details["ts"],
                blocks=tuple(json.loads(details["blocks"])),
                prompt_id=prompt_id,
                kind=details["kind"],
                response_url=details.get("response_url"),
            )
    return found


@dataclass(frozen=True)
class ShownChanges:
    """What one event changed on a learner's screen, saved when its inbox entry is done."""

    team: str
    user: str
    changes: PromptChanges
    now: datetime


def save_shown(session: Session, saved: Sequence[ShownChanges]) -> None:
    """Save several events' changes (of different learners) with one delete and one upsert."""
    gone: list[str] = []
    shown_now: list[RememberedMessage] = []
    for each in saved:
        for prompt_id, shown in each.changes.items():
            key = _key(each.team, each.user, prompt_id)
            if shown is None:
                gone.append(key)
                continue
            details = {"ts": shown.ts, "kind": shown.kind, "blocks": json.dumps(shown.blocks)}
            if shown.response_url is not None:
                details["response_url"] = shown.response_url
            shown_now.append(
                RememberedMessage(KIND, key, each.user, shown.channel, details, each.now, workspace=each.team)
            )
    forget_messages(session, Platform.SLACK.value, KIND, gone)
    remember_messages(session, Platform.SLACK.value, shown_now)


def forget_old(session: Session, now: datetime) -> int:
    return forget_messages_before(session, Platform.SLACK.value, now - KEEP)


def _key(team: str, user: str, prompt_id: str) -> str:
    return f"{team}:{user}:{prompt_id}"
