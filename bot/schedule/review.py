"""Spaced review of missed quiz questions: which step of review a question is on, when it comes
back, and which come back today.

Leitner boxes (1, 3, 7 days), not SM-2 or a half-life model: a quiz tells us only right or
wrong, not the 0-5 grade SM-2 needs, and a question leaves review after a few answers, too
few to fit an ease factor or a half-life per question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.content.model import Schedule
from bot.schedule.timing import days_later

REVIEW_GAPS_DAYS = (1, 3, 7)
"""Days until a question comes back: after a miss, then after each right answer in review."""


@dataclass(frozen=True)
class ReviewDue:
    step: int
    """Which gap of `REVIEW_GAPS_DAYS` the question is waiting out (0: it was just missed)."""
    due_at: datetime


def next_review(
    step: int | None, answered_right: bool, answered_at: datetime, schedule: Schedule, zone: ZoneInfo
) -> ReviewDue | None:
    """Where a question goes after an answer: `step` is its review step, None for an answer in
    the quiz itself. None means it needs no (more) review: right in the quiz, or right after
    the longest gap."""
    if answered_right:
        if step is None or step + 1 >= len(REVIEW_GAPS_DAYS):
            return None
        step += 1
    else:
        step = 0
    due_at = days_later(schedule.window, schedule.holidays, zone, answered_at, REVIEW_GAPS_DAYS[step])
    return ReviewDue(step, due_at)


def reviews_to_send(
    due_at: Mapping[str, datetime], now: datetime, per_day: int, sent_today: int
) -> tuple[str, ...]:
    """Of the questions under review (key: when each is due), those to ask now: due by `now`,
    longest waiting first, no more than `per_day` on one local day counting `sent_today`."""
    room = max(per_day - sent_today, 0)
    now = now.astimezone(UTC)  # compared as instants, not as one zone's wall clock
    waiting = sorted((due.astimezone(UTC), key) for key, due in due_at.items() if due.astimezone(UTC) <= now)
    return tuple(key for _, key in waiting[:room])
