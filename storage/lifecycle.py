"""Each person's lifecycle stage at a period's start and at its end, counted as moves
between the two, and each account's furthest stage at the end: grouped statements over
`storage.customer_activity`, only the counts per pair of stages come back. The rules are
`bot.metrics.lifecycle`'s (README, Reports); the stages are ranked so the furthest one is
the largest number.

A person is a customer record, or a learner with none (the bot knows them, the company
does not yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Subquery,
    Table,
    and_,
    case,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from storage.customer_activity import Ids, among, customer_activity, moment
from storage.models import Learner

_LEARNERS = cast(Table, Learner.__table__)

NONE, REACH, ACQUISITION, LAPSED, CONVERSION, RETENTION, LOYALTY = range(7)
"""Stage ranks: not known yet, then the stages, a lapsed payer between acquisition and
conversion (for an account's furthest stage)."""


@dataclass(frozen=True)
class Move:
    at_start: int
    at_end: int
    people: int


@dataclass(frozen=True)
class StageCount:
    stage: int
    accounts: int


@dataclass(frozen=True)
class StageCounts:
    moves: tuple[Move, ...]
    accounts: tuple[StageCount, ...]


def _stage(
    activity: Subquery, first_contact: ColumnElement[datetime], at: datetime, index: int
) -> ColumnElement[int]:
    """The stage at `at`, from the activity columns `index` (at), `index + 1` (one activity
    window before) and `index + 2` (the loyalty span before)."""
    column = activity.c
    active, before, long_before = (column[f"active_{index + step}"] == 1 for step in range(3))
    paying = case(
        (and_(active, before, long_before), LOYALTY),
        (and_(active, before), RETENTION),
        (active, CONVERSION),
        else_=LAPSED,
    )
    return case(
        (column.first_paid_at < moment(at), paying),
        (column.acquired_at < moment(at), ACQUISITION),
        (first_contact < moment(at), REACH),
        else_=NONE,
    )


def _people(
    start: datetime, end: datetime, *, active_days: int, loyal_days: int, customers: Ids, learners: Ids
) -> CTE:
    """(account_id, at_start, at_end) per person."""
    instants = [at - timedelta(days=days) for at in (start, end) for days in (0, active_days, loyal_days)]
    activity = customer_activity(instants, active_days, customers)
    learner = _LEARNERS.c
    contact = (
        select(learner.customer_id.label("customer_id"), func.min(learner.created_at).label("first_contact"))
        .where(learner.customer_id.is_not(None))
        .group_by(learner.customer_id)
        .subquery()
    )
    first_contact = contact.c.first_contact
    of_customers = select(
        activity.c.account_id.label("account_id"),
        _stage(activity, first_contact, start, 0).label("at_start"),
        _stage(activity, first_contact, end, 3).label("at_end"),
    ).select_from(activity.outerjoin(contact, contact.c.customer_id == activity.c.id))
    of_learners = select(
        literal_column("NULL", Integer).label("account_id"),
        case((learner.created_at < moment(start), REACH), else_=NONE).label("at_start"),
        literal_column(str(REACH), Integer).label("at_end"),
    ).where(learner.customer_id.is_(None), learner.created_at < moment(end), *among(learner.id, learners))
    return union_all(of_customers, of_learners).cte("people")


def stage_counts(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    active_days: int,
    loyal_days: int,
    customers: Ids,
    learners: Ids,
) -> StageCounts:
    """People by (stage at start, stage at end), and accounts by the furthest stage one of
    their customers stood in at the end; `learners` chooses among the people without a
    customer record, `customers` among the customers (None: all). One statement: both
    parts read the people's stages from one common table expression, worked out once."""
    people = _people(
        start, end, active_days=active_days, loyal_days=loyal_days, customers=customers, learners=learners
    )
    person = people.c
    furthest = (
        select(func.max(person.at_end).label("stage"))
        .where(person.account_id.is_not(None))
        .group_by(person.account_id)
        .subquery()
    )
    moves = select(
        literal_column("0", Integer).label("part"),
        person.at_start.label("first"),
        person.at_end.label("second"),
        func.count().label("count"),
    ).group_by(person.at_start, person.at_end)
    accounts = select(
        literal_column("1", Integer), furthest.c.stage, furthest.c.stage, func.count()
    ).group_by(furthest.c.stage)
    both = union_all(moves, accounts).subquery()
    rows = session.execute(select(both).order_by(both.c.part, both.c.first, both.c.second)).all()
    return StageCounts(
        tuple(Move(int(first), int(second), int(count)) for part, first, second, count in rows if part == 0),
        tuple(StageCount(int(first), int(count)) for part, first, _, count in rows if part == 1),
    )
