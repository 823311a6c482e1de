"""`lessonloop report`: the retention metrics of one period and segment, with FAQ
deflection, course completion, customer cohorts and campaign lift beside them, as a
terminal table, CSV (one row per metric, and per campaign variant) or JSON (a stable
interface, README "Reports")."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TextIO, TypeVar, cast

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from sqlalchemy.orm import Session

from bot.content.model import HOLDOUT
from bot.metrics import report_sections as sections
from bot.metrics.accounts import AccountsReport, accounts_report
from bot.metrics.campaigns import ArmResult, CampaignResult, campaign_results
from bot.metrics.cohorts import CohortTable, Grain, cohort_retention
from bot.metrics.definitions import Definitions
from bot.metrics.learning import LearningReport, learning_report
from bot.metrics.learning_retention import LearningRetention, learning_retention
from bot.metrics.lifecycle import Lifecycle, lifecycle
from bot.metrics.lift import lift_text
from bot.metrics.periods import Period, PeriodKind, custom_period, last_complete
from bot.metrics.retention import Input, Metric, retention_metrics
from bot.metrics.segment import ReportSegment, segment_learners
from storage.campaign_lift import ArmTally
from storage.db import Database
from storage.metrics import Deflection, deflection_between
from storage.retention import without_jit

T = TypeVar("T")

JSON_VERSION = 1
TABLE_WIDTH = 120
"""Of a table written to a file or a pipe, which has no width of its own."""
COHORT_PERIODS = 12
"""How many weeks or months of customer cohorts a report shows, ending with its own."""
READERS = 4
"""Sections read at once: the work is the database's, so more than the cores only waits."""


class ReportError(ValueError):
    """Report options that cannot be read; the message says how to write them."""


@dataclass(frozen=True)
class Report:
    period: Period
    segment: ReportSegment
    definitions: Definitions
    metrics: tuple[Metric, ...]
    cohorts: CohortTable
    campaigns: tuple[CampaignResult, ...]
    deflection: Deflection
    """The questions behind `deflection_rate`, by how each was settled."""
    learning: LearningReport
    """Behind `completion_rate`, with the lesson-by-lesson funnel."""
    learning_retains: LearningRetention
    accounts: AccountsReport
    lifecycle: Lifecycle


def chosen_period(
    kind: str | None, first: str | None, last: str | None, definitions: Definitions, now: datetime
) -> Period:
    """`--period KIND` (default: the last complete month), or `--from DATE --to DATE`."""
    if first is None and last is None:
        return last_complete(cast(PeriodKind, kind or "month"), now, definitions.zone)
    if kind is not None:
        raise ReportError("give either --period or --from and --to, not both")
    if first is None or last is None:
        raise ReportError("--from and --to go together: --from 2026-11-01 --to 2026-11-30")
    first_day, last_day = _day("--from", first), _day("--to", last)
    if last_day < first_day:
        raise ReportError(f"--to {last_day} is before --from {first_day}: give the first day with --from")
    return custom_period(first_day, last_day, definitions.zone)


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportError(
            f"{option} {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-01"
        ) from None


