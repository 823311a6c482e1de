"""Learners for the campaign tests, inserted in bulk as the company's customers (a turn each
would take too long for a thousand): each with a customer record (plan, account), an
identity on a platform, and, if asked, the onboarding course completed some days ago."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from storage.customer_models import Customer
from storage.db import Database
from storage.models import Enrolment, Learner, LearnerIdentity


@dataclass(frozen=True)
class Someone:
    """One learner to insert. `user` is their id on `platform` and, in a DM, their chat."""

    user: str
    platform: str = "console"
    workspace: str = ""
    plan: str | None = "free"
    completed_days_ago: int | None = 10
    """When they completed onboarding (None: never)."""
    subscribed: bool = True
    unreachable: bool = False
    first_name: str = ""
    platform_user: str = ""
    """Their id on the platform, if not `user`."""
    timezone: str | None = None
    """The zone they chose with `timezone`."""

    @property
    def platform_id(self) -> str:
        return self.platform_user or self.user

    @property
    def conversation(self) -> str:
        return f"D{self.platform_id}" if self.platform == "slack" else self.platform_id


def seed(database: Database, crowd: Sequence[Someone], now: datetime) -> list[int]:
    """The learners' ids, in the crowd's order. Each is the customer `customer-<user>`, made
    here unless an import made it already."""
    with database.transaction() as session:
        connection = session.connection()
        known = set(connection.execute(select(Customer.external_id)).scalars())
        new: list[dict[str, object]] = [
            {
                "external_id": f"customer-{one.user}",
                "email": f"{one.user.lower()}@example.com",
                "name": one.first_name,
                "plan": one.plan,
                "attributes": {},
                "created_at": now,
                "updated_at": now,
            }
            for one in crowd
            if f"customer-{one.user}" not in known
        ]
        if new:
            connection.execute(insert(Customer), new)
        customers = dict(connection.execute(select(Customer.external_id, Customer.id)).all())
        learners: list[dict[str, object]] = [
            {
                "first_name": one.first_name,
                "created_at": now - timedelta(days=30),
                "last_seen_at": now - timedelta(days=1),
                "attributes": {},
                "answers": {},
                "subscribed": one.subscribed,
                "unreachable_at": now if one.unreachable else None,
                "customer_id": customers[f"customer-{one.user}"],
                "chosen_timezone": one.timezone,
            }
            for n, one in enumerate(crowd)
        ]
        ids = [
            row.id
            for row in connection.execute(
                insert(Learner).returning(Learner.id, sort_by_parameter_order=True), learners
            )
        ]
        connection.execute(
            insert(LearnerIdentity),
            [
                {
                    "learner_id": learner_id,
                    "platform": one.platform,
                    "workspace": one.workspace,
                    "user_id": one.platform_id,
                    "conversation_id": one.conversation,
                    "created_at": now,
                }
                for learner_id, one in zip(ids, crowd, strict=True)
            ],
        )
        completed = [
            {
                "learner_id": learner_id,
                "course_id": "onboarding",
                "status": "completed",
                "lesson_id": None,
                "completed_lessons": ["welcome"],
                "started_at": now - timedelta(days=one.completed_days_ago + 1),
                "last_activity_at": now - timedelta(days=one.completed_days_ago),
                "completed_at": now - timedelta(days=one.completed_days_ago),
            }
            for learner_id, one in zip(ids, crowd, strict=True)
            if one.completed_days_ago is not None
        ]
        if completed:
            connection.execute(insert(Enrolment), completed)
    return ids
