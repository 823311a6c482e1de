"""A small company's history up to early December 2026, for the dashboard to show: ten
customers (six on Pro, four on Free) whose learners first wrote from June to October, with
subscriptions (one Pro and two Free customers leave in November), monthly activity, NPS
answers every month, a course funnel, FAQ questions and a campaign with a holdout, all in
November. Times are UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from storage.campaign_models import CampaignAssignment, ConversionTouch
from storage.customer_models import Conversion, Customer
from storage.db import Database
from storage.models import Enrolment, FaqQuestion
from tests.metrics.hand_built import learner, logged
from tests.metrics.history import at, nps, subscription

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
"""The clock of the serving process: November 2026 is the last complete month."""
PRO, FREE = range(6), range(6, 10)
LEFT_IN_NOVEMBER = {1: "2026-11-10", 7: "2026-11-20", 8: "2026-11-20"}
HOLDOUT = (4, 5, 8, 9)
_ASSIGNMENTS = cast(Table, CampaignAssignment.__table__)
_TOUCHES = cast(Table, ConversionTouch.__table__)
_CONVERSIONS = cast(Table, Conversion.__table__)
_ENROLMENTS = cast(Table, Enrolment.__table__)
_QUESTIONS = cast(Table, FaqQuestion.__table__)


def _customer(session: Session, number: int, signed_up: datetime) -> int:
    row = Customer(
        external_id=f"C-{number}",
        name=f"Customer {number}",
        plan="Pro" if number in PRO else "Free",
        signed_up_at=signed_up,
        attributes={},
        created_at=signed_up,
        updated_at=signed_up,
    )
    session.add(row)
    session.flush()
    return row.id


def seed(database: Database) -> list[int]:
    """The history; the learners' ids, customer by customer."""
    learners: list[int] = []
    with database.transaction() as session:
        for number in range(10):
            signed_up = at(f"2026-{6 + number % 5:02d}-05")
            customer_id = _customer(session, number, signed_up)
            subscription(
                session,
                customer_id,
                4_000 if number in PRO else 1_000,
                signed_up,
                LEFT_IN_NOVEMBER.get(number),
            )
            learner_id = learner(session, f"learner {number}", signed_up, customer_id)
            learners.append(learner_id)
            months = 6 if number % 3 else 2  # every third learner writes for two months only
            logged(session, learner_id, [signed_up + timedelta(days=30 * month) for month in range(months)])
            for month in range(7, 12):
                nps(session, learner_id, (number * 3 + month) % 11, f"2026-{month:02d}-15")
        _course(session, learners)
        _questions(session, learners)
        _campaign(session, learners)
    return learners


def _course(session: Session, learners: list[int]) -> None:
    """Six learners start `onboarding` in November; fewer reach each later lesson."""
    for position, lesson in enumerate(("welcome", "setup", "invite")):
        starting = learners[: 6 - 2 * position]
        for learner_id in starting:
            logged(
                session,
                learner_id,
                [at("2026-11-03") + timedelta(days=position)],
                kind="lesson_started",
                content_id=f"onboarding/{lesson}",
            )
        logged_completed = starting[:-1]
        for learner_id in logged_completed:
            logged(
                session,
                learner_id,
                [at("2026-11-03T12:00") + timedelta(days=position)],
                kind="lesson_completed",
                content_id=f"onboarding/{lesson}",
            )
    for index, learner_id in enumerate(learners[:6]):
        completed = at("2026-11-20") if index < 2 else None
        session.execute(
            insert(_ENROLMENTS),
            {
                "learner_id": learner_id,
                "course_id": "onboarding",
                "status": "completed" if completed else "active",
                "completed_lessons": [],
                "started_at": at("2026-11-03"),
                "last_activity_at": completed or at("2026-11-03"),
                "completed_at": completed,
            },
        )


def _questions(session: Session, learners: list[int]) -> None:
    """Six questions on 10 November: two marked Helped, two answered and left alone (settled
    by silence), one escalated, one unanswered."""
    outcomes = [
        ("helped", "pricing"),
        ("helped", "setup"),
        (None, "pricing"),
        (None, "invite"),
        ("need_human", "refund"),
        (None, None),
    ]
    for learner_id, (outcome, entry) in zip(learners, outcomes, strict=False):
        session.execute(
            insert(_QUESTIONS),
            {
                "learner_id": learner_id,
                "platform": "console",
                "text": "a question",
                "locale": "en",
                "decision": "answered" if entry else "unanswered",
                "entry_id": entry,
                "candidates": {},
                "outcome": outcome,
                "asked_at": at("2026-11-10T09:00"),
            },
        )


def _campaign(session: Session, learners: list[int]) -> None:
    """`upsell` from 2 November: four learners held out (none converts), six sent the
    `lesson` variant, of whom three convert."""
    converting = 0
    for number, learner_id in enumerate(learners):
        held = number in HOLDOUT
        assignment_id: int = session.execute(
            insert(_ASSIGNMENTS).returning(_ASSIGNMENTS.c.id),
            {
                "campaign_id": "upsell",
                "learner_id": learner_id,
                "variant": "holdout" if held else "lesson",
                "outcome": "holdout" if held else "queued",
                "assigned_at": at("2026-11-02"),
                "sent_at": None if held else at("2026-11-02T10:00"),
            },
        ).scalar_one()
        if held or converting == 3:
            continue
        converting += 1
        conversion_id: int = session.execute(
            insert(_CONVERSIONS).returning(_CONVERSIONS.c.id),
            {
                "external_id": f"conversion-{learner_id}",
                "learner_id": learner_id,
                "goal": "upgraded",
                "converted_at": at("2026-11-12"),
                "revenue_cents": 10_000,
                "currency": "EUR",
                "created_at": at("2026-11-12"),
            },
        ).scalar_one()
        for model in ("last", "first"):
            session.execute(
                insert(_TOUCHES),
                {
                    "conversion_id": conversion_id,
                    "model": model,
                    "assignment_id": assignment_id,
                    "campaign_id": "upsell",
                    "variant": "lesson",
                    "content_id": None,
                    "touched_at": at("2026-11-12"),
                },
            )
