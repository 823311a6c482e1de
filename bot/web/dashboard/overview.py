"""The numbers behind one dashboard page, read with the report's own SQL: the period's
report, its metrics in the period before (for the change), and NPS period by period."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from bot.metrics.definitions import Definitions
from bot.metrics.periods import Period
from bot.metrics.report import Report, build_report, report_metrics
from bot.metrics.retention import net_promoter_score
from bot.metrics.segment import ReportSegment, segment_learners
from bot.web.dashboard.figures import ChartTable, Headline, NpsOfPeriod, chart_tables, headlines
from storage.db import Database
from storage.retention import nps_answers, without_jit

NPS_PERIODS = 12
"""How many periods the NPS chart shows, ending with the chosen one."""


@dataclass(frozen=True)
class Overview:
    report: Report
    headlines: tuple[Headline, ...]
    charts: tuple[ChartTable, ...]


@dataclass(frozen=True)
class Reader:
    """The report's inputs that come from settings, for every request alike."""

    database: Database
    definitions: Definitions
    default_locale: str
    clock: Callable[[], datetime]

    def overview(self, period: Period, segment: ReportSegment) -> Overview:
        """The three reads run side by side, each in a read-only transaction of its own (the
        database does the work; on SQLite each reads a WAL snapshot, without a lock)."""
        now = self.clock()
        before = period.previous()
        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="dashboard") as reads:
            reporting = reads.submit(
                build_report, self.database, period, segment, self.definitions, self.default_locale, now=now
            )
            previous = reads.submit(
                report_metrics, self.database, before, segment, self.definitions, self.default_locale, now=now
            )
            series = reads.submit(self.nps_series, period, segment)
            report = reporting.result()
            return Overview(
                report, headlines(report, previous.result()), chart_tables(report, series.result())
            )

    def chart(self, key: str, period: Period, segment: ReportSegment) -> ChartTable:
        """One chart's table (for its CSV): the report, without the period before."""
        now = self.clock()
        report = build_report(self.database, period, segment, self.definitions, self.default_locale, now=now)
        series = self.nps_series(period, segment) if key == "nps" else ()
        return next(table for table in chart_tables(report, series) if table.key == key)

    def nps_series(self, period: Period, segment: ReportSegment) -> tuple[NpsOfPeriod, ...]:
        periods = [period]
        while len(periods) < NPS_PERIODS:
            periods.insert(0, periods[0].previous())
        learners = None if segment.everyone else segment_learners(segment, period.end, self.default_locale)
        with self.database.reading() as session:
            without_jit(session)
            return tuple(
                NpsOfPeriod(each, net_promoter_score(nps_answers(session, each.start, each.end, learners)))
                for each in periods
            )
