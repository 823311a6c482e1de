"""Conversions attributed to the campaign messages before them: first and last touch, the
window, the holdout's conversions counted against it, and the lift a marketer reads."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from bot.adapters.database_work import DatabaseWork
from bot.campaigns.attribution import attribute
from bot.campaigns.launch import launch
from bot.content.loader import load_content
from bot.content.model import ContentPack
from bot.delivery.outbox import LearnerOutbox
from bot.engine import Engine
from storage.campaign_models import CampaignAssignment, ConversionTouch
from storage.campaigns import arm_counts
from storage.customer_models import Conversion, Customer
from storage.db import Database
from storage.models import Learner
from tests.campaigns.crowd import Someone, seed
from tests.campaigns.test_launch import Screens
from tests.engine.chat import Clock

PACK = Path(__file__).parent / "pack"
WINDOW = timedelta(days=14)


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_content([PACK])


def send(database: Database, work: DatabaseWork, engine: Engine, campaign_id: str) -> None:
    with database.transaction() as session:
        launch(session, engine.content.campaigns[campaign_id], engine.clock(), ZoneInfo("UTC"), "en")
    outbox = LearnerOutbox(work, Screens(), engine.reach_out, clock=engine.clock)
    while asyncio.run(outbox.deliver_due()):
        pass


def convert(database: Database, user: str, at: datetime, revenue_cents: int = 4900) -> int:
    with database.transaction() as session:
        customer = session.scalar(select(Customer.id).where(Customer.external_id == f"customer-{user}"))
        return int(
            session.execute(
                insert(Conversion)
                .values(
                    external_id=f"upgrade-{user}-{at:%j}",
                    customer_id=customer,
                    goal="upgraded",
                    converted_at=at,
                    revenue_cents=revenue_cents,
                    currency="USD",
                    created_at=at,
                )
                .returning(Conversion.id)
            ).scalar_one()
        )


def arms_of(database: Database, campaign_id: str) -> dict[str, str]:
    with database.transaction() as session:
        found = session.execute(
            select(Customer.external_id, CampaignAssignment.variant)
            .join(Learner, Learner.customer_id == Customer.id)
            .join(CampaignAssignment, CampaignAssignment.learner_id == Learner.id)
            .where(CampaignAssignment.campaign_id == campaign_id)
        )
        return {external.removeprefix("customer-"): variant for external, variant in found}


def touches(database: Database, conversion_id: int) -> dict[str, tuple[str, str]]:
    with database.transaction() as session:
        rows = session.execute(
            select(ConversionTouch.model, ConversionTouch.campaign_id, ConversionTouch.variant).where(
                ConversionTouch.conversion_id == conversion_id
            )
        )
        return {model: (campaign, variant) for model, campaign, variant in rows}


def test_first_and_last_touch_the_window_and_the_holdout(
    pack: ContentPack, database: Database, database_work: DatabaseWork
) -> None:
    clock = Clock()
    engine = Engine(pack, database, clock=clock)
    seed(database, [Someone(f"u{n}") for n in range(80)], clock())
    send(database, database_work, engine, "survey-blast")  # day 0: everyone, no holdout
    clock.advance(days=2)
    send(database, database_work, engine, "upsell")  # day 2: lesson, message or holdout
    arms = arms_of(database, "upsell")
    by_arm: dict[str, list[str]] = {}
    for user, arm in sorted(arms.items()):
        by_arm.setdefault(arm, []).append(user)
    message, lesson, holdout = by_arm["message"], by_arm["lesson"], by_arm["holdout"]
    day = clock()
    conversions = {
        "message 3 days after": convert(database, message[0], day + timedelta(days=3)),
        "message again": convert(database, message[1], day + timedelta(days=1)),
        "lesson": convert(database, lesson[0], day + timedelta(days=5)),
        "holdout": convert(database, holdout[0], day + timedelta(days=4)),
        "outside the window": convert(database, lesson[1], day + timedelta(days=20)),
        "before any message": convert(database, lesson[2], day - timedelta(days=3)),
    }
    with database.transaction() as session:
        assert attribute(session, pack, WINDOW) == 4  # every conversion not attributed yet
        assert attribute(session, pack, WINDOW) == 0  # and only once

    assert touches(database, conversions["message 3 days after"]) == {
        "first": ("survey-blast", "main"),
        "last": ("upsell", "message"),
    }
    assert touches(database, conversions["lesson"])["last"] == ("upsell", "lesson")
    # The holdout got nothing from upsell, but being chosen is its touch: the last one.
    assert touches(database, conversions["holdout"]) == {
        "first": ("survey-blast", "main"),
        "last": ("upsell", "holdout"),
    }
    # 20 days after upsell is past the window of both campaigns.
    assert touches(database, conversions["outside the window"]) == {}
    assert touches(database, conversions["before any message"]) == {}

    with database.transaction() as session:
        counts = {row.arm: row for row in arm_counts(session, "upsell")}
    assert (counts["message"].converted, counts["message"].revenue_cents) == (2, 9800)
    assert (counts["lesson"].converted, counts["holdout"].converted) == (1, 1)
