"""Repeat purchases, returning customers (Shopify's reading) and revenue growth from
existing customers, from orders; refunds are not purchases but do reduce revenue."""

from __future__ import annotations

from datetime import date

import pytest

from bot.metrics.periods import custom_period, period_containing
from bot.metrics.retention import Input
from storage.db import Database
from tests.metrics.history import BERLIN, at, customer, metrics_of, november, order


def _orders(database: Database) -> None:
    """October and November 2026 in Berlin.

    loyal:    10,000 in October; 12,000 in November and a 2,000 refund
    monthly:  5,000 in October; 5,000 in November
    once:     1,500 in October, nothing in November
    newcomer: signed up in November, 2,000 and 1,000 then
    """
    with database.transaction() as session:
        loyal = customer(session, "loyal")
        order(session, loyal, "2026-10-10", 10_000)
        order(session, loyal, "2026-11-10", 12_000)
        order(session, loyal, "2026-11-12", -2_000)
        monthly = customer(session, "monthly")
        order(session, monthly, "2026-10-15", 5_000)
        order(session, monthly, "2026-11-02", 5_000)
        once = customer(session, "once")
        order(session, once, "2026-10-01", 1_500)
        newcomer = customer(session, "newcomer", signed_up="2026-11-05")
        order(session, newcomer, "2026-11-05", 2_000)
        order(session, newcomer, "2026-11-06", 1_000)


def test_repeat_purchases_count_in_the_period_and_returning_buyers_count_earlier_ones(
    database: Database,
) -> None:
    _orders(database)

    found = metrics_of(database, november())

    # November's buyers: loyal (one purchase: the refund is none), monthly, newcomer (two).
    # Repeat in November: newcomer. Returning (two or more up to November's end): loyal,
    # monthly (their first in October) and newcomer.
    assert found["repeat_purchase_ratio"].inputs == (
        Input("buyers in the period", 3, "customers"),
        Input("with 2+ purchases in the period", 1, "customers"),
        Input("with 2+ purchases up to its end", 3, "customers"),
    )
    assert found["repeat_purchase_ratio"].value == pytest.approx(1 / 3)
    assert found["returning_customer_rate"].value == 1.0


def test_revenue_growth_compares_existing_customers_with_their_previous_period(database: Database) -> None:
    _orders(database)

    found = metrics_of(database, november())["revenue_growth_existing"]

    # Existing before November: loyal, monthly, once. November 10,000 + 5,000 + 0 against
    # October 10,000 + 5,000 + 1,500; the newcomer's 3,000 is not theirs.
    assert found.inputs == (
        Input("customers acquired before the period", 3, "customers"),
        Input("their revenue in the period", 15_000, "cents"),
        Input("their revenue in the previous period", 16_500, "cents"),
    )
    assert found.value == pytest.approx(-1_500 / 16_500)


def test_purchases_fall_in_the_period_of_the_companys_calendar_in_summer_time(database: Database) -> None:
    with database.transaction() as session:
        buyer = customer(session, "buyer")
        order(session, buyer, at("2026-03-01T00:30", BERLIN), 100)  # 2026-02-28 23:30Z
        order(session, buyer, at("2026-03-31T23:30", BERLIN), 100)  # 2026-03-31 21:30Z
        order(session, buyer, at("2026-04-01T00:30", BERLIN), 100)  # 2026-03-31 22:30Z

    march = metrics_of(database, period_containing("month", date(2026, 3, 1), BERLIN))
    april = metrics_of(database, period_containing("month", date(2026, 4, 1), BERLIN))
    a_day = metrics_of(database, custom_period(date(2026, 3, 31), date(2026, 3, 31), BERLIN))

    assert march["repeat_purchase_ratio"].inputs[:2] == (
        Input("buyers in the period", 1, "customers"),
        Input("with 2+ purchases in the period", 1, "customers"),
    )
    assert april["repeat_purchase_ratio"].value == 0.0
    assert april["returning_customer_rate"].value == 1.0
    assert a_day["repeat_purchase_ratio"].value == 0.0
