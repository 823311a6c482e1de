"""Customers put in the database as the import would, and what the tests read back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from storage.customer_models import Customer
from storage.db import Database
from storage.models import Interaction, Learner, LearnerIdentity

SECRET = "linking-test-secret-3f9c"


def add_customer(database: Database, external_id: str, email: str | None = None) -> int:
    now = datetime.now(UTC)
    with database.transaction() as session:
        customer = Customer(external_id=external_id, email=email, created_at=now, updated_at=now)
        session.add(customer)
        session.flush()
        return customer.id


@dataclass(frozen=True)
class Tie:
    """How a learner stands: their customer, who referred them, how they came."""

    customer_id: int | None
    referred_by_id: int | None = None
    source: str | None = None


def learner_id(database: Database, platform: str, user_id: str) -> int:
    with database.transaction() as session:
        query = select(LearnerIdentity.learner_id).where(
            LearnerIdentity.platform == platform, LearnerIdentity.user_id == user_id
        )
        return session.scalars(query).one()


def tie_of(database: Database, platform: str, user_id: str) -> Tie:
    found = learner_id(database, platform, user_id)
    with database.transaction() as session:
        learner = session.get_one(Learner, found)
        return Tie(learner.customer_id, learner.referred_by_id, learner.source)


def logged_anywhere(database: Database, text: str) -> bool:
    """Whether `text` is in any row of the interaction log."""
    with database.transaction() as session:
        rows = session.execute(select(Interaction.content_id, Interaction.detail)).all()
    return any(text in (row.content_id or "") or text in (row.detail or "") for row in rows)


def marks(database: Database, kind: str) -> list[tuple[int, str | None]]:
    """(learner id, detail) of every `kind` mark in the interaction log, oldest first."""
    with database.transaction() as session:
        query = (
            select(Interaction.learner_id, Interaction.detail)
            .where(Interaction.direction == "mark", Interaction.kind == kind)
            .order_by(Interaction.id)
        )
        return [(row.learner_id, row.detail) for row in session.execute(query)]
