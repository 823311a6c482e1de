"""The door support people come in through: replying to a hand-off, resolving it, finding
the hand-off a message in a support channel belongs to, and sending what is due.

The Slack support channel, the Telegram support group and a helpdesk's replies endpoint
all act through one `HandoffDesk`, handed to them by the composition root, so none of them
needs the database or the storage modules of the core.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.config import HandoffSettings
from bot.handoff.cases import relay_reply, resolve
from bot.handoff.dispatch import Dispatcher, SupportDestination
from bot.handoff.reply_limits import TooLong, too_long_for
from bot.handoff.webhook import WebhookDestination
from storage.db import Database
from storage.handoffs import HandoffCase, find_case, handoff_of_message
from storage.outbox import LEASE


class HandoffDesk:
    """What support does, for every destination; blocking calls (run them off the loop)."""

    def __init__(
        self,
        database: Database,
        settings: HandoffSettings,
        surveys_after_resolution: Callable[[], tuple[str, ...]] = tuple,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lease: timedelta = LEASE,
    ) -> None:
        self._database = database
        self._lease = lease
        """How long a claimed delivery to support is left to its sender."""
        self.settings = settings
        """Where hand-offs go and support's hours: what a destination needs to know."""
        self._surveys_after_resolution = surveys_after_resolution
        self._clock = clock

    def handoff_of(self, destination: str, chat: str, message_id: str) -> int | None:
        """The hand-off that `message_id` in `chat` was posted for, if it was one."""
        with self._database.transaction() as session:
            return handoff_of_message(session, destination, chat, message_id)

    def case(self, handoff_id: int) -> HandoffCase | None:
        with self._database.transaction() as session:
            return find_case(session, handoff_id)

    def too_long(self, handoff_id: int, agent: str, text: str) -> TooLong | None:
        """Why the reply would not fit one message on the learner's platform; None if it fits
        (or there is no such hand-off). Ask before `reply`, and tell the agent."""
        case = self.case(handoff_id)
        return None if case is None else too_long_for(case, agent, text)

    def reply(self, handoff_id: int, agent: str, text: str, *, delivery_key: str) -> bool:
        """Queue a support person's reply to the learner; False if it was relayed already
        (`delivery_key` names the platform's delivery) or cannot reach the learner."""
        return relay_reply(self._database, handoff_id, agent, text, self._clock(), delivery_key=delivery_key)

    def resolve(self, handoff_id: int, by: str) -> HandoffCase | None:
        """Mark the hand-off resolved (once), tell the learner and invite them to the CSAT;
        the case as it is now."""
        surveys = self._surveys_after_resolution()
        return resolve(self._database, handoff_id, by, self._clock(), surveys)

    def dispatcher(self, destinations: list[SupportDestination]) -> Dispatcher:
        """What a process sends support: its hand-offs to `destinations` (and to the helpdesk
        webhook when one is configured)."""
        webhook = self.settings.webhook_url
        if webhook:
            destinations = [*destinations, WebhookDestination(webhook, self.settings.webhook_secret)]
        return Dispatcher(self._database, destinations, clock=self._clock, lease=self._lease)
