"""The issue's independent check of the purchase metrics: the repeat purchase ratio and the
returning customer rate of a month, on a seeded history of 120,000 orders (refunds among
them), against a plain pandas reading of the same orders."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import insert, select

from storage.customer_models import Customer, Order
from storage.db import Database
from tests.metrics.history import BERLIN, metrics_of, november

CUSTOMERS = 12_000
ORDERS = 120_000
CHUNK = 10_000


def seeded(database: Database) -> pd.DataFrame:
    """The orders of a year, as inserted: customer, time, amount (cents; some refunds)."""
    rng = random.Random(13)
    now = datetime(2026, 12, 15, tzinfo=UTC)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with database.transaction() as session:
        connection = session.connection()
        connection.execute(
            insert(Customer),
            [
                {"external_id": f"c{n}", "name": "", "attributes": {}, "created_at": now, "updated_at": now}
                for n in range(CUSTOMERS)
            ],
        )
        ids = list(connection.execute(select(Customer.id).order_by(Customer.id)).scalars())
        # A few heavy buyers and many occasional ones, so both metrics are far from 0 and 1.
        weights = [rng.paretovariate(1.2) for _ in ids]
        buyers = rng.choices(ids, weights=weights, k=ORDERS)
        rows = [
            {
                "external_id": f"o{n}",
                "customer_id": buyer,
                "ordered_at": start + timedelta(seconds=rng.randrange(int((now - start).total_seconds()))),
                "amount_cents": -rng.randrange(100, 5_000)
                if rng.random() < 0.05
                else rng.randrange(100, 50_000),
                "currency": "EUR",
                "attributes": {},
                "created_at": now,
            }
            for n, buyer in enumerate(buyers)
        ]
        for first in range(0, len(rows), CHUNK):
            connection.execute(insert(Order), rows[first : first + CHUNK])
    return pd.DataFrame(
        {
            "customer": [row["customer_id"] for row in rows],
            "at": pd.to_datetime([row["ordered_at"] for row in rows], utc=True),
            "amount": [row["amount_cents"] for row in rows],
        }
    )


def test_repeat_purchase_ratio_and_returning_customer_rate_match_pandas(database: Database) -> None:
    orders = seeded(database)
    if not database.is_sqlite:
        # The statistics autovacuum gathers within a minute of a bulk load (see bench/broadcast.py's
        # `analyze`): without them PostgreSQL takes the tables just filled for empty ones and reads
        # every order again for each customer (20 s here instead of well under one).
        with database.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    period = november()
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    purchases = orders[orders["amount"] > 0]
    in_period = purchases[(purchases["at"] >= start) & (purchases["at"] < end)]
    per_buyer = in_period.groupby("customer").size()
    up_to_end = purchases[purchases["at"] < end].groupby("customer").size()
    buyers = per_buyer.index
    repeat = (per_buyer >= 2).sum() / len(buyers)
    returning = (up_to_end.loc[buyers] >= 2).sum() / len(buyers)
    assert 0.05 < repeat < 0.95
    assert repeat < returning < 1.0

    found = metrics_of(database, period)

    assert found["repeat_purchase_ratio"].value == pytest.approx(repeat)
    assert found["returning_customer_rate"].value == pytest.approx(returning)
    assert period.zone is BERLIN


def _amount(rng: random.Random) -> int:
    """A purchase, or (one in twenty) a refund."""
    return -rng.randrange(100, 5_000) if rng.random() < 0.05 else rng.randrange(100, 50_000)
