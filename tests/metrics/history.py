"""A customer history written straight into the tables, as an import and the bot would
leave it, for the retention tests to compute on. Times are UTC unless a zone is given."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from itertools import count
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.metrics.definitions import Definitions
from bot.metrics.periods import Period, period_containing
from bot.metrics.retention import Metric, retention_metrics
from bot.metrics.segment import ReportSegment
from storage.customer_models import Customer, Order, Subscription
from storage.db import Database
from storage.models import Learner, LearnerIdentity, SurveyAnswer, SurveyResponse
from storage.retention import without_jit

BERLIN = ZoneInfo("Europe/Berlin")
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
_numbers = count(1)


def at(day: str, zone: tzinfo = UTC) -> datetime:
    """`2026-11-10` or `2026-11-10T14:30`, on the clock of `zone`, as an aware UTC datetime."""
    moment = datetime.fromisoformat(day) if "T" in day else datetime.combine(date.fromisoformat(day), time())
    return moment.replace(tzinfo=zone).astimezone(UTC)


def _instant(when: datetime | str) -> datetime:
    return at(when) if isinstance(when, str) else when


def customer(
    session: Session, name: str, *, signed_up: str | None = "2026-01-01", plan: str | None = None
) -> int:
    row = Customer(
        external_id=name,
        name=name,
        plan=plan,
        signed_up_at=at(signed_up) if signed_up else None,
        attributes={},
        created_at=CREATED,
        updated_at=CREATED,
    )
    session.add(row)
    session.flush()
    return row.id


def subscription(
    session: Session,
    customer_id: int,
    mrr_cents: int,
    started: datetime | str,
    ended: datetime | str | None = None,
    *,
    key: str = "",
) -> None:
    """One period at one price; give the periods of one subscription the same `key`."""
    session.add(
        Subscription(
            external_id=key or f"S-{next(_numbers)}",
            customer_id=customer_id,
            plan="Pro",
            mrr_cents=mrr_cents,
            currency="EUR",
            started_at=_instant(started),
            ended_at=None if ended is None else _instant(ended),
            created_at=CREATED,
        )
    )


def order(session: Session, customer_id: int, when: datetime | str, amount_cents: int) -> None:
    session.add(
        Order(
            external_id=f"O-{next(_numbers)}",
            customer_id=customer_id,
            ordered_at=_instant(when),
            amount_cents=amount_cents,
            currency="EUR",
            attributes={},
            created_at=CREATED,
        )
    )


def learner(session: Session, customer_id: int | None = None, *, platform: str = "telegram") -> int:
    row = Learner(first_name="Ann", customer_id=customer_id, created_at=CREATED, last_seen_at=CREATED)
    session.add(row)
    session.flush()
    session.add(
        LearnerIdentity(
            learner_id=row.id,
            platform=platform,
            user_id=str(row.id),
            conversation_id=str(row.id),
            created_at=CREATED,
        )
    )
    return row.id


def nps(session: Session, learner_id: int, score: int, when: str) -> None:
    band = "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
    response = SurveyResponse(learner_id=learner_id, survey_id="nps", started_at=at(when))
    session.add(response)
    session.flush()
    session.add(
        SurveyAnswer(
            response_id=response.id,
            survey_id="nps",
            question_id="recommend",
            question_type="nps",
            score=score,
            band=band,
            answered_at=at(when),
        )
    )


def metrics_of(
    database: Database,
    period: Period,
    segment: ReportSegment | None = None,
    *,
    active_days: int = 90,
    gross_margin: float = 1.0,
) -> dict[str, Metric]:
    """The retention metrics of `period`, by key."""
    definitions = Definitions(zone=period.zone, active_days=active_days, gross_margin=gross_margin)
    with database.transaction() as session:
        without_jit(session)  # as the report does
        found = retention_metrics(session, period, segment or ReportSegment(), definitions, "en")
    return {metric.key: metric for metric in found}


def november() -> Period:
    """November 2026 in Berlin: [2026-10-31 23:00Z, 2026-11-30 23:00Z)."""
    return period_containing("month", date(2026, 11, 1), BERLIN)
