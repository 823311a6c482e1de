"""Support in a Slack channel: hand-offs posted there, "Mark resolved", and thread replies
relayed to the learner.

Each hand-off is one message in the support channel (the learner, their platform, the
question, the last turns, a "Mark resolved" button). An agent answers in the message's
thread: every reply there that is not from a bot reaches the learner through the bot, on
whichever platform they asked. "Mark resolved" records who resolved it, rewrites the
message to say so, and tells the learner. The app needs `channels:history` (a private
channel: `groups:history`) and the `message.channels` (`message.groups`) event to see
replies; README's manifest has them. Thread replies and presses are stored in the inbox
before they are acknowledged, like the learners' own requests, so a crash loses no reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import escape
from bot.adapters.slack.events import Payload, plain_text, team_of
from bot.adapters.slack.people import People
from bot.adapters.slack.web_api import FAILED, error_code
from bot.handoff.cases import REASONS
from bot.handoff.desk import HandoffDesk
from bot.handoff.dispatch import Dispatcher, Posted
from storage.handoffs import HandoffCase, TranscriptLine

log = logging.getLogger(__name__)

RESOLVE_ACTION = "handoff-resolve"
LINE_LIMIT = 300
SECTION_LIMIT = 2900
"""Under Block Kit's 3,000 characters per section text."""
QUESTION_LIMIT = 500
"""Escaping may make a character five (`&amp;`): 500 stay under the section limit."""

REPLY, RESOLVE = "support_reply", "support_resolve"
KINDS = frozenset({REPLY, RESOLVE})
"""The inbox kinds of support's requests: `SlackSupport.work` does them."""

Store = Callable[[str, tuple[str, str], str, Payload], Awaitable[None]]
"""Commits a request to the inbox: its kind, who sent it (team, user), its event id, the body."""


def handoff_blocks(case: HandoffCase, resolved_by: str | None = None) -> list[Payload]:
    """The support channel's message for `case`: with the button while open, with who
    resolved it once resolved."""
    who = escape(case.learner_name or "A learner")
    mention = f" (<@{case.user_id}>)" if case.platform == "slack" and case.user_id else ""
    blocks: list[Payload] = [
        {
            "type": "section",
            "block_id": f"handoff-{case.id}-who",
            "text": {
                "type": "mrkdwn",
                "text": f"🙋 *{who}*{mention} on {case.platform.capitalize()} needs a person",
            },
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"Hand-off #{case.id}: {REASONS.get(case.reason, case.reason)}"}
            ],
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*Question*\n{escape(_cut(case.question, QUESTION_LIMIT))}"},
        },
    ]
    if case.transcript:
        lines = [_transcript_line(line, case) for line in case.transcript]
        text = "*Last turns*\n" + "\n".join(lines)
        while len(text) > SECTION_LIMIT and len(lines) > 1:  # keep the latest turns
            lines.pop(0)
            text = "*Last turns*\n" + "\n".join(lines)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SECTION_LIMIT)}})
    if resolved_by is None:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"handoff-{case.id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": RESOLVE_ACTION,
                        "text": {"type": "plain_text", "text": "✅ Mark resolved"},
                        "value": str(case.id),
                        "style": "primary",
                    }
                ],
            }
        )
    else:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"✅ Resolved by {resolved_by}"}]}
        )
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "Reply in this thread to answer the learner."}],
        }
    )
    return blocks


def fallback_text(case: HandoffCase) -> str:
    """The notification text, escaped too: a learner's `<!channel>` must not ping support."""
    who = case.learner_name or "A learner"
    return escape(f"🙋 {who} ({case.platform}) needs a person: {_cut(case.question, QUESTION_LIMIT)}")


