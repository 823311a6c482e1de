"""`lessonloop report`: the retention metrics of one period and segment, with FAQ
deflection, course completion and customer cohorts beside them, as a terminal table, CSV
(one row per metric) or JSON (a stable interface, README "Reports")."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TextIO, cast

from rich.console import Console
from rich.padding import Padding
from rich.table import Table

from bot.metrics.cohorts import CohortTable, Grain, cohort_retention
from bot.metrics.definitions import Definitions
from bot.metrics.learning import LearningReport, learning_report
from bot.metrics.periods import Period, PeriodKind, custom_period, last_complete
from bot.metrics.retention import Input, Metric, retention_metrics
from bot.metrics.segment import ReportSegment, segment_learners
from storage.db import Database
from storage.metrics import Deflection, deflection_between
from storage.retention import without_jit

JSON_VERSION = 1
TABLE_WIDTH = 120
"""Of a table written to a file or a pipe, which has no width of its own."""
COHORT_PERIODS = 12
"""How many weeks or months of customer cohorts a report shows, ending with its own."""


class ReportError(ValueError):
    """Report options that cannot be read; the message says how to write them."""


@dataclass(frozen=True)
class Report:
    period: Period
    segment: ReportSegment
    definitions: Definitions
    metrics: tuple[Metric, ...]
    cohorts: CohortTable


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
    after the period ends)."""
    learners = None if segment.everyone else segment_learners(segment, now, default_locale)
    with database.transaction() as session:
        without_jit(session)
        metrics = retention_metrics(session, period, segment, definitions, default_locale)
        figures = deflection_between(session, period.start, now, until=period.end, learners=learners)
        learning = learning_report(session, period, segment, now, default_locale)
        grain: Grain = "week" if period.kind in ("day", "week") else "month"
        back = COHORT_PERIODS - 1
        span = timedelta(weeks=back) if grain == "week" else timedelta(days=31 * back)
        cohorts = cohort_retention(
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
    return Report(
        period, segment, definitions, (*metrics, _deflection(figures), _completion(learning)), cohorts
    )


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


def as_json(report: Report) -> str:
    document: dict[str, object] = {
        "version": JSON_VERSION,
        "period": _period_json(report.period),
        "segment": report.segment.describe(),
        "definitions": {each.term: each.meaning for each in report.definitions.described()},
    }
    document.update({metric.key: metric.value for metric in report.metrics})
    document["cohorts"] = _cohorts_json(report.cohorts)
    document["details"] = {metric.key: _metric_json(metric) for metric in report.metrics}
    return json.dumps(document, indent=2, ensure_ascii=False)


def write_csv(report: Report, out: TextIO) -> None:
    rows = csv.writer(out, lineterminator="\n")
    rows.writerow(("metric", "value", "formula"))
    for metric in report.metrics:
        rows.writerow((metric.key, "" if metric.value is None else metric.value, metric.formula))


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
    console.print("Definitions:")
    for each in report.definitions.described():
        console.print(Padding(each.meaning, (0, 0, 0, 2), expand=False), highlight=False)
