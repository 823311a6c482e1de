"""How many people of each account the bot reached in a period, and how often: the
grouped counts behind the B2B view (`bot.metrics.accounts`). A person is a learner tied to
one of the account's customers; a touch is an interaction logged with them (a message in
or out, or a milestone the engine noted): counting every row lets the database answer from
the (learner, instant) index alone, without reading the log's rows. Only a row per number
of people reached, and the top accounts, come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Integer, Table, func, literal_column, select, union_all
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


@dataclass(frozen=True)
class Touches:
    spread: tuple[Spread, ...]
    """Fewest people first."""
    top: tuple[AccountTouches, ...]
    """Most people reached first, then most touches, then the account's id."""


def account_touches(session: Session, start: datetime, end: datetime, customers: Ids, limit: int) -> Touches:
    """One statement reads the period's log once (a common table expression of the
    per-account counts), for both the spread and the top `limit` accounts."""
    log, learner, customer = _INTERACTIONS.c, _LEARNERS.c, _CUSTOMERS.c
    reached = (
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
            *among(customer.id, customers),
        )
        .group_by(customer.account_id)
        .cte("reached")
    ).c
    spread = select(
        reached.people,
        func.count().label("accounts"),
        func.sum(reached.touches).label("touches"),
        literal_column("NULL", Integer).label("account_id"),
    ).group_by(reached.people)
    top = (
        select(
            reached.people,
            literal_column("1", Integer).label("accounts"),
            reached.touches,
            reached.account_id,
        )
        .order_by(reached.people.desc(), reached.touches.desc(), reached.account_id)
        .limit(limit)
        .subquery()
    )
    # The spread's rows have no account; the top accounts' rows, one each.
    rows = session.execute(union_all(spread, select(top))).all()
    spreads = sorted(
        (
            Spread(int(people), int(count), int(touches))
            for people, count, touches, account in rows
            if account is None
        ),
        key=lambda each: each.people,
    )
    chosen = [
        (int(account), int(people), int(touches))
        for people, _, touches, account in rows
        if account is not None
    ]
    return Touches(tuple(spreads), _named(session, chosen, customers))


def _named(
    session: Session, chosen: Sequence[tuple[int, int, int]], customers: Ids
) -> tuple[AccountTouches, ...]:
    """The chosen accounts' ids and names, and how many learners each has."""
    if not chosen:
        return ()
    learner, customer, account = _LEARNERS.c, _CUSTOMERS.c, _ACCOUNTS.c
    ids = [account_id for account_id, _, _ in chosen]
    known: dict[int, int] = dict(
        session.execute(
            select(customer.account_id, func.count())
            .select_from(_CUSTOMERS.join(_LEARNERS, learner.customer_id == customer.id))
            .where(customer.account_id.in_(ids), *among(customer.id, customers))
            .group_by(customer.account_id)
        ).all()
    )
    names = {
        row.id: (row.external_id, row.name)
        for row in session.execute(
            select(account.id, account.external_id, account.name).where(account.id.in_(ids))
        )
    }
    ordered = sorted(chosen, key=lambda each: (-each[1], -each[2], each[0]))
    return tuple(
        AccountTouches(*names[account_id], int(known[account_id]), people, touches)
        for account_id, people, touches in ordered
    )
