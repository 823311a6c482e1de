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
) -> Subquery:
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
    return union_all(of_customers, of_learners).subquery()


def stage_moves(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    active_days: int,
    loyal_days: int,
    customers: Ids,
    learners: Ids,
) -> tuple[Move, ...]:
    """People by (stage at start, stage at end); `learners` chooses among those without a
    customer record, `customers` among the customers (None: all)."""
    people = _people(
        start, end, active_days=active_days, loyal_days=loyal_days, customers=customers, learners=learners
    ).c
    rows = session.execute(
        select(people.at_start, people.at_end, func.count())
        .group_by(people.at_start, people.at_end)
        .order_by(people.at_start, people.at_end)
    ).all()
    return tuple(Move(int(first), int(last), int(count)) for first, last, count in rows)


def account_stages(
    session: Session, start: datetime, end: datetime, *, active_days: int, loyal_days: int, customers: Ids
) -> tuple[StageCount, ...]:
    """Accounts by the furthest stage any of their customers reached by the end."""
    people = _people(
        start, end, active_days=active_days, loyal_days=loyal_days, customers=customers, learners=None
    ).c
    furthest = (
        select(func.max(people.at_end).label("stage"))
        .where(people.account_id.is_not(None))
        .group_by(people.account_id)
        .subquery()
    )
    rows = session.execute(
        select(furthest.c.stage, func.count()).group_by(furthest.c.stage).order_by(furthest.c.stage)
    ).all()
    return tuple(StageCount(int(stage), int(count)) for stage, count in rows)
