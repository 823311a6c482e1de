"""How many people of each account the bot reached in a period, and how often: the
grouped counts behind the B2B view (`bot.metrics.accounts`). A person is a learner tied to
one of the account's customers; a touch is a message in or out (the engine's milestone
marks are not touches). Only a row per number of people reached, and the top accounts,
come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Subquery, Table, func, select
from sqlalchemy.orm import Session

from storage.customer_activity import Ids, among, moment
from storage.customer_models import Account, Customer
from storage.models import Interaction, Learner

_ACCOUNTS = cast(Table, Account.__table__)
_CUSTOMERS = cast(Table, Customer.__table__)
_LEARNERS = cast(Table, Learner.__table__)
_INTERACTIONS = cast(Table, Interaction.__table__)


@dataclass(frozen=True)
class Spread:
    people: int
    """People reached in the period."""
    accounts: int
    """Accounts that many people of which were reached."""
    touches: int


@dataclass(frozen=True)
class AccountTouches:
    external_id: str
    name: str
    people_known: int
    """Learners tied to the account's customers, reached or not."""
    people_reached: int
    touches: int


def _per_account(start: datetime, end: datetime, customers: Ids) -> Subquery:
    """(account_id, people, touches) for each account with someone reached."""
    log, learner, customer = _INTERACTIONS.c, _LEARNERS.c, _CUSTOMERS.c
    return (
        select(
            customer.account_id.label("account_id"),
            func.count(log.learner_id.distinct()).label("people"),
            func.count().label("touches"),
        )
        .select_from(
            _CUSTOMERS.join(_LEARNERS, learner.customer_id == customer.id).join(
                _INTERACTIONS, log.learner_id == learner.id
            )
        )
        .where(
            customer.account_id.is_not(None),
            log.at >= moment(start),
            log.at < moment(end),
            log.direction.in_(("in", "out")),
            *among(customer.id, customers),
        )
        .group_by(customer.account_id)
        .subquery()
    )


def touch_spread(session: Session, start: datetime, end: datetime, customers: Ids) -> tuple[Spread, ...]:
    """Accounts reached, by how many of their people were (fewest first)."""
    account = _per_account(start, end, customers).c
    rows = session.execute(
        select(account.people, func.count(), func.sum(account.touches))
        .group_by(account.people)
        .order_by(account.people)
    ).all()
    return tuple(Spread(int(people), int(count), int(touches)) for people, count, touches in rows)


def top_accounts(
    session: Session, start: datetime, end: datetime, customers: Ids, limit: int
) -> tuple[AccountTouches, ...]:
    """The accounts with the most people reached (then touches, then id)."""
    reached = _per_account(start, end, customers).c
    top = (
        select(reached.account_id, reached.people, reached.touches)
        .order_by(reached.people.desc(), reached.touches.desc(), reached.account_id)
        .limit(limit)
        .subquery()
    )
    learner, customer, account = _LEARNERS.c, _CUSTOMERS.c, _ACCOUNTS.c
    known = (
        select(customer.account_id.label("account_id"), func.count().label("people"))
        .select_from(_CUSTOMERS.join(_LEARNERS, learner.customer_id == customer.id))
        .where(customer.account_id.in_(select(top.c.account_id)), *among(customer.id, customers))
        .group_by(customer.account_id)
        .subquery()
    )
    rows = session.execute(
        select(account.external_id, account.name, known.c.people, top.c.people, top.c.touches)
        .select_from(
            top.join(_ACCOUNTS, account.id == top.c.account_id).join(
                known, known.c.account_id == top.c.account_id
            )
        )
        .order_by(top.c.people.desc(), top.c.touches.desc(), top.c.account_id)
    ).all()
    return tuple(
        AccountTouches(external_id, name, int(people_known), int(people), int(touches))
        for external_id, name, people_known, people, touches in rows
    )
