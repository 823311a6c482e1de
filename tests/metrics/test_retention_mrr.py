"""MRR churn as ChartMogul defines it, each customer's MRR at the end of the period
compared with theirs at its start."""

from __future__ import annotations

import pytest

from bot.metrics.retention import Input
from storage.db import Database
from tests.metrics.history import customer, metrics_of, november, subscription


def test_chartmoguls_worked_example_gross_20_net_10_percent(database: Database) -> None:
    """MRR at start 10,000; churn 1,500; contraction 500; expansion 700; reactivation 300."""
    with database.transaction() as session:
        leaving = customer(session, "leaving")
        subscription(session, leaving, 1_500, "2026-01-01", "2026-11-20")
        downgrading = customer(session, "downgrading")
        subscription(session, downgrading, 3_000, "2026-01-01", "2026-11-10", key="S-down")
        subscription(session, downgrading, 2_500, "2026-11-10", key="S-down")
        upgrading = customer(session, "upgrading")
        subscription(session, upgrading, 5_500, "2026-01-01", "2026-11-12", key="S-up")
        subscription(session, upgrading, 6_200, "2026-11-12", key="S-up")
        returning = customer(session, "returning")
        subscription(session, returning, 300, "2026-02-01", "2026-05-01")
        subscription(session, returning, 300, "2026-11-25")

    found = metrics_of(database, november())

    assert found["mrr_churn_gross"].value == pytest.approx(0.2)
    assert found["mrr_churn_net"].value == pytest.approx(0.1)
    assert found["mrr_churn_net"].inputs == (
        Input("MRR at start", 10_000, "cents"),
        Input("churned MRR", 1_500, "cents"),
        Input("contraction MRR", 500, "cents"),
        Input("expansion MRR", 700, "cents"),
        Input("reactivation MRR", 300, "cents"),
        Input("new MRR", 0, "cents"),
        Input("MRR at end", 9_000, "cents"),
    )


def test_new_mrr_and_a_customer_in_and_out_within_the_period_move_no_churn(database: Database) -> None:
    with database.transaction() as session:
        kept = customer(session, "kept")
        subscription(session, kept, 1_000, "2026-01-01")
        newcomer = customer(session, "newcomer")
        subscription(session, newcomer, 400, "2026-11-03")
        tourist = customer(session, "tourist")
        subscription(session, tourist, 900, "2026-11-03", "2026-11-20")
        free = customer(session, "free")
        subscription(session, free, 0, "2026-01-01")

    found = metrics_of(database, november())

    # Only the kept customer had MRR at the start, and still has it: nothing lost. The
    # tourist came and went inside November, which comparing start and end cannot see.
    assert found["mrr_churn_gross"].value == 0.0
    assert found["mrr_churn_net"].value == 0.0
    assert [(each.name, each.value) for each in found["mrr_churn_net"].inputs][-2:] == [
        ("new MRR", 400),
        ("MRR at end", 1_400),
    ]
