"""Lifecycle stages at a period's start and end, and the moves between them, on a
hand-built history (November 2026 in Berlin, activity window 90 days, loyal after 365);
a customer who churns and comes back, month by month."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert
from sqlalchemy.orm import Session

from bot.metrics.definitions import Definitions
from bot.metrics.lifecycle import STAGES, Lifecycle, Stage, lifecycle
from bot.metrics.periods import Period, period_containing
from bot.metrics.segment import ReportSegment
from storage.db import Database
from storage.retention import without_jit
from tests.metrics.hand_built import LEARNERS, learner_row
from tests.metrics.history import BERLIN, at, customer, november, order, subscription


def _learner(session: Session, first_contact: str, customer_id: int | None = None) -> None:
    session.execute(insert(LEARNERS), learner_row(None, at(first_contact), customer_id=customer_id))


def _stages(database: Database, period: Period) -> Lifecycle:
    with database.transaction() as session:
        without_jit(session)
        return lifecycle(session, period, ReportSegment(), Definitions(zone=BERLIN), "en")


def _moves(found: Lifecycle) -> dict[tuple[Stage, Stage], int]:
    return {(move.at_start, move.at_end): move.people for move in found.moves}


def test_each_person_moves_by_the_rules(database: Database) -> None:
    """November: [2026-10-31 23:00Z, 2026-11-30 23:00Z)."""
    with database.transaction() as session:
        _learner(session, "2026-10-01")  # stranger: no customer record; reach, reach
        _learner(session, "2026-11-10")  # newcomer: first wrote in November; none, reach
        lead = customer(session, "lead", signed_up=None)  # in the CRM, never signed up: reach, reach
        _learner(session, "2026-09-01", lead)
        signup = customer(session, "signup", signed_up="2026-11-03")  # reach, acquisition
        _learner(session, "2026-10-15", signup)
        customer(session, "trial", signed_up="2026-06-01")  # acquisition, acquisition
        converted = customer(session, "converted", signed_up="2026-10-01")  # acquisition, conversion
        subscription(session, converted, 1_000, "2026-11-05")
        # Paying since 15 August: not 90 days before the start, but 90 days before the end.
        subscription(session, customer(session, "second", signed_up="2026-08-15"), 1_000, "2026-08-15")
        subscription(session, customer(session, "loyal"), 1_000, "2025-06-01")  # loyalty, loyalty
        # Paying since 15 November 2025: a year by the end, not by the start.
        subscription(session, customer(session, "anniversary"), 1_000, "2025-11-15")
        churner = customer(session, "churner")  # retention, lapsed
        subscription(session, churner, 1_000, "2026-03-01", "2026-11-15")
        returner = customer(session, "returner")  # lapsed, conversion
        subscription(session, returner, 1_000, "2025-01-01", "2026-09-01")
        subscription(session, returner, 1_000, "2026-11-10")
        # A buyer: 20 August is in the 90 days before the start, 1 May not in the 90 days
        # before that; 5 November and 20 August in the windows before the end.
        buyer = customer(session, "buyer", signed_up=None)  # conversion, retention
        for day in ("2026-05-01", "2026-08-20", "2026-11-05"):
            order(session, buyer, day, 2_000)

    found = _stages(database, november())

    assert _moves(found) == {
        ("none", "reach"): 1,
        ("reach", "reach"): 2,
        ("reach", "acquisition"): 1,
        ("acquisition", "acquisition"): 1,
        ("acquisition", "conversion"): 1,
        ("conversion", "retention"): 2,
        ("retention", "loyalty"): 1,
        ("retention", "lapsed"): 1,
        ("loyalty", "loyalty"): 1,
        ("lapsed", "conversion"): 1,
    }
    assert [found.at_start(stage) for stage in STAGES] == [3, 2, 2, 2, 1, 1]
    assert [found.at_end(stage) for stage in STAGES] == [3, 2, 2, 2, 2, 1]


def test_a_customer_who_churns_and_returns_lapses_then_converts_again(database: Database) -> None:
    with database.transaction() as session:
        returner = customer(session, "returner")
        subscription(session, returner, 1_000, "2025-01-01", "2026-09-01")
        subscription(session, returner, 1_000, "2026-11-10")

    by_month = [
        _moves(_stages(database, period_containing("month", date(2026, month, 1), BERLIN)))
        for month in (8, 9, 10, 11, 12)
    ]

    # The subscription ends at 02:00 on 1 September in Berlin: September's churn.
    assert by_month == [
        {("loyalty", "loyalty"): 1},
        {("loyalty", "lapsed"): 1},
        {("lapsed", "lapsed"): 1},
        {("lapsed", "conversion"): 1},
        # Paying again, but not yet 90 days: a returner is not loyal again at once.
        {("conversion", "conversion"): 1},
    ]


def test_an_empty_history_has_no_one_in_any_stage(database: Database) -> None:
    found = _stages(database, november())

    assert found.moves == ()
    assert [each.accounts for each in found.accounts] == [0] * len(STAGES)
    assert [found.at_end(stage) for stage in STAGES] == [0] * len(STAGES)
