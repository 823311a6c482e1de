"""The retention report and the dashboard's first page on a big company's history.

A migrated database (SQLite in a temporary folder, or a schema of its own in the PostgreSQL
database at `--database-url`) is filled with 100,000 learners (one per customer), 20,000
accounts, 5,000,000 interactions and 300,000 orders, with their subscriptions, courses,
quizzes, NPS answers, FAQ questions, hand-offs and campaigns (`bench/metrics_history.py`,
fixed seed), then its statistics refreshed as a database's upkeep would. Measured, back to
back in this process: the full report of the last complete month (`lessonloop report
--format json`'s work: `build_report`, then its JSON) twice, cold then warm; then
`/dashboard` fetched over HTTP from the real `serve` application (logged in by its token),
twice. Prints one JSON object last; `--readme` writes README's row.

    .venv/bin/python bench/metrics.py [--database-url URL] [--scale 1.0] [--readme]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

import aiohttp  # noqa: E402
from sqlalchemy import Table  # noqa: E402

from bench.bulk_load import BulkLoader  # noqa: E402
from bench.databases import fresh_database  # noqa: E402
from bench.metrics_history import NOW, History, Sizes  # noqa: E402
from bench.readme import update_readme_row  # noqa: E402
from bot.metrics.definitions import Definitions  # noqa: E402
from bot.metrics.report import as_json, build_report, chosen_period  # noqa: E402
from bot.metrics.segment import ReportSegment  # noqa: E402
from storage.campaign_models import CampaignAssignment, CampaignClick, ConversionTouch  # noqa: E402
from storage.customer_models import Account, Conversion, Customer, Order, Subscription  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import (  # noqa: E402
    Enrolment,
    FaqQuestion,
    Handoff,
    Interaction,
    Learner,
    LearnerIdentity,
    QuizAnswer,
    QuizAttempt,
    SurveyAnswer,
    SurveyResponse,
)
from tests.dashboard.serving import TOKEN, serving  # noqa: E402

TARGET_S = 5.0
DEFINITIONS = Definitions(zone=ZoneInfo("UTC"))


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def fill(database: Database, history: History) -> dict[str, int]:
    """Every table the report reads; the counts of the four the issue names."""
    loader = BulkLoader(database)
    counts = {
        "accounts": loader.load(_table(Account), history.accounts()),
        "customers": loader.load(_table(Customer), history.customers()),
        "learners": loader.load(_table(Learner), history.learners()),
    }
    loader.load(_table(LearnerIdentity), history.identities())
    loader.load(_table(Subscription), history.subscriptions())
    counts["orders"] = loader.load(_table(Order), history.orders())
    counts["interactions"] = loader.load(_table(Interaction), history.interactions())
    loader.load(_table(Enrolment), history.enrolments())
    attempts = list(history.quiz_attempts())
    loader.load(_table(QuizAttempt), (attempt for attempt, _ in attempts))
    loader.load(_table(QuizAnswer), (answer for _, answers in attempts for answer in answers))
    surveyed = list(history.survey_answers())
    loader.load(_table(SurveyResponse), (response for response, _ in surveyed))
    loader.load(_table(SurveyAnswer), (answer for _, answer in surveyed))
    loader.load(_table(FaqQuestion), history.faq_questions())
    loader.load(_table(Handoff), history.handoffs())
    sent = list(history.campaigns())
    loader.load(_table(CampaignAssignment), (row for row, _, _, _ in sent))
    loader.load(_table(CampaignClick), (click for _, click, _, _ in sent if click is not None))
    loader.load(_table(Conversion), (bought for _, _, bought, _ in sent if bought is not None))
    loader.load(_table(ConversionTouch), (touch for _, _, _, touches in sent for touch in touches))
    loader.finish()
    counts["rows_in_all"] = loader.rows
    return counts


def timed_report(database: Database) -> tuple[float, str]:
    """Seconds for the last complete month's full report, as JSON; and the JSON."""
    started = time.perf_counter()
    period = chosen_period(None, None, None, DEFINITIONS, NOW)
    report = build_report(database, period, ReportSegment(), DEFINITIONS, "en", now=NOW)
    written = as_json(report)
    return time.perf_counter() - started, written


async def timed_dashboard(database: Database, times: int) -> list[float]:
    """Seconds for `/dashboard` (the first page, every chart's data in it), `times` over."""
    seconds = []
    async with serving(database) as base:
        jar = aiohttp.CookieJar(unsafe=True)  # 127.0.0.1 is an IP address
        async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=600)) as client:
            async with client.get(f"{base}/dashboard?token={TOKEN}", allow_redirects=False) as signed:
                assert signed.status == 302, signed.status
            for _ in range(times):
                started = time.perf_counter()
                async with client.get(f"{base}/dashboard", allow_redirects=False) as page:
                    body = await page.text()
                seconds.append(time.perf_counter() - started)
                assert page.status == 200, (page.status, body[:300])
                assert "echarts" in body, body[:300]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database to work in a schema of its own (default: SQLite in a temp folder)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="a share of the sizes, for a quick try")
    parser.add_argument("--readme", action="store_true", help="write the figures into README.md")
    arguments = parser.parse_args()
    sizes = Sizes().scaled(arguments.scale)
    with fresh_database(arguments.database_url, "bench_metrics") as database:
        backend = "SQLite" if database.is_sqlite else "PostgreSQL"
        started = time.perf_counter()
        counts = fill(database, History(sizes))
        fill_s = time.perf_counter() - started
        load = os.getloadavg()[0]
        report_cold, written = timed_report(database)
        report_warm, _ = timed_report(database)
        cold_page, warm_page = asyncio.run(timed_dashboard(database, 2))
    figures = json.loads(written)
    result: dict[str, object] = {
        "database": backend,
        **counts,
        "fill_s": round(fill_s, 1),
        "report_cold_s": round(report_cold, 3),
        "report_warm_s": round(report_warm, 3),
        "dashboard_first_page_cold_s": round(cold_page, 3),
        "dashboard_first_page_warm_s": round(warm_page, 3),
        "target_s": TARGET_S,
        "customer_retention_rate": figures["customer_retention_rate"],
        "completion_rate": figures["completion_rate"],
        "load_average_at_start": round(load, 2),
        "load_average_at_end": round(os.getloadavg()[0], 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    if arguments.readme:
        summary = (
            f"{counts['learners']:,} learners, {counts['interactions']:,} interactions, "
            f"{counts['orders']:,} orders: report {result['report_cold_s']} s cold / "
            f"{result['report_warm_s']} s warm; dashboard's first page "
            f"{result['dashboard_first_page_cold_s']} s / {result['dashboard_first_page_warm_s']} s "
            f"(load {result['load_average_at_start']})"
        )
        update_readme_row(
            ROOT / "README.md", f"metrics report ({backend})", summary, "< 5 s each", str(result["machine"])
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
