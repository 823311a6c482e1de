"""Deflection: how many questions the bot settled without a person, and how.

A question is resolved *hard* when the learner pressed "Helped", and *soft* when it was
answered and the same learner asked nothing more for 24 hours: the usual helpdesk reading
of silence after an answer. The two are counted apart because they are not equally sure.
An answer younger than 24 hours with no feedback is *pending*: it may still become soft.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import FaqQuestion

SOFT_RESOLUTION_WINDOW = timedelta(hours=24)

UNSETTLED = or_(FaqQuestion.decision == "unanswered", FaqQuestion.outcome.in_(["need_human", "no_match"]))
"""The questions the bot could not settle: declined, no suggestion fitted, or the learner
asked for a human after an answer (`bot.faq.gaps`, the support report's top unanswered)."""


@dataclass(frozen=True)
class Deflection:
    asked: int
    answered: int
    """Answered directly, or after the learner picked a suggested question."""
    hard_resolved: int
    soft_resolved: int
    pending: int
    asked_again: int
    """Answered, but the learner asked again within 24 hours: not counted as resolved."""
    escalated: int
    """The learner asked for a human after an answer."""
    unanswered: int
    """Declined outright, or no suggestion fitted."""

    @property
    def deflection_rate(self) -> float:
        """Share of questions settled without a person (hard and soft)."""
        return (self.hard_resolved + self.soft_resolved) / self.asked if self.asked else 0.0


@dataclass(frozen=True)
class _Asked:
    learner_id: int
    asked_at: datetime
    answered: bool
    outcome: str | None
    in_period: bool


def deflection(database: Database, since: datetime, now: datetime) -> Deflection:
    """Deflection of the questions asked from `since` to `now`."""
    with database.transaction() as session:
        return deflection_between(session, since, now)


def deflection_between(
    session: Session,
    since: datetime,
    now: datetime,
    *,
    until: datetime | None = None,
    learners: Select[tuple[int]] | None = None,
) -> Deflection:
    """Deflection of the questions asked from `since` to `until` (exclusive; default: up to `now`)
    by `learners` (default: everyone), judged as of `now`: a question asked within a day
    after `until` still tells whether an answer before it settled anything."""
    where = [FaqQuestion.asked_at >= since]
    if until is not None:
        where.append(FaqQuestion.asked_at < until + SOFT_RESOLUTION_WINDOW)
    if learners is not None:
        where.append(FaqQuestion.learner_id.in_(learners))
    rows = session.execute(
        select(FaqQuestion.learner_id, FaqQuestion.asked_at, FaqQuestion.entry_id, FaqQuestion.outcome)
        .where(*where)
        .order_by(FaqQuestion.learner_id, FaqQuestion.asked_at)
    ).all()
    by_learner: defaultdict[int, list[_Asked]] = defaultdict(list)
    for learner_id, asked_at, entry_id, outcome in rows:
        by_learner[learner_id].append(
            _Asked(
                learner_id,
                asked_at,
                entry_id is not None,
                outcome,
                asked_at <= now and (until is None or asked_at < until),
            )
        )
    counts: defaultdict[str, int] = defaultdict(int)
    for questions in by_learner.values():
        for position, question in enumerate(questions):
            if question.in_period:
                later = questions[position + 1].asked_at if position + 1 < len(questions) else None
                counts[_settlement(question, later, now)] += 1
                counts["answered"] += question.answered
    return Deflection(
        asked=sum(
            counts[kind] for kind in ("hard", "soft", "pending", "asked_again", "escalated", "unanswered")
        ),
        answered=counts["answered"],
        hard_resolved=counts["hard"],
        soft_resolved=counts["soft"],
        pending=counts["pending"],
        asked_again=counts["asked_again"],
        escalated=counts["escalated"],
        unanswered=counts["unanswered"],
    )


def _settlement(question: _Asked, next_asked: datetime | None, now: datetime) -> str:
    if question.outcome == "helped":
        return "hard"
    if question.outcome == "need_human":
        return "escalated"
    if not question.answered:
        return "unanswered"
    deadline = question.asked_at + SOFT_RESOLUTION_WINDOW
    if next_asked is not None and next_asked <= deadline:
        return "asked_again"
    return "soft" if now >= deadline else "pending"
