"""A learner, the sweep and the outbox on one clock the test moves: what the bot says first
reaches the learner's screen as a terminal would show it, and they can answer it.

The clock starts on Tuesday 2026-11-24 at 09:00 UTC; the learner's zone is UTC unless
they set one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from bot.adapters.database_work import DatabaseWork
from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.delivery.outbox import LearnerOutbox
from bot.delivery.sweep import DueSweep
from bot.engine import Engine
from bot.messages import Reply, TextReply
from storage.learner_messages import DueLearnerMessage
from tests.engine.chat import Chat, Clock

PROACTIVE = Path(__file__).parent / "proactive"


def proactive_content() -> ContentPack:
    return load_content([PROACTIVE])


class Screens:
    """The console's outbox channel: what each learner was shown, in order."""

    platform = "console"

    def __init__(self) -> None:
        self.shown: dict[str, list[Reply]] = {}

    async def deliver(self, message: DueLearnerMessage, replies: Sequence[Reply]) -> None:
        self.shown.setdefault(message.conversation_id, []).extend(replies)


class World:
    """The engine, the sweep and the outbox of one process, on `clock`."""

    def __init__(self, engine: Engine, work: DatabaseWork, clock: Clock) -> None:
        self.engine, self.clock = engine, clock
        self.sweep = DueSweep(work.database, clock=clock)
        self.screens = Screens()
        self.outbox = LearnerOutbox(work, self.screens, engine.reach_out, clock=clock)

    def tick(self, chat: Chat | None = None) -> tuple[Reply, ...]:
        """One sweep and every outbox row due, as `serve` does every few seconds; what
        `chat`'s learner was shown (which they may then answer, like a reply)."""
        self.sweep.sweep()
        before = len(self.screens.shown.get(chat.sender.user_id, [])) if chat else 0
        while asyncio.run(self.outbox.deliver_due()):
            pass
        if chat is None:
            return ()
        shown = tuple(self.screens.shown.get(chat.sender.user_id, [])[before:])
        if shown:
            chat.replies = shown
        return shown


def texts(replies: Sequence[Reply]) -> list[str]:
    return [reply.text for reply in replies if isinstance(reply, TextReply)]
