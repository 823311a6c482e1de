"""The retention report's queries: who was active at two instants, how MRR moved between
them, revenue, purchases and NPS answers. Each is one aggregate statement the database
computes (per customer in a subquery, then summed), never every row brought into Python,
and reads the same on SQLite and PostgreSQL.

"At an instant" means just before it: a subscription period counts at `t` when it started
before `t` and had not ended before it, and an order when it was placed before `t`. So the
state at a period's end is the state at the next period's start, and a subscription that
ends at midnight on 1 December churns in December, as billing systems count it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from storage.customer_activity import Ids, among, customer_activity, moment
from storage.customer_models import Order, Subscription
from storage.models import SurveyAnswer, SurveyResponse

_SUBSCRIPTIONS = cast(Table, Subscription.__table__)
_ORDERS = cast(Table, Order.__table__)
_ANSWERS = cast(Table, SurveyAnswer.__table__)
_RESPONSES = cast(Table, SurveyResponse.__table__)


@dataclass(frozen=True)
class CustomerCounts:
    active_at_start: int
    active_at_end: int
    still_active: int
    """Active at the start and at the end."""
    acquired: int
    """Acquired in the period, active at its end or not."""
    start_customers_revenue: int
    """Cents: the period's revenue from the customers active at its start."""


@dataclass(frozen=True)
class MrrMovements:
    """Cents of MRR, each customer's MRR at the start compared with theirs at the end."""

    at_start: int
    at_end: int
    new: int
    expansion: int
    contraction: int
    churned: int
    reactivation: int
    """From customers who paid before the period, had no MRR at its start and have some at its end."""


@dataclass(frozen=True)
class ExistingRevenue:
    customers: int
    """Customers acquired before the period."""
    in_period: int
    in_previous: int
    """Cents, refunds subtracted."""


@dataclass(frozen=True)
class Purchases:
    buyers: int
    """Customers with a purchase in the period."""
    repeat_buyers: int
    """With two or more in the period."""
    returning_buyers: int
    """With two or more up to its end, the first possibly before it."""


@dataclass(frozen=True)
class NpsAnswers:
    """The latest NPS answer of each learner who answered in the period, by band."""

    promoters: int
    passives: int
    detractors: int


def without_jit(session: Session) -> None:
    """PostgreSQL compiles these queries to machine code (their many correlated subqueries
    look costly to its planner): measured on 10,000 customers, 0.96 s of compiling for a
    0.1 s query. Off for the rest of the report's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _total_where(condition: ColumnElement[bool], amount: ColumnElement[int]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)


def _running(at: ColumnElement[datetime]) -> ColumnElement[bool]:
    """A subscription period running just before `at`."""
    period = _SUBSCRIPTIONS.c
    return and_(period.started_at < at, or_(period.ended_at.is_(None), period.ended_at >= at))


def customers_and_revenue(
    session: Session,
    previous_start: datetime,
    start: datetime,
    end: datetime,
    *,
    customers: Ids,
    active_days: int,
) -> tuple[CustomerCounts, ExistingRevenue]:
    """Who was active at the period's start and end, who was acquired in it, and the
    revenue of [previous_start, start) and [start, end): one pass over each customer's
    activity and their orders. `customers`: the segment's ids (None: every customer)."""
    order = _ORDERS.c
    revenue = (
        select(
            order.customer_id.label("customer_id"),
            _total_where(order.ordered_at >= moment(start), order.amount_cents).label("in_period"),
            _total_where(order.ordered_at < moment(start), order.amount_cents).label("in_previous"),
        )
        .where(order.ordered_at >= moment(previous_start), order.ordered_at < moment(end))
        .where(*among(order.customer_id, customers))
        .group_by(order.customer_id)
        .subquery()
    )
    activity = customer_activity((start, end), active_days, customers)
    at_start, at_end = activity.c.active_0 == 1, activity.c.active_1 == 1
    acquired = activity.c.acquired_at
    existing = acquired < moment(start)
    in_period = func.coalesce(revenue.c.in_period, 0)
    row = session.execute(
        select(
            _count_where(at_start),
            _count_where(at_end),
            _count_where(and_(at_start, at_end)),
            _count_where(and_(acquired >= moment(start), acquired < moment(end))),
            _total_where(at_start, in_period),
            _count_where(existing),
            _total_where(existing, in_period),
            _total_where(existing, func.coalesce(revenue.c.in_previous, 0)),
        ).select_from(activity.outerjoin(revenue, revenue.c.customer_id == activity.c.id))
    ).one()
    values = [int(value) for value in row]
    return CustomerCounts(*values[:5]), ExistingRevenue(*values[5:])


