"""Customer retention, churn, MRR churn, revenue growth, lifetime value, NPS and purchase
metrics for one period and segment. Each metric carries its formula and the counts it was
computed from, so a reader can check it by hand; a value is a fraction (0.25, not 25%) or
cents, and None where it cannot be computed (no customers at the start, no churn, ...)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from bot.metrics.definitions import Definitions
from bot.metrics.periods import Period
from bot.metrics.segment import ReportSegment, segment_customers, segment_learners
from storage import retention as queries
from storage.retention import CustomerCounts, ExistingRevenue, MrrMovements, NpsAnswers, Purchases

Z_95 = 1.959964
"""The normal quantile of a two-sided 95% interval."""


@dataclass(frozen=True)
class Input:
    name: str
    value: int
    unit: Literal["customers", "learners", "cents", "questions", "enrolments"]


@dataclass(frozen=True)
class Metric:
    key: str
    """Its name in the JSON and CSV reports."""
    title: str
    value: float | None
    formula: str
    inputs: tuple[Input, ...]
    unit: Literal["fraction", "cents"] = "fraction"
    note: str = ""
    interval: tuple[float, float] | None = None
    """A 95% confidence interval, where the metric is an estimate from a sample."""


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def retention_metrics(
    session: Session, period: Period, segment: ReportSegment, definitions: Definitions, default_locale: str
) -> tuple[Metric, ...]:
    start, end = period.start, period.end
    customers = None if segment.everyone else segment_customers(segment, end, default_locale)
    learners = None if segment.everyone else segment_learners(segment, end, default_locale)
    counts, revenue = queries.customers_and_revenue(
        session, period.previous().start, start, end, customers=customers, active_days=definitions.active_days
    )
    mrr = queries.mrr_movements(session, start, end, customers)
    bought = queries.purchases(session, start, end, customers)
    answers = queries.nps_answers(session, start, end, learners)
    return (
        customer_retention(counts),
        textbook_retention(counts),
        customer_churn(counts),
        mrr_churn_gross(mrr),
        mrr_churn_net(mrr),
        revenue_growth_existing(revenue),
        lifetime_value(counts, definitions.gross_margin),
        net_promoter_score(answers),
        repeat_purchase_ratio(bought),
        returning_customer_rate(bought),
    )


def _customers(counts: CustomerCounts) -> tuple[Input, ...]:
    return (
        Input("active at start", counts.active_at_start, "customers"),
        Input("still active at end", counts.still_active, "customers"),
        Input("active at end", counts.active_at_end, "customers"),
        Input("acquired in the period", counts.acquired, "customers"),
    )


def customer_retention(counts: CustomerCounts) -> Metric:
    return Metric(
        "customer_retention_rate",
        "Customer retention rate",
        _share(counts.still_active, counts.active_at_start),
        "customers active at start and still active at end / customers active at start",
        _customers(counts),
    )


def textbook_retention(counts: CustomerCounts) -> Metric:
    return Metric(
        "customer_retention_rate_textbook",
        "Customer retention rate (textbook)",
        _share(counts.active_at_end - counts.acquired, counts.active_at_start),
        "(customers active at end - customers acquired in the period) / customers active at start",
        _customers(counts),
        note="miscounts customers acquired and lost inside the period, and reactivations",
    )


def customer_churn(counts: CustomerCounts) -> Metric:
    return Metric(
        "customer_churn_rate",
        "Customer churn rate",
        _share(counts.active_at_start - counts.still_active, counts.active_at_start),
        "customers churned (active at start, not at end) / customers active at start",
        _customers(counts),
    )


def _mrr(movements: MrrMovements) -> tuple[Input, ...]:
    return (
        Input("MRR at start", movements.at_start, "cents"),
        Input("churned MRR", movements.churned, "cents"),
        Input("contraction MRR", movements.contraction, "cents"),
        Input("expansion MRR", movements.expansion, "cents"),
        Input("reactivation MRR", movements.reactivation, "cents"),
        Input("new MRR", movements.new, "cents"),
        Input("MRR at end", movements.at_end, "cents"),
    )


def mrr_churn_gross(movements: MrrMovements) -> Metric:
    return Metric(
        "mrr_churn_gross",
        "Gross MRR churn rate",
        _share(movements.churned + movements.contraction, movements.at_start),
        "(churned MRR + contraction MRR) / MRR at start",
        _mrr(movements),
        note="ChartMogul's definition; each customer's MRR at the end compared with theirs at the start",
    )


def mrr_churn_net(movements: MrrMovements) -> Metric:
    lost = movements.churned + movements.contraction - movements.expansion - movements.reactivation
    return Metric(
        "mrr_churn_net",
        "Net MRR churn rate",
        _share(lost, movements.at_start),
        "(churned + contraction - expansion - reactivation MRR) / MRR at start",
        _mrr(movements),
        note="ChartMogul's definition; negative when expansion outgrows churn",
    )


def revenue_growth_existing(revenue: ExistingRevenue) -> Metric:
    return Metric(
        "revenue_growth_existing",
        "Revenue growth from existing customers",
        (revenue.in_period - revenue.in_previous) / revenue.in_previous if revenue.in_previous > 0 else None,
        "(their revenue in the period - their revenue in the previous period) / the latter",
        (
            Input("customers acquired before the period", revenue.customers, "customers"),
            Input("their revenue in the period", revenue.in_period, "cents"),
            Input("their revenue in the previous period", revenue.in_previous, "cents"),
        ),
        note="revenue from orders, refunds subtracted",
    )


def lifetime_value(counts: CustomerCounts, gross_margin: float) -> Metric:
    churned = counts.active_at_start - counts.still_active
    value = None
    if counts.active_at_start and churned:
        per_customer = counts.start_customers_revenue / counts.active_at_start
        value = round(per_customer * gross_margin / (churned / counts.active_at_start))
    return Metric(
        "customer_lifetime_value",
        "Customer lifetime value",
        value,
        "average revenue per customer x gross margin / customer churn rate, where average revenue per "
        "customer = the period's revenue from customers active at start / customers active at start",
        (
            Input("active at start", counts.active_at_start, "customers"),
            Input("their revenue in the period", counts.start_customers_revenue, "cents"),
            Input("churned", churned, "customers"),
        ),
        unit="cents",
        note=f"gross margin {gross_margin:g}; none without churn; revenue from orders",
    )


def net_promoter_score(answers: NpsAnswers) -> Metric:
    """The 95% interval is the normal approximation of the variance of the difference of
    the promoter and detractor shares: (p + d - (p - d)^2) / n."""
    count = answers.promoters + answers.passives + answers.detractors
    value, interval = None, None
    if count:
        promoters, detractors = answers.promoters / count, answers.detractors / count
        value = promoters - detractors
        spread = Z_95 * math.sqrt((promoters + detractors - value**2) / count)
        interval = (max(-1.0, value - spread), min(1.0, value + spread))
    return Metric(
        "nps",
        "Net Promoter Score",
        value,
        "share of promoters (9-10) - share of detractors (0-6), latest answer per learner in the period",
        (
            Input("promoters", answers.promoters, "learners"),
            Input("passives", answers.passives, "learners"),
            Input("detractors", answers.detractors, "learners"),
        ),
        note="a fraction from -1 to 1, x100 for the usual score; 95% interval: normal approximation "
        "of the variance of the promoter-detractor difference",
        interval=interval,
    )


def _purchases(bought: Purchases) -> tuple[Input, ...]:
    return (
        Input("buyers in the period", bought.buyers, "customers"),
        Input("with 2+ purchases in the period", bought.repeat_buyers, "customers"),
        Input("with 2+ purchases up to its end", bought.returning_buyers, "customers"),
    )


def repeat_purchase_ratio(bought: Purchases) -> Metric:
    return Metric(
        "repeat_purchase_ratio",
        "Repeat purchase ratio",
        _share(bought.repeat_buyers, bought.buyers),
        "customers with 2+ purchases in the period / customers with a purchase in it",
        _purchases(bought),
    )


def returning_customer_rate(bought: Purchases) -> Metric:
    return Metric(
        "returning_customer_rate",
        "Returning customer rate",
        _share(bought.returning_buyers, bought.buyers),
        "buyers of the period with 2+ purchases up to its end (the first may be older) / buyers of it",
        _purchases(bought),
        note="Shopify's definition",
    )
