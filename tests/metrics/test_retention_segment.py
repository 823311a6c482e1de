"""A segment narrows every metric to its customers (through their learners) and its
learners' NPS answers."""

from __future__ import annotations

from bot.metrics.segment import parse_segment
from storage.db import Database
from tests.metrics.history import customer, learner, metrics_of, november, nps, order, subscription


def test_a_plan_segment_keeps_its_customers_and_their_learners_only(database: Database) -> None:
    with database.transaction() as session:
        pro = customer(session, "pro", plan="Pro")
        subscription(session, pro, 4_000, "2026-01-01")
        order(session, pro, "2026-11-03", 4_000)
        nps(session, learner(session, pro), 10, "2026-11-04")
        free = customer(session, "free", plan="Free")
        subscription(session, free, 1_000, "2026-01-01", "2026-11-15")
        order(session, free, "2026-11-03", 1_000)
        order(session, free, "2026-11-04", 1_000)
        nps(session, learner(session, free, platform="slack"), 2, "2026-11-04")

    everyone = metrics_of(database, november())
    on_pro = metrics_of(database, november(), parse_segment("plan=Pro"))
    in_slack = metrics_of(database, november(), parse_segment("platform=slack"))

    assert {key: metric.value for key, metric in everyone.items()} == {
        "customer_retention_rate": 0.5,
        "customer_retention_rate_textbook": 0.5,
        "customer_churn_rate": 0.5,
        "mrr_churn_gross": 0.2,
        "mrr_churn_net": 0.2,
        "revenue_growth_existing": None,
        "customer_lifetime_value": 6_000,  # (6,000 / 2) x 1.0 / (1 / 2)
        "nps": 0.0,
        "repeat_purchase_ratio": 0.5,
        "returning_customer_rate": 0.5,
    }
    assert {key: metric.value for key, metric in on_pro.items()} == {
        "customer_retention_rate": 1.0,
        "customer_retention_rate_textbook": 1.0,
        "customer_churn_rate": 0.0,
        "mrr_churn_gross": 0.0,
        "mrr_churn_net": 0.0,
        "revenue_growth_existing": None,
        "customer_lifetime_value": None,
        "nps": 1.0,
        "repeat_purchase_ratio": 0.0,
        "returning_customer_rate": 0.0,
    }
    assert (in_slack["customer_churn_rate"].value, in_slack["nps"].value) == (1.0, -1.0)
