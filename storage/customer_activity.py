"""Each customer's state at a few instants, as one subquery: active or not at each (the
report's definition, `bot.metrics.definitions`), when they were acquired and when they
first paid. Built from one grouped pass over subscriptions and one over orders, joined to
customers, so the learning-retention and lifecycle queries read each table once rather
than asking again for every customer (as a correlated subquery would).

"At an instant" means just before it, as in `storage.retention`: a subscription period
counts at `t` when it started before `t` and had not ended before it, an order when it was
placed before `t`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    Table,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlalchemy import literal_column as literal

from storage.customer_models import Customer, Order, Subscription
from storage.models import UtcDateTime

_CUSTOMERS = cast(Table, Customer.__table__)
_SUBSCRIPTIONS = cast(Table, Subscription.__table__)
_ORDERS = cast(Table, Order.__table__)

Ids = Select[tuple[int]] | None
"""The ids of a segment's customers or learners, as a subquery; None: everyone."""


def moment(value: datetime) -> ColumnElement[datetime]:
    """An instant typed as the columns are (on SQLite an untyped one compares as another format)."""
    return bindparam(None, value, type_=UtcDateTime())


def among(column: ColumnElement[int], ids: Ids) -> list[ColumnElement[bool]]:
    return [] if ids is None else [column.in_(ids)]


def earlier(first: ColumnElement[datetime], second: ColumnElement[datetime]) -> ColumnElement[datetime]:
    """The earlier of two instants, either possibly NULL (SQLite's two-argument min() and
    PostgreSQL's least() disagree about NULLs)."""
    return case(
        (first.is_(None), second),
        (second.is_(None), first),
        (first < second, first),
        else_=second,
    )


def period_index(instant: ColumnElement[datetime], starts: Sequence[datetime]) -> ColumnElement[int]:
    """Which of the periods beginning at `starts` holds `instant` (at or after the first):
    a balanced tree of CASEs, about log2(periods) comparisons a row, so a period on the
    company's calendar (daylight saving included) is found in the database."""

    def within(low: int, high: int) -> ColumnElement[int]:
        if high - low == 1:
            return literal(str(low), Integer)
        middle = (low + high) // 2
        return case((instant < moment(starts[middle]), within(low, middle)), else_=within(middle, high))

    return within(0, len(starts))


def customer_activity(instants: Sequence[datetime], active_days: int, customers: Ids) -> Subquery:
    """Per customer of `customers` (None: all): `id`, `plan`, `account_id`, `acquired_at`
    (signed up, else first paid subscription period, else first purchase), `first_paid_at`
    (the first paid subscription period or purchase), and `active_0`, `active_1`, ... (1 or
    0) at each of `instants` in turn. Orders after the last instant are not read: only
    comparisons with the instants are made of these, and none can tell them apart."""
    subscription, order = _SUBSCRIPTIONS.c, _ORDERS.c
    paid = subscription.mrr_cents > 0
    subscribed = (
        select(
            subscription.customer_id.label("customer_id"),
            func.min(case((paid, subscription.started_at))).label("first_paid"),
            *(
                func.max(
                    case(
                        (
                            and_(
                                paid,
                                subscription.started_at < moment(at),
                                or_(subscription.ended_at.is_(None), subscription.ended_at >= moment(at)),
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ).label(f"paying_{index}")
                for index, at in enumerate(instants)
            ),
        )
        .where(*among(subscription.customer_id, customers))
        .group_by(subscription.customer_id)
        .subquery()
    )
    # Purchases only: a refund is not one.
    bought = (
        select(
            order.customer_id.label("customer_id"),
            func.min(order.ordered_at).label("first_bought"),
            *(
                func.max(
                    case(
                        (
                            and_(
                                order.ordered_at >= moment(at - timedelta(days=active_days)),
                                order.ordered_at < moment(at),
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ).label(f"bought_{index}")
                for index, at in enumerate(instants)
            ),
        )
        .where(
            order.amount_cents > 0,
            order.ordered_at < moment(max(instants)),
            *among(order.customer_id, customers),
        )
        .group_by(order.customer_id)
        .subquery()
    )
    customer = _CUSTOMERS.c
    never_subscribed = subscribed.c.customer_id.is_(None)
    return (
        select(
            customer.id,
            customer.plan,
            customer.account_id,
            func.coalesce(customer.signed_up_at, subscribed.c.first_paid, bought.c.first_bought).label(
                "acquired_at"
            ),
            earlier(subscribed.c.first_paid, bought.c.first_bought).label("first_paid_at"),
            *(
                case(
                    (subscribed.c[f"paying_{index}"] == 1, 1),
                    (and_(never_subscribed, bought.c[f"bought_{index}"] == 1), 1),
                    else_=0,
                ).label(f"active_{index}")
                for index in range(len(instants))
            ),
        )
        .select_from(
            _CUSTOMERS.outerjoin(subscribed, subscribed.c.customer_id == customer.id).outerjoin(
                bought, bought.c.customer_id == customer.id
            )
        )
        .where(*among(customer.id, customers))
        .subquery()
    )