def build_report(
    database: Database,
    period: Period,
    segment: ReportSegment,
    definitions: Definitions,
    default_locale: str,
    *,
    now: datetime,
) -> Report:
    """`now`: until when questions may be settled and courses completed (both still move
    after the period ends).

    The sections are read side by side, each in a read-only transaction of its own: the
    database does the work (on SQLite each reads a WAL snapshot without a lock), so a
    report takes about as long as its slowest sections rather than all of them in turn.
    Rows written while it is read may show in one section and not in another; a report of
    a period that has ended is not affected."""
    grain: Grain = "week" if period.kind in ("day", "week") else "month"
    back = COHORT_PERIODS - 1
    span = timedelta(weeks=back) if grain == "week" else timedelta(days=31 * back)
    with ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="report") as reads:

        def read(work: Callable[[Session], T]) -> Future[T]:
            return reads.submit(_reading, database, work)

        cohorts = read(
            lambda session: cohort_retention(
                session,
                unit="customer",
                grain=grain,
                kind="on",
                first=period.last_day - span,
                last=period.last_day,
                zone=definitions.zone,
                now=period.end,
                segment=segment,
                default_locale=default_locale,
            )
        )
        retains = read(
            lambda session: learning_retention(session, period, segment, definitions, default_locale)
        )
        stages = read(lambda session: lifecycle(session, period, segment, definitions, default_locale))
        metrics = read(
            lambda session: retention_metrics(session, period, segment, definitions, default_locale)
        )
        learning = read(lambda session: learning_report(session, period, segment, now, default_locale))
        figures = read(lambda session: _deflection_of(session, period, segment, default_locale, now))
        accounts = read(lambda session: accounts_report(session, period, segment, default_locale))
        campaigns = read(lambda session: campaign_results(session, period, segment, default_locale))
        return Report(
            period,
            segment,
            definitions,
            (*metrics.result(), _deflection(figures.result()), _completion(learning.result())),
            cohorts.result(),
            campaigns.result(),
            figures.result(),
            learning.result(),
            retains.result(),
            accounts.result(),
            stages.result(),
        )


def _reading(database: Database, work: Callable[[Session], T]) -> T:
    with database.reading() as session:
        without_jit(session)
        return work(session)


def report_metrics(
    database: Database,
    period: Period,
    segment: ReportSegment,
    definitions: Definitions,
    default_locale: str,
    *,
    now: datetime,
) -> tuple[Metric, ...]:
    """The report's metrics alone, without its cohorts and campaigns: what the dashboard
    compares the period with (the period before), at half the cost of a second report."""
    with database.reading() as session:
        without_jit(session)
        return _metrics(
            session, period, segment=segment, definitions=definitions, default_locale=default_locale, now=now
        )


def _metrics(
    session: Session,
    period: Period,
    *,
    segment: ReportSegment,
    definitions: Definitions,
    default_locale: str,
    now: datetime,
) -> tuple[Metric, ...]:
    metrics = retention_metrics(session, period, segment, definitions, default_locale)
    figures = _deflection_of(session, period, segment, default_locale, now)
    learning = learning_report(session, period, segment, now, default_locale)
    return (*metrics, _deflection(figures), _completion(learning))


def _deflection_of(
    session: Session, period: Period, segment: ReportSegment, default_locale: str, now: datetime
) -> Deflection:
    learners = None if segment.everyone else segment_learners(segment, now, default_locale)
    return deflection_between(session, period.start, now, until=period.end, learners=learners)


def _deflection(figures: Deflection) -> Metric:
    return Metric(
        "deflection_rate",
        "FAQ deflection rate",
        figures.deflection_rate if figures.asked else None,
        "questions resolved (Helped, or 24 hours of silence after the answer) / questions asked",
        (
            Input("questions asked", figures.asked, "questions"),
            Input("resolved by Helped", figures.hard_resolved, "questions"),
            Input("resolved by silence", figures.soft_resolved, "questions"),
            Input("pending", figures.pending, "questions"),
        ),
        note="as `lessonloop faq report` counts them, settled up to now",
    )


def _completion(learning: LearningReport) -> Metric:
    return Metric(
        "completion_rate",
        "Course completion rate",
        learning.completion_rate,
        "enrolments started in the period and completed by now / enrolments started in the period",
        (
            Input("enrolments started", learning.enrolments, "enrolments"),
            Input("completed", learning.completed, "enrolments"),
        ),
        note="bot/metrics/learning.py",
    )


def write(report: Report, form: str, out: TextIO) -> None:
    if form == "json":
        out.write(as_json(report) + "\n")
    elif form == "csv":
        write_csv(report, out)
    else:
        show_table(report, Console(file=out, width=None if out.isatty() else TABLE_WIDTH))


