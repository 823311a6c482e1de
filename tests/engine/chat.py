"""A conversation with the engine, written like a script: say this, press that, expect replies.

No platform and no network: events go straight into `Engine.handle`, as an adapter would
send them, and the replies come back as the neutral dataclasses adapters render.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from bot.engine import Engine
from bot.messages import (
    Choice,
    ChoicePrompt,
    InboundEvent,
    Platform,
    QuizQuestionReply,
    RatingScale,
    Reply,
    Sender,
    TextReply,
)

_serial = itertools.count()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Chat:
    def __init__(
        self, engine: Engine, user: str = "ann", *, locale: str | None = None, first_name: str = "Ann"
    ):
        self.engine = engine
        self.sender = Sender(Platform.CONSOLE, user, first_name=first_name, locale_hint=locale)
        self.replies: tuple[Reply, ...] = ()

    def send(
        self,
        text: str | None = None,
        choices: tuple[str, ...] = (),
        *,
        event_id: str | None = None,
        start_payload: str | None = None,
    ) -> tuple[Reply, ...]:
        event = InboundEvent(
            sender=self.sender,
            conversation_id=self.sender.user_id,
            event_id=event_id or f"event-{next(_serial)}",
            received_at=datetime.now(UTC),
            text=text,
            choices=choices,
            start_payload=start_payload,
        )
        self.replies = self.engine.handle(event)
        return self.replies

    def say(self, text: str) -> tuple[Reply, ...]:
        return self.send(text)

    def choices(self) -> tuple[Choice, ...]:
        """The buttons of the newest prompt in the last replies."""
        for reply in reversed(self.replies):
            if isinstance(reply, ChoicePrompt | RatingScale):
                return reply.choices
            if isinstance(reply, QuizQuestionReply):
                return reply.choices + ((reply.submit,) if reply.submit else ())
        raise AssertionError(f"no buttons in {self.replies!r}")

    def press(self, label: str) -> tuple[Reply, ...]:
        for choice in self.choices():
            if choice.label == label:
                return self.send(choices=(choice.id,))
        raise AssertionError(f"no button {label!r} among {[c.label for c in self.choices()]}")

    def texts(self) -> list[str]:
        return [reply.text for reply in self.replies if isinstance(reply, TextReply)]
