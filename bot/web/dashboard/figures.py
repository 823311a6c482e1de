"""What the dashboard shows, from a report: the headline numbers beside the period before,
and each chart's data as one table (the page draws it, shows it, and offers it as CSV)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.content.model import HOLDOUT
from bot.metrics.periods import Period
from bot.metrics.report import Report
from bot.metrics.retention import Metric

Cell = str | int | float | None
"""A number as computed (a share as a fraction), text, or None where there is none."""


@dataclass(frozen=True)
class Headline:
    key: str
    title: str
    shown: str
    change: str
    """Against the period before: "+2.5 pts", "-12.00", "" when either is missing."""
    verdict: str
    """"better", "worse" or "" (unchanged, or nothing to compare): churn falling is better."""
    formula: str


@dataclass(frozen=True)
class ChartTable:
    """One chart's data. `shares` name the columns holding fractions (shown as percent)."""

    key: str
    title: str
    about: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    shares: frozenset[str] = frozenset()

    def shown(self, column: str, cell: Cell) -> str:
        if cell is None:
            return ""
        if isinstance(cell, float) and column in self.shares:
            return f"{cell:.1%}"
        if isinstance(cell, float):
            return f"{cell:.4g}"
        return str(cell)


@dataclass(frozen=True)
class NpsOfPeriod:
    period: Period
    nps: Metric


def shown(metric: Metric) -> str:
    if metric.value is None:
        return "n/a"
    if metric.unit == "cents":
        return f"{metric.value / 100:,.2f}"
    if metric.key == "nps":
        return f"{metric.value * 100:+.0f}"
    return f"{metric.value:.1%}"


LOWER_IS_BETTER = frozenset({"customer_churn_rate", "mrr_churn_gross", "mrr_churn_net"})


def _change(now: Metric, before: Metric | None) -> tuple[str, str]:
    if before is None or now.value is None or before.value is None:
        return "", ""
    delta = now.value - before.value
    if now.unit == "cents":
        text = f"{delta / 100:+,.2f}"
    elif now.key == "nps":
        text = f"{delta * 100:+.0f}"
    else:
        text = f"{delta * 100:+.1f} pts"
    if delta == 0:
        return text, ""
    return text, "better" if (delta < 0) == (now.key in LOWER_IS_BETTER) else "worse"


def headlines(report: Report, previous: Sequence[Metric]) -> tuple[Headline, ...]:
    before = {metric.key: metric for metric in previous}
    found = []
    for metric in report.metrics:
        change, verdict = _change(metric, before.get(metric.key))
        found.append(Headline(metric.key, metric.title, shown(metric), change, verdict, metric.formula))
    return tuple(found)


def cohort_table(report: Report) -> ChartTable:
    table = report.cohorts
    # Up to the last column any cohort can be observed in: the rest would be blank.
    width = max(
        (
            index + 1
            for cohort in table.cohorts
            for index, share in enumerate(cohort.retained)
            if share is not None
        ),
        default=0,
    )
    offsets = tuple(f"{table.grain} {index}" for index in range(width))
    rows: list[tuple[Cell, ...]] = [
        (cohort.start.isoformat(), cohort.size, *cohort.retained[:width]) for cohort in table.cohorts
    ]
    if table.cohorts:
        size = sum(cohort.size for cohort in table.cohorts)
        rows.append(("weighted mean", size, *table.weighted_mean[:width]))
    return ChartTable(
        "cohorts",
        "Customer cohort retention",
        f"Customers by the {table.grain} their first learner wrote, and the share of them active "
        f"in each {table.grain} after ('on' retention); blank: not observable yet.",
        ("cohort", "customers", *offsets),
        tuple(rows),
        frozenset(offsets),
    )


def nps_table(series: Sequence[NpsOfPeriod]) -> ChartTable:
    rows: list[tuple[Cell, ...]] = []
    for each in series:
        metric = each.nps
        low, high = metric.interval or (None, None)
        counts = {item.name: item.value for item in metric.inputs}
        rows.append(
            (
                each.period.label,
                metric.value,
                low,
                high,
                counts["promoters"],
                counts["passives"],
                counts["detractors"],
            )
        )
    return ChartTable(
        "nps",
        "Net Promoter Score over time",
        "NPS of each period (share of promoters - share of detractors, -1 to 1; x100 for the usual "
        "score) with its 95% interval; the latest answer per learner in each period.",
        ("period", "nps", "low 95%", "high 95%", "promoters", "passives", "detractors"),
        tuple(rows),
    )


def funnel_table(report: Report) -> ChartTable:
    rows = tuple(
        (step.course_id, step.lesson_id, step.reached, step.completed, step.drop_off)
        for step in report.learning.funnel
    )
    return ChartTable(
        "funnel",
        "Course funnel",
        "For enrolments started in the period: learners who reached each lesson and finished it, "
        "lesson by lesson, and the share who dropped off there.",
        ("course", "lesson", "reached", "completed", "drop-off"),
        rows,
        frozenset({"drop-off"}),
    )


def deflection_table(report: Report) -> ChartTable:
    figures = report.deflection
    rows: tuple[tuple[Cell, ...], ...] = (
        ("resolved by Helped", figures.hard_resolved),
        ("resolved by silence", figures.soft_resolved),
        ("pending", figures.pending),
        ("asked again", figures.asked_again),
        ("escalated", figures.escalated),
        ("unanswered", figures.unanswered),
    )
    rate = f"{figures.deflection_rate:.1%}" if figures.asked else "n/a"
    return ChartTable(
        "deflection",
        "FAQ deflection",
        f"Questions asked in the period ({figures.asked}) by how each was settled; deflection "
        f"rate {rate} (resolved by Helped or by silence / asked).",
        ("outcome", "questions"),
        rows,
    )


def lift_table(report: Report) -> ChartTable:
    rows: list[tuple[Cell, ...]] = []
    for campaign in report.campaigns:
        for arm in campaign.arms:
            tally, lift = arm.tally, arm.lift
            rows.append(
                (
                    campaign.campaign_id,
                    tally.arm,
                    tally.audience,
                    tally.last_touch.learners,
                    arm.conversion_rate,
                    None if lift is None else lift.difference,
                    None if lift is None else lift.interval[0],
                    None if lift is None else lift.interval[1],
                    None if lift is None else lift.p_value,
                    "" if lift is None else lift.test,
                    "" if tally.arm != HOLDOUT else "holdout",
                )
            )
    return ChartTable(
        "lift",
        "Campaign lift over the holdout",
        "Each variant's conversion rate (last touch) minus its holdout's, with the 95% interval "
        "(Newcombe) and the p-value of the test named.",
        (
            "campaign",
            "arm",
            "audience",
            "converted",
            "conversion rate",
            "lift",
            "low 95%",
            "high 95%",
            "p-value",
            "test",
            "role",
        ),
        tuple(rows),
        frozenset({"conversion rate", "lift", "low 95%", "high 95%"}),
    )


CHARTS = ("cohorts", "nps", "funnel", "deflection", "lift")


def chart_tables(report: Report, series: Sequence[NpsOfPeriod]) -> tuple[ChartTable, ...]:
    return (
        cohort_table(report),
        nps_table(series),
        funnel_table(report),
        deflection_table(report),
        lift_table(report),
    )
