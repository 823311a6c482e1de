"""Lifecycle stages: where each person stands with the company at a period's start and at
its end, and how many moved from one stage to another in it, so marketing sees the funnel
fill and leak. The rules, at an instant (just before it, as *active* is read), the first
that holds:

- *loyalty*: paying (active) now, one `active_days` window ago and `LOYAL_DAYS` ago: a
  long-standing payer (for a buyer without subscriptions, active at the three instants
  means purchases in each window: a repeat buyer);
- *retention*: paying now and an activity window ago: past the first period;
- *conversion*: paying now, not an activity window ago: newly paying, or paying again
  after a lapse;
- *lapsed*: paid before, not active now (not a stage of the funnel: it fell out of it);
- *acquisition*: a customer (acquired: signed up, or paid), nothing paid yet;
- *reach*: known to the bot (a learner first wrote before it), not yet a customer: a
  learner with no customer record, or one whose customer has not signed up;
- *none*: not known yet (the counts leave it out; the moves show who arrived from it).

A person is a customer record, or a learner with none. Activity is sampled at the three
instants, not followed in between: a payer who paused between two of them still counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from bot.metrics.definitions import Definitions
from bot.metrics.periods import Period
from bot.metrics.segment import ReportSegment, segment_customers, segment_learners
from storage import lifecycle as queries
from storage.customer_activity import Ids
from storage.lifecycle import Move

LOYAL_DAYS = 365
"""How long ago a customer must already have been paying to count as loyal."""

Stage = Literal["none", "reach", "acquisition", "conversion", "retention", "loyalty", "lapsed"]
STAGES: tuple[Stage, ...] = ("reach", "acquisition", "conversion", "retention", "loyalty", "lapsed")
"""In funnel order; `none` (not known yet) is left out of the counts."""
_NAMES: dict[int, Stage] = {
    queries.NONE: "none",
    queries.REACH: "reach",
    queries.ACQUISITION: "acquisition",
    queries.CONVERSION: "conversion",
    queries.RETENTION: "retention",
    queries.LOYALTY: "loyalty",
    queries.LAPSED: "lapsed",
}
RULES: dict[Stage, str] = {
    "reach": "known to the bot (a learner wrote to it), not yet a customer",
    "acquisition": "a customer (signed up, or paid), nothing paid yet",
    "conversion": "active (paying), not active one activity window before: newly paying or back",
    "retention": "active now and one activity window before",
    "loyalty": f"active now, one activity window before and {LOYAL_DAYS} days before",
    "lapsed": "paid before, not active now",
}


@dataclass(frozen=True)
class StageMove:
    at_start: Stage
    at_end: Stage
    people: int


@dataclass(frozen=True)
class AccountStage:
    stage: Stage
    accounts: int


@dataclass(frozen=True)
class Lifecycle:
    moves: tuple[StageMove, ...]
    """Every pair of stages someone was in at the start and at the end (staying included)."""
    accounts: tuple[AccountStage, ...]
    """Accounts by the furthest stage one of their customers stood in at the period's end
    (lapsed counts as further than acquisition, short of conversion), in STAGES' order."""

    def at_start(self, stage: Stage) -> int:
        return sum(move.people for move in self.moves if move.at_start == stage)

    def at_end(self, stage: Stage) -> int:
        return sum(move.people for move in self.moves if move.at_end == stage)

    def moved(self, at_start: Stage, at_end: Stage) -> int:
        return sum(move.people for move in self.moves if (move.at_start, move.at_end) == (at_start, at_end))


def stage_name(rank: int) -> Stage:
    return _NAMES[rank]


def lifecycle(
    session: Session, period: Period, segment: ReportSegment, definitions: Definitions, default_locale: str
) -> Lifecycle:
    customers, learners = _segment(period, segment, default_locale)
    found = queries.stage_counts(
        session,
        period.start,
        period.end,
        active_days=definitions.active_days,
        loyal_days=LOYAL_DAYS,
        customers=customers,
        learners=learners,
    )
    by_stage = {stage_name(each.stage): each.accounts for each in found.accounts}
    return Lifecycle(
        tuple(_named(found.moves)), tuple(AccountStage(stage, by_stage.get(stage, 0)) for stage in STAGES)
    )


def _segment(period: Period, segment: ReportSegment, default_locale: str) -> tuple[Ids, Ids]:
    if segment.everyone:
        return None, None
    return (
        segment_customers(segment, period.end, default_locale),
        segment_learners(segment, period.end, default_locale),
    )


def _named(moves: Sequence[Move]) -> list[StageMove]:
    return [StageMove(stage_name(move.at_start), stage_name(move.at_end), move.people) for move in moves]
