"""Customer retention (exact and textbook), churn and lifetime value on a hand-built
November in Berlin, and an empty period."""

from __future__ import annotations

from datetime import date

import pytest

from bot.metrics.periods import period_containing
from bot.metrics.retention import Input
from storage.db import Database
from tests.metrics.history import BERLIN, at, customer, metrics_of, november, order, subscription


def _november_customers(database: Database) -> None:
    """November 2026 in Berlin: [2026-10-31 23:00Z, 2026-11-30 23:00Z).

    kept:        subscribed all year                      active at start and end
    lost:        subscription ends 15 November            active at start only: churned
    returning:   paid January to May, again from 10 Nov   active at end only: a reactivation
    newcomer:    signed up and subscribed 5 November      active at end, acquired in November
    buyer:       no subscription, bought 1 October        active at start and end (within 90 days)
    lapsed:      no subscription, bought in July          active at neither
    """
    with database.transaction() as session:
        kept = customer(session, "kept")
        subscription(session, kept, 10_000, "2026-01-01")
        lost = customer(session, "lost")
        subscription(session, lost, 5_000, "2026-01-01", "2026-11-15")
        returning = customer(session, "returning")
        subscription(session, returning, 3_000, "2026-01-01", "2026-06-01")
        subscription(session, returning, 4_000, "2026-11-10")
        newcomer = customer(session, "newcomer", signed_up="2026-11-05")
        subscription(session, newcomer, 2_000, "2026-11-05")
        buyer = customer(session, "buyer")
        order(session, buyer, "2026-10-01", 1_500)
        lapsed = customer(session, "lapsed")
        order(session, lapsed, "2026-07-01", 800)
        order(session, kept, "2026-11-10", 10_000)
        order(session, lost, "2026-11-02", 5_000)
        order(session, newcomer, "2026-11-05", 2_000)


def test_exact_retention_counts_the_same_customers_and_the_textbook_one_a_reactivation(
    database: Database,
) -> None:
    _november_customers(database)

    found = metrics_of(database, november())

    # Active at start: kept, lost, buyer (3). At end: kept, returning, newcomer, buyer (4).
    # Still active: kept, buyer (2). Acquired in November: newcomer (1).
    inputs = (
        Input("active at start", 3, "customers"),
        Input("still active at end", 2, "customers"),
        Input("active at end", 4, "customers"),
        Input("acquired in the period", 1, "customers"),
    )
    assert found["customer_retention_rate"].inputs == inputs
    assert found["customer_retention_rate"].value == pytest.approx(2 / 3)
    # (4 - 1) / 3: the returning customer passes for a retained one.
    assert found["customer_retention_rate_textbook"].value == 1.0
    assert found["customer_churn_rate"].value == pytest.approx(1 / 3)
    assert found["customer_churn_rate"].formula == (
        "customers churned (active at start, not at end) / customers active at start"
    )


def test_lifetime_value_is_revenue_per_customer_times_margin_over_churn(database: Database) -> None:
    _november_customers(database)

    found = metrics_of(database, november(), gross_margin=0.8)["customer_lifetime_value"]

    # Customers at start: kept, lost, buyer; their November revenue 10,000 + 5,000 + 0 cents.
    # Revenue per customer 5,000 x 0.8 / churn 1/3 = 12,000 cents.
    assert found.value == 12_000
    assert found.unit == "cents"
    assert found.inputs == (
        Input("active at start", 3, "customers"),
        Input("their revenue in the period", 15_000, "cents"),
        Input("churned", 1, "customers"),
    )


def test_without_churn_lifetime_value_cannot_be_computed(database: Database) -> None:
    with database.transaction() as session:
        subscription(session, customer(session, "kept"), 10_000, "2026-01-01")

    found = metrics_of(database, november())

    assert found["customer_churn_rate"].value == 0.0
    assert found["customer_lifetime_value"].value is None


def test_an_empty_period_has_no_values_rather_than_an_error(database: Database) -> None:
    found = metrics_of(database, november())

    assert {key: metric.value for key, metric in found.items()} == dict.fromkeys(
        (
            "customer_retention_rate",
            "customer_retention_rate_textbook",
            "customer_churn_rate",
            "mrr_churn_gross",
            "mrr_churn_net",
            "revenue_growth_existing",
            "customer_lifetime_value",
            "nps",
            "repeat_purchase_ratio",
            "returning_customer_rate",
        )
    )


def test_the_period_ends_at_the_companys_midnight_across_a_clock_change(database: Database) -> None:
    """March 2026 in Berlin ends at 2026-03-31 22:00Z (summer time began on the 29th)."""
    with database.transaction() as session:
        before_midnight = customer(session, "before midnight")
        subscription(session, before_midnight, 1_000, "2026-01-01", at("2026-03-31T23:30", BERLIN))
        after_midnight = customer(session, "after midnight")
        subscription(session, after_midnight, 1_000, "2026-01-01", at("2026-04-01T00:30", BERLIN))

    found = metrics_of(database, period_containing("month", date(2026, 3, 1), BERLIN))

    # One subscription ended in March on the company's clock; the other on 1 April, though
    # both ended on 31 March in UTC (21:30Z and 22:30Z).
    assert found["customer_churn_rate"].value == 0.5


def test_a_subscription_ending_at_midnight_churns_in_the_period_that_midnight_starts(
    database: Database,
) -> None:
    with database.transaction() as session:
        leaving = customer(session, "leaving")
        subscription(session, leaving, 1_000, "2026-01-01", at("2026-12-01", BERLIN))
        joining = customer(session, "joining", signed_up="2026-11-01")
        subscription(session, joining, 1_000, at("2026-11-01", BERLIN))

    found = metrics_of(database, november())
    december = metrics_of(database, period_containing("month", date(2026, 12, 1), BERLIN))

    # Paid for all of November: still active at its end, lost in December. The subscription
    # begun at November's first instant is November's new customer, not one at its start.
    assert [each.value for each in found["customer_retention_rate"].inputs] == [1, 1, 2, 1]
    assert december["customer_churn_rate"].value == 0.5
    assert [(each.name, each.value) for each in december["mrr_churn_gross"].inputs][:2] == [
        ("MRR at start", 2_000),
        ("churned MRR", 1_000),
    ]