def mrr_movements(session: Session, start: datetime, end: datetime, customers: Ids) -> MrrMovements:
    subscription = _SUBSCRIPTIONS.c
    at_start, at_end = moment(start), moment(end)
    per_customer = (
        select(
            func.sum(case((_running(at_start), subscription.mrr_cents), else_=0)).label("at_start"),
            func.sum(case((_running(at_end), subscription.mrr_cents), else_=0)).label("at_end"),
            func.max(
                case((and_(subscription.mrr_cents > 0, subscription.started_at < at_start), 1), else_=0)
            ).label("paid_before"),
        )
        .where(*among(subscription.customer_id, customers), subscription.started_at < at_end)
        .group_by(subscription.customer_id)
        .subquery()
    )
    mrr = per_customer.c
    gained = and_(mrr.at_start == 0, mrr.at_end > 0)
    row = session.execute(
        select(
            func.coalesce(func.sum(mrr.at_start), 0),
            func.coalesce(func.sum(mrr.at_end), 0),
            _total_where(and_(gained, mrr.paid_before == 0), mrr.at_end),
            _total_where(and_(mrr.at_start > 0, mrr.at_end > mrr.at_start), mrr.at_end - mrr.at_start),
            _total_where(and_(mrr.at_end > 0, mrr.at_end < mrr.at_start), mrr.at_start - mrr.at_end),
            _total_where(and_(mrr.at_start > 0, mrr.at_end == 0), mrr.at_start),
            _total_where(and_(gained, mrr.paid_before == 1), mrr.at_end),
        )
    ).one()
    return MrrMovements(*(int(value) for value in row))


def purchases(session: Session, start: datetime, end: datetime, customers: Ids) -> Purchases:
    order = _ORDERS.c
    per_buyer = (
        select(
            func.sum(case((order.ordered_at >= moment(start), 1), else_=0)).label("in_period"),
            func.count().label("up_to_end"),
        )
        .where(*among(order.customer_id, customers), order.amount_cents > 0, order.ordered_at < moment(end))
        .group_by(order.customer_id)
        .subquery()
    )
    buyer = per_buyer.c
    row = session.execute(
        select(
            _count_where(buyer.in_period >= 1),
            _count_where(buyer.in_period >= 2),
            _count_where(and_(buyer.in_period >= 1, buyer.up_to_end >= 2)),
        )
    ).one()
    return Purchases(*(int(value) for value in row))


def nps_answers(session: Session, start: datetime, end: datetime, learners: Ids) -> NpsAnswers:
    """`learners`: the ids of the segment's learners (None: every learner)."""
    answer, response = _ANSWERS.c, _RESPONSES.c
    ranked = (
        select(
            answer.band,
            func.row_number()
            .over(partition_by=response.learner_id, order_by=(answer.answered_at.desc(), answer.id.desc()))
            .label("recency"),
        )
        .join_from(_ANSWERS, _RESPONSES, response.id == answer.response_id)
        .where(
            answer.question_type == "nps",
            answer.band.is_not(None),
            answer.answered_at >= moment(start),
            answer.answered_at < moment(end),
            *among(response.learner_id, learners),
        )
        .subquery()
    )
    latest = ranked.c
    row = session.execute(
        select(*(_count_where(latest.band == band) for band in ("promoter", "passive", "detractor"))).where(
            latest.recency == 1
        )
    ).one()
    return NpsAnswers(*(int(value) for value in row))