def _period_json(period: Period) -> dict[str, str]:
    return {
        "kind": period.kind,
        "label": period.label,
        "first_day": period.first_day.isoformat(),
        "last_day": period.last_day.isoformat(),
        "start": _utc(period.start),
        "end": _utc(period.end),
        "timezone": period.zone.key,
    }


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _metric_json(metric: Metric) -> dict[str, object]:
    return {
        "title": metric.title,
        "value": metric.value,
        "unit": metric.unit,
        "formula": metric.formula,
        "inputs": {each.name: each.value for each in metric.inputs},
        "input_units": {each.name: each.unit for each in metric.inputs},
        "note": metric.note,
        "interval_95": list(metric.interval) if metric.interval else None,
    }


def _cohorts_json(table: CohortTable) -> dict[str, object]:
    return {
        "unit": table.unit,
        "grain": table.grain,
        "kind": table.kind,
        "cohorts": [
            {"start": cohort.start.isoformat(), "size": cohort.size, "retained": list(cohort.retained)}
            for cohort in table.cohorts
        ],
        "weighted_mean": list(table.weighted_mean),
    }


def _campaign_json(campaign: CampaignResult) -> dict[str, object]:
    return {"campaign_id": campaign.campaign_id, "arms": [_arm_json(arm) for arm in campaign.arms]}


def _arm_json(arm: ArmResult) -> dict[str, object]:
    tally, lift = arm.tally, arm.lift
    return {
        "arm": tally.arm,
        "chosen": tally.chosen,
        "left_out": dict(tally.left_out),
        "audience": tally.audience,
        "delivered": tally.delivered,
        "failed": tally.failed,
        "clicked": tally.clicked,
        "converted": tally.last_touch.learners,
        "revenue_cents": tally.last_touch.revenue_cents,
        "converted_first_touch": tally.first_touch.learners,
        "revenue_cents_first_touch": tally.first_touch.revenue_cents,
        "conversion_rate": arm.conversion_rate,
        "lift": None
        if lift is None
        else {
            "difference": lift.difference,
            "interval_95": list(lift.interval),
            "p_value": lift.p_value,
            "test": lift.test,
        },
    }


def as_json(report: Report) -> str:
    document: dict[str, object] = {
        "version": JSON_VERSION,
        "period": _period_json(report.period),
        "segment": report.segment.describe(),
        "definitions": {each.term: each.meaning for each in report.definitions.described()},
    }
    document.update({metric.key: metric.value for metric in report.metrics})
    document["cohorts"] = _cohorts_json(report.cohorts)
    document["campaigns"] = [_campaign_json(campaign) for campaign in report.campaigns]
    document["learning_retains"] = sections.learning_json(report.learning_retains)
    document["accounts"] = sections.accounts_json(report.accounts, report.lifecycle)
    document["lifecycle"] = sections.lifecycle_json(report.lifecycle)
    document["details"] = {metric.key: _metric_json(metric) for metric in report.metrics}
    return json.dumps(document, indent=2, ensure_ascii=False)


def write_csv(report: Report, out: TextIO) -> None:
    rows = csv.writer(out, lineterminator="\n")
    rows.writerow(("metric", "value", "formula"))
    for metric in report.metrics:
        rows.writerow((metric.key, "" if metric.value is None else metric.value, metric.formula))
    rows.writerows(sections.csv_rows(report.learning_retains, report.accounts, report.lifecycle))
    for campaign in report.campaigns:
        held = campaign.arms[0].tally if campaign.arms[0].tally.arm == HOLDOUT else None
        for arm in campaign.arms:
            if arm.tally.arm == HOLDOUT:
                continue
            key = f"campaign_lift:{campaign.campaign_id}:{arm.tally.arm}"
            value = "" if arm.lift is None else arm.lift.difference
            rows.writerow((key, value, _lift_formula(arm, held)))


