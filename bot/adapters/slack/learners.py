"""The outbox's messages to Slack learners, in their DM with the app, rendered as every
reply is (`Delivery`: Block Kit, buttons that a press can rewrite later)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.database_work import DatabaseWork
from bot.adapters.slack.delivery import Delivery, counting_failures
from bot.adapters.slack.events import Incoming
from bot.adapters.slack.prompts import ShownChanges, save_shown
from bot.delivery.outbox import LearnerUnreachableError
from bot.delivery.retries import DeliveryRefusedError
from bot.messages import Platform, Reply
from storage.learner_messages import DueLearnerMessage

UNREACHABLE = frozenset({"cannot_dm_bot", "account_inactive", "user_disabled", "user_not_found"})
"""Slack's answers for a learner who cannot be written to any more."""


class SlackLearners:
    platform = Platform.SLACK.value

    def __init__(
        self,
        client_for: Callable[[str], Awaitable[AsyncWebClient]],
        delivery: Delivery,
        threads: DatabaseWork,
    ) -> None:
        self._client_for = client_for
        self._delivery = delivery
        self._threads = threads

    async def deliver(self, message: DueLearnerMessage, replies: Sequence[Reply]) -> None:
        try:
            client = await self._client_for(message.workspace)
        except LookupError as error:  # the workspace uninstalled the app
            raise LearnerUnreachableError(str(error)) from None
        incoming = Incoming(
            team=message.workspace,
            user=message.user_id,
            event_id=f"learner-message:{message.id}",
            channel=message.conversation_id,
        )
        failed: list[str] = []
        with counting_failures(failed):
            changes = await self._delivery.send(client, incoming, message.conversation_id, replies, {})
        if changes:
            shown = ShownChanges(message.workspace, message.user_id, changes, datetime.now(UTC))
            await self._threads.run(self._save, shown)
        if UNREACHABLE.intersection(failed):
            raise LearnerUnreachableError(f"Slack answered {', '.join(sorted(set(failed)))}")
        if failed:
            raise DeliveryRefusedError(f"Slack refused {len(failed)} of the messages ({', '.join(failed)})")

    def _save(self, shown: ShownChanges) -> None:
        with self._threads.database.transaction() as session:
            save_shown(session, [shown])
