"""The counts behind "does learning retain?": the customers active at a period's start,
split by signup month, plan and whether one of their learners had completed a course
before it, and how many of each were still active at its end. One grouped statement;
only a row per stratum comes back (`bot.metrics.learning_retention` does the statistics).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, case, func, select
from sqlalchemy.orm import Session

from storage.customer_activity import Ids, customer_activity, moment, period_index
from storage.models import Enrolment, Learner

_ENROLMENTS = cast(Table, Enrolment.__table__)
_LEARNERS = cast(Table, Learner.__table__)

BEFORE = -1
"""The signup month of customers acquired before the first month given."""


@dataclass(frozen=True)
class StratumCounts:
    month: int
    """Index into the months given (BEFORE: earlier)."""
    plan: str | None
    completed: bool
    customers: int
    """Active at the start."""
    retained: int
    """Of them, still active at the end."""


def strata_counts(
    session: Session,
    start: datetime,
    end: datetime,
    months: Sequence[datetime],
    *,
    active_days: int,
    customers: Ids,
    courses: Sequence[str],
) -> tuple[StratumCounts, ...]:
    """`months`: the starts of the signup months (the company's), oldest first; `courses`:
    the courses that count as learning (none: any)."""
    activity = customer_activity((start, end), active_days, customers)
    enrolment, learner = _ENROLMENTS.c, _LEARNERS.c
    completers = (
        select(learner.customer_id.label("customer_id"))
        .select_from(_ENROLMENTS.join(_LEARNERS, learner.id == enrolment.learner_id))
        .where(
            learner.customer_id.is_not(None),
            enrolment.completed_at < moment(start),
            *([enrolment.course_id.in_(courses)] if courses else []),
        )
        .group_by(learner.customer_id)
        .subquery()
    )
    acquired = activity.c.acquired_at
    per_customer = (
        select(
            case((acquired < moment(months[0]), BEFORE), else_=period_index(acquired, months)).label("month"),
            activity.c.plan,
            case((completers.c.customer_id.is_(None), 0), else_=1).label("completed"),
            activity.c.active_1.label("retained"),
        )
        .select_from(activity.outerjoin(completers, completers.c.customer_id == activity.c.id))
        .where(activity.c.active_0 == 1)
        .subquery()
    )
    row = per_customer.c
    found = session.execute(
        select(row.month, row.plan, row.completed, func.count(), func.sum(row.retained))
        .group_by(row.month, row.plan, row.completed)
        .order_by(row.month, row.plan, row.completed)
    ).all()
    return tuple(
        StratumCounts(int(month), plan, bool(completed), int(count), int(retained))
        for month, plan, completed, count, retained in found
    )
