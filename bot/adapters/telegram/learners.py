"""The outbox's messages to Telegram learners, in their private chat with the bot, rendered
and paced like every reply (`Delivery`, `Pacing`), on the learner's lane (`Lanes`): after
the replies to their turns already queued there, which may still be waiting on the pace."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from bot.adapters.telegram.delivery import PLATFORM, Delivery, Target
from bot.adapters.telegram.lanes import Lanes
from bot.delivery.outbox import LearnerUnreachableError
from bot.delivery.retries import DeliveryRefusedError
from bot.messages import Reply
from storage.learner_messages import DueLearnerMessage


class TelegramLearners:
    platform = PLATFORM

    def __init__(self, delivery: Delivery, lanes: Lanes) -> None:
        self._delivery = delivery
        self._lanes = lanes

    async def deliver(self, message: DueLearnerMessage, replies: Sequence[Reply]) -> None:
        chat = int(message.conversation_id)  # a private chat's id is its user's
        target = Target(chat_id=chat, user_id=chat)
        sent = await self._lanes.run(chat, partial(self._delivery.deliver, target, replies))
        if sent.blocked:
            raise LearnerUnreachableError("Telegram answered 403: the learner blocked the bot")
        if sent.failed:
            raise DeliveryRefusedError(f"{sent.failed} of the messages did not reach Telegram")