def _transcript_line(line: TranscriptLine, case: HandoffCase) -> str:
    speaker = (
        case.learner_name.split(" ")[0]
        if line.speaker == "learner" and case.learner_name
        else line.speaker.capitalize()
    )
    return f"*{escape(speaker)}:* {escape(_cut(' '.join(line.text.split()), LINE_LIMIT))}"


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SlackSupport:
    """The Slack channel as a hand-off destination, and what support does there."""

    name = "slack"

    def __init__(self, client: AsyncWebClient, channel: str, desk: HandoffDesk, people: People) -> None:
        self._client = client
        self._channel = channel
        self._desk = desk
        self._people = people

    async def post(self, case: HandoffCase) -> Posted:
        response = await self._client.chat_postMessage(
            channel=self._channel, text=fallback_text(case), blocks=handoff_blocks(case)
        )
        return Posted(str(response["channel"]), str(response["ts"]))

    def listen(self, app: AsyncApp, store: Store) -> None:
        """Store "Mark resolved" presses and thread replies, then acknowledge them; register
        before the learners' own `message` listener (Bolt runs the first listener that matches)."""

        async def is_support_reply(body: Payload) -> bool:
            event = body.get("event")
            return (
                isinstance(event, dict)
                and event.get("channel") == self._channel
                and _text(event.get("thread_ts")) != ""
                and event.get("thread_ts") != event.get("ts")
                and event.get("subtype") in (None, "thread_broadcast")  # not edits, joins, bots
                and not event.get("bot_id")
                and _text(event.get("user")) != ""
                and _text(body.get("event_id")) != ""
            )

        async def on_reply(ack: AsyncAck, body: Payload) -> None:
            await store(REPLY, (team_of(body), body["event"]["user"]), body["event_id"], body)
            await ack()

        async def on_resolve(ack: AsyncAck, body: Payload) -> None:
            action = body["actions"][0]  # Bolt matched its action_id: an object
            user = body.get("user")
            value, agent = _text(action.get("value")), _text(user.get("id") if isinstance(user, dict) else "")
            if value.isdigit() and agent:
                when = _text(action.get("action_ts"))
                await store(RESOLVE, (team_of(body), agent), f"resolve:{when}:{agent}", body)
            else:
                log.warning("a 'Mark resolved' press without a hand-off or an agent: acknowledged, not done")
            await ack()

        app.event("message", matchers=[is_support_reply])(on_reply)
        app.action(RESOLVE_ACTION)(on_resolve)

    async def work(self, kind: str, body: Payload) -> None:
        """A stored thread reply (relayed to the learner) or "Mark resolved" press."""
        if kind == REPLY:
            event = body["event"]
            agent = (team_of(body), event["user"])
            await self._relay(agent, event["thread_ts"], _text(event.get("text")), body["event_id"])
            return
        action = body["actions"][0]
        container = body.get("container") or {}
        where = (container.get("channel_id", ""), container.get("message_ts", ""))
        await self._resolve((team_of(body), body["user"]["id"]), int(action["value"]), where)

    async def _relay(self, agent: tuple[str, str], thread_ts: str, text: str, event_id: str) -> None:
        handoff_id = await asyncio.to_thread(self._desk.handoff_of, self.name, self._channel, thread_ts)
        if handoff_id is None:
            return  # a thread of some other message in the support channel
        profile = await self._people.profile(self._client, *agent)
        reply = plain_text(text)
        too_long = await asyncio.to_thread(self._desk.too_long, handoff_id, profile.first_name, reply)
        if too_long is not None:
            await self._say_in_thread(
                thread_ts, f"⚠️ Not sent: {too_long.error()}. Shorten it and send it again."
            )
            return
        await asyncio.to_thread(
            partial(self._desk.reply, handoff_id, profile.first_name, reply, delivery_key=f"slack:{event_id}")
        )

    async def _say_in_thread(self, thread_ts: str, text: str) -> None:
        try:
            await self._client.chat_postMessage(channel=self._channel, thread_ts=thread_ts, text=escape(text))
        except FAILED as error:
            log.warning("a note in support thread %s was not posted: %s", thread_ts, error_code(error))

    async def _resolve(self, agent: tuple[str, str], handoff_id: int, where: tuple[str, str]) -> None:
        case = await asyncio.to_thread(self._desk.resolve, handoff_id, f"slack:{agent[1]}")
        channel, ts = where
        if case is None or not channel or not ts:
            return
        blocks = handoff_blocks(case, f"<@{agent[1]}>")
        try:
            await self._client.chat_update(channel=channel, ts=ts, text=fallback_text(case), blocks=blocks)
        except FAILED as error:  # resolved all the same; the message keeps its button
            log.warning("chat.update of hand-off %s failed: %s", handoff_id, error_code(error))


def support_channel(client: AsyncWebClient, desk: HandoffDesk, people: People) -> SlackSupport | None:
    """The support channel, when one is configured and the bot token can reach it."""
    channel = desk.settings.slack_channel
    if channel and not client.token:
        log.warning(
            "support_slack_channel needs SLACK_BOT_TOKEN (one workspace); its hand-offs stay queued "
            "(use the webhook or a Telegram group with many workspaces)"
        )
        return None
    return SlackSupport(client, channel, desk, people) if channel else None


def dispatcher(desk: HandoffDesk, channel: SlackSupport | None) -> Dispatcher:
    """What a Slack process sends support: hand-offs to the support `channel` and the
    webhook (when configured)."""
    return desk.dispatcher([channel] if channel is not None else [])
