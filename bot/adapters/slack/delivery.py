"""Showing one event's replies in Slack: new messages where the learner acted, and the
message whose button they pressed rewritten.

Answers to `/learn`, and to presses on those answers, go back through the request's
`response_url`, so only the learner sees them, in whatever channel they typed. Everything
else goes to the learner's DM with the app. `send` is given the messages on screen whose
prompts the replies name (`prompts` keeps them in the database, so a button
answered by typing loses its buttons in any process) and returns what changed on screen,
for the caller to save with the inbox entry's completion. A call that fails is logged and
the turn's other messages still go out: the engine has moved the learner on already, so
the next lesson must not wait on an edit Slack refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack.blocks import SlackMessage
from bot.adapters.slack.events import Incoming
from bot.adapters.slack.invites import InviteLinks
from bot.adapters.slack.pacing import ChannelPace
from bot.adapters.slack.prompts import PromptChanges
from bot.adapters.slack.updates import Post, Shown, Update, plan, prompt_block
from bot.adapters.slack.web_api import FAILED, error_code
from bot.messages import Reply

log = logging.getLogger(__name__)

_FAILED: ContextVar[list[str]] = ContextVar("slack_failed_calls")


@contextmanager
def counting_failures(failed: list[str]) -> Iterator[None]:
    """Collect in `failed` the error codes of the calls that fail while sending in this block
    (the outbox retries what failed; `send` itself logs and goes on)."""
    token = _FAILED.set(failed)
    try:
        yield
    finally:
        _FAILED.reset(token)


class Delivery:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        retry_handlers: list[AsyncRetryHandler],
        pace: ChannelPace | None = None,
        invites: InviteLinks | None = None,
    ) -> None:
        self._session = session
        self._retry_handlers = retry_handlers
        self._pace = pace or ChannelPace()
        self._invites = invites or InviteLinks(None)

    async def send(
        self,
        client: AsyncWebClient,
        incoming: Incoming,
        channel: str,
        replies: Sequence[Reply],
        on_screen: Mapping[str, Shown],
    ) -> PromptChanges:
        """Show `replies` to the learner of `incoming`; `channel` is where new messages go,
        `on_screen` the messages with buttons the replies may rewrite, by prompt id."""
        replies = await self._invites.written_out(client, incoming.team, replies)
        pressed = incoming.pressed
        changes: dict[str, Shown | None] = {}

        def find(prompt_id: str) -> Shown | None:
            remembered = on_screen.get(prompt_id)
            if pressed is None or pressed.prompt_id != prompt_id:
                return remembered
            if pressed.response_url is not None and remembered is not None:
                return replace(pressed, blocks=remembered.blocks)  # what the ephemeral message showed
            return pressed

        for step in plan(replies, find, pressed.prompt_id if pressed is not None else None):
            if isinstance(step, Update):
                await self._update(client, incoming, step, changes)
            else:
                await self._post(client, incoming, channel, step, changes)
        return changes

    async def _post(
        self,
        client: AsyncWebClient,
        incoming: Incoming,
        channel: str,
        step: Post,
        changes: dict[str, Shown | None],
    ) -> None:
        message = step.message
        ts = ""
        try:
            if incoming.response_url is not None:
                await self._respond(incoming.response_url, message, replace_original=False)
            else:
                async with self._pace.turn(incoming.team, channel):
                    response = await client.chat_postMessage(
                        channel=channel, text=message.text, blocks=list(message.blocks)
                    )
                # Posted to a user id, the message is in their DM: its id is what edits need.
                channel, ts = str(response.get("channel") or channel), str(response["ts"])
        except FAILED as error:
            _log_failure("response_url" if incoming.response_url else "chat.postMessage", incoming, error)
            return
        if message.prompt_id:
            kind = _kind(message)
            changes[message.prompt_id] = Shown(
                channel, ts, message.blocks, message.prompt_id, kind, incoming.response_url
            )

    async def _update(
        self, client: AsyncWebClient, incoming: Incoming, step: Update, changes: dict[str, Shown | None]
    ) -> None:
        shown, message = step.shown, step.message
        try:
            if shown.response_url is not None:
                await self._respond(shown.response_url, message, replace_original=True)
            else:
                await client.chat_update(
                    channel=shown.channel, ts=shown.ts, text=message.text, blocks=list(message.blocks)
                )
        except FAILED as error:
            _log_failure("response_url" if shown.response_url else "chat.update", incoming, error)
            return
        changes[shown.prompt_id] = None
        if message.prompt_id:
            changes[message.prompt_id] = replace(shown, blocks=message.blocks, prompt_id=message.prompt_id)

    async def _respond(self, url: str, message: SlackMessage, *, replace_original: bool) -> None:
        webhook = AsyncWebhookClient(url, session=self._session, retry_handlers=list(self._retry_handlers))
        response = await webhook.send(
            text=message.text,
            blocks=list(message.blocks),
            response_type="ephemeral",
            replace_original=replace_original,
        )
        if response.status_code != 200:
            log.warning("an ephemeral answer was refused: %s %s", response.status_code, response.body)


def _log_failure(method: str, incoming: Incoming, error: Exception) -> None:
    code = error_code(error)
    log.warning("%s to %s in %s failed: %s", method, incoming.user, incoming.team, code)
    _FAILED.get([]).append(code)


def _kind(message: SlackMessage) -> str:
    for block in message.blocks:
        parts = prompt_block(block.get("block_id", ""))
        if parts is not None and parts[1] == message.prompt_id:
            return parts[0]
    return "ask"
