"""The terminal shows what the bot says first: what fell due while the learner was away
(here, a reminder about the quiz left unanswered) comes when they next type, before the
answer to what they typed, which may answer it."""

from __future__ import annotations

import asyncio
import io

from sqlalchemy import select

from bot.adapters.console import ConsoleLearners, chat
from bot.adapters.database_work import DatabaseWork
from bot.delivery.outbox import LearnerOutbox
from bot.delivery.sweep import DueSweep
from bot.engine import Engine
from bot.messages import Reply
from storage.db import Database
from storage.models import SurveyAnswer
from tests.delivery.proactive_chat import proactive_content
from tests.engine.chat import Clock


class Typing(io.StringIO):
    """Lines typed after a pause each: (hours waited, line)."""

    def __init__(self, lines: list[tuple[float, str]], clock: Clock) -> None:
        super().__init__("".join(f"{line}\n" for _, line in lines))
        self._clock, self._pauses = clock, [hours for hours, _ in lines]

    def readline(self, size: int = -1) -> str:  # type: ignore[override]
        if self._pauses:
            self._clock.advance(hours=self._pauses.pop(0))
        return super().readline(size)


def test_a_reminder_that_fell_due_is_shown_before_the_next_prompt(
    database: Database, database_work: DatabaseWork
) -> None:
    clock = Clock()
    engine = Engine(proactive_content(), database, clock=clock)
    sweep, screen = DueSweep(database, clock=clock), ConsoleLearners()
    outbox = LearnerOutbox(database_work, screen, engine.reach_out, clock=clock)

    def due(conversation_id: str) -> list[Reply]:
        sweep.sweep()
        while asyncio.run(outbox.deliver_due()):
            pass
        return screen.take(conversation_id)

    typed = Typing([(0, "timezone UTC"), (0, "1"), (2.5, "1")], clock)
    out = io.StringIO()
    chat(engine.handle, learner="Ann", locale="en", stdin=typed, stdout=out, due=due)
    shown = out.getvalue()
    # 09:00 the quiz's first question; 11:30 the learner types "1": the nudge due at 11:00
    # is shown first, with the question again, and "1" answers it.
    typed_at, nudge = shown.rindex("> 1"), shown.index("👋 Still there, Ann?")
    assert typed_at < nudge < shown.index("✅ Correct!")
    assert "Question 1/2: What colour is the sky?" in shown[nudge:]


def test_a_number_typed_at_one_prompt_is_not_taken_by_one_that_came_meanwhile(
    database: Database, database_work: DatabaseWork
) -> None:
    """The learner types "1" for "English" on the language list; the survey that fell due
    while they were away is shown before the line goes out, and its scale also has a 1:
    the 1 is the language they picked, not a score, and the scale stays for a real one."""
    clock = Clock()
    engine = Engine(proactive_content(), database, clock=clock)
    sweep, screen = DueSweep(database, clock=clock), ConsoleLearners()
    outbox = LearnerOutbox(database_work, screen, engine.reach_out, clock=clock)

    def due(conversation_id: str) -> list[Reply]:
        sweep.sweep()
        while asyncio.run(outbox.deliver_due()):
            pass
        return screen.take(conversation_id)

    typed = Typing([(0, "language"), (80, "1"), (0, "9")], clock)
    out = io.StringIO()
    chat(engine.handle, learner="Ann", locale="en", stdin=typed, stdout=out, due=due)
    shown = out.getvalue()

    scale_at, picked_at = shown.index("How likely are you to recommend us?"), shown.index("» English")
    assert scale_at < picked_at
    with database.transaction() as session:
        assert session.scalars(select(SurveyAnswer.score)).all() == [9]