def _lift_formula(arm: ArmResult, held: ArmTally | None) -> str:
    """The lift's workings in one cell: the rates as counts, the interval, the test."""
    tally, lift = arm.tally, arm.lift
    rate = f"{tally.last_touch.learners}/{tally.audience}"
    if held is None:
        return f"conversion rate of {tally.arm} {rate}; no holdout to compare with"
    formula = (
        f"conversion rate of {tally.arm} {rate} - conversion rate of the holdout "
        f"{held.last_touch.learners}/{held.audience} (last touch)"
    )
    if lift is None:
        return f"{formula}; an arm is empty"
    low, high = lift.interval
    return f"{formula}; 95% interval {low:.4f} to {high:.4f} (Newcombe); p = {lift.p_value:.4g} ({lift.test})"


def shown(metric: Metric) -> str:
    """The value as a person reads it: 12.5%, NPS +33, 1,234.56 (cents as units)."""
    if metric.value is None:
        return "n/a"
    if metric.unit == "cents":
        return f"{metric.value / 100:,.2f}"
    if metric.key == "nps":
        low, high = metric.interval or (metric.value, metric.value)
        return f"{metric.value * 100:+.0f}\n95% CI {low * 100:+.0f}\nto {high * 100:+.0f}"
    return f"{metric.value:.1%}"


def _inputs(metric: Metric) -> str:
    return ", ".join(
        f"{each.name} {each.value / 100:,.2f}" if each.unit == "cents" else f"{each.name} {each.value}"
        for each in metric.inputs
    )


def show_table(report: Report, console: Console) -> None:
    period = report.period
    dates = "" if period.kind == "custom" else f" ({period.first_day} to {period.last_day})"
    table = Table(
        title=f"Retention report {period.label}{dates}, {period.zone.key}, "
        f"segment: {report.segment.describe()}",
        show_lines=True,
        expand=True,
    )
    table.add_column("metric", min_width=18, ratio=2)
    table.add_column("value", no_wrap=True)
    table.add_column("formula", ratio=4)
    table.add_column("from", ratio=3)
    for metric in report.metrics:
        formula = f"{metric.formula}\n({metric.note})" if metric.note else metric.formula
        table.add_row(metric.title, shown(metric), formula, _inputs(metric))
    console.print(table)
    console.print(sections.learning_table(report.learning_retains))
    console.print(sections.accounts_table(report.accounts, report.lifecycle))
    console.print(sections.lifecycle_table(report.lifecycle))
    if report.campaigns:
        console.print(_campaign_table(report))
    console.print("Definitions:")
    for each in report.definitions.described():
        console.print(Padding(each.meaning, (0, 0, 0, 2), expand=False), highlight=False)


def _campaign_table(report: Report) -> Table:
    """Per campaign and arm: the funnel, conversions by last touch (first touch beside
    them), and each variant's lift over the holdout with its 95% interval and p-value."""
    table = Table(
        title=f"Campaigns up to {report.period.last_day}: conversions by last touch (first touch)",
        show_lines=True,
        expand=True,
    )
    for name in ("campaign", "arm", "audience", "delivered", "failed", "clicked", "converted", "revenue"):
        table.add_column(name)
    table.add_column("rate", no_wrap=True)
    table.add_column("lift over holdout", ratio=2)
    for campaign in report.campaigns:
        for arm in campaign.arms:
            tally = arm.tally
            table.add_row(
                campaign.campaign_id,
                tally.arm,
                str(tally.audience),
                str(tally.delivered),
                str(tally.failed),
                str(tally.clicked),
                f"{tally.last_touch.learners} ({tally.first_touch.learners})",
                f"{tally.last_touch.revenue_cents / 100:,.2f} ({tally.first_touch.revenue_cents / 100:,.2f})",
                "n/a" if arm.conversion_rate is None else f"{arm.conversion_rate:.1%}",
                _lift_shown(arm),
            )
    return table


def _lift_shown(arm: ArmResult) -> str:
    if arm.tally.arm == HOLDOUT:
        return ""
    if arm.lift is None:
        return "n/a"
    return lift_text(arm.lift)
