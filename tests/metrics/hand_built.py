"""Hand-built histories for the cohort, learning and support tests: learners, their
customers and accounts, and what they did, inserted as rows (a turn each would say nothing
more about the numbers)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from storage.customer_models import Account, Customer
from storage.models import Interaction, Learner

LEARNERS = cast(Table, Learner.__table__)
INTERACTIONS = cast(Table, Interaction.__table__)
_CUSTOMERS = cast(Table, Customer.__table__)
_ACCOUNTS = cast(Table, Account.__table__)


def learner_row(learner_id: int | None, first_contact: datetime, **values: object) -> dict[str, object]:
    row = {"created_at": first_contact, "last_seen_at": first_contact, **values}
    return row if learner_id is None else {"id": learner_id, **row}


def learner(session: Session, name: str, first_contact: datetime, customer_id: int | None = None) -> int:
    row = learner_row(None, first_contact, first_name=name, customer_id=customer_id)
    found: int = session.execute(insert(LEARNERS).returning(LEARNERS.c.id), row).scalar_one()
    return found


def interaction_row(
    learner_id: int,
    at: datetime,
    *,
    direction: str = "in",
    kind: str = "text",
    content_id: str | None = None,
    detail: str | None = None,
) -> dict[str, object]:
    return {
        "at": at,
        "learner_id": learner_id,
        "platform": "console",
        "direction": direction,
        "kind": kind,
        "content_id": content_id,
        "detail": detail,
    }


def many(session: Session, table: Table, rows: Sequence[dict[str, object]]) -> None:
    """Rows in bulk, in batches (SQLite and psycopg both take large executemanys)."""
    for start in range(0, len(rows), 20_000):
        session.execute(insert(table), rows[start : start + 20_000])


def account(session: Session, external_id: str, now: datetime) -> int:
    found: int = session.execute(
        insert(_ACCOUNTS).returning(_ACCOUNTS.c.id),
        {"external_id": external_id, "created_at": now, "updated_at": now},
    ).scalar_one()
    return found


def customer(
    session: Session,
    external_id: str,
    now: datetime,
    *,
    plan: str | None = None,
    account_id: int | None = None,
) -> int:
    found: int = session.execute(
        insert(_CUSTOMERS).returning(_CUSTOMERS.c.id),
        {
            "external_id": external_id,
            "plan": plan,
            "account_id": account_id,
            "attributes": {},
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    return found


def logged(
    session: Session,
    learner_id: int,
    ats: Iterable[datetime],
    *,
    direction: str = "in",
    kind: str = "text",
    content_id: str | None = None,
    detail: str | None = None,
) -> None:
    """One interaction row at each of `ats`."""
    rows = [
        interaction_row(learner_id, at, direction=direction, kind=kind, content_id=content_id, detail=detail)
        for at in ats
    ]
    if rows:
        session.execute(insert(INTERACTIONS), rows)
