"""`lessonloop serve` with only `dashboard_token` set: no chat platform, the dashboard alone,
its settings read from the environment; a script reads a custom period with the token."""

from __future__ import annotations

import asyncio
import re
import signal

import aiohttp
import pytest

from storage.db import Database
from tests.dashboard.seeded import seed
from tests.dashboard.serving import TOKEN
from tests.slack.process import environment
from tests.test_serve import free_port, started


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_serve_runs_the_dashboard_alone(database_url: str, database: Database) -> None:
    seed(database)
    env = {
        name: value
        for name, value in environment(
            database_url,
            LESSONLOOP_LOG_LEVEL="WARNING",
            LESSONLOOP_DASHBOARD_TOKEN=TOKEN,
            LESSONLOOP_REPORT_TIMEZONE="UTC",
        ).items()
        if not name.startswith(("SLACK_", "TELEGRAM_"))
    }

    async def scenario() -> tuple[list[str], int, str, int]:
        port = free_port()
        process, said = await started(env, port)
        try:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with (
                aiohttp.ClientSession(headers=headers) as script,
                script.get(f"http://127.0.0.1:{port}/dashboard?from=2026-11-01&to=2026-11-30") as page,
            ):
                status, html = page.status, await page.text()
        finally:
            process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), timeout=20)
        return said, status, html, code

    said, status, html, code = asyncio.run(scenario())

    assert [re.sub(r":\d+", ":PORT", line) for line in said] == [
        "lessonloop: dashboard at http://127.0.0.1:PORT/dashboard",
        "lessonloop: serving at http://127.0.0.1:PORT (health: /healthz, /readyz)",
    ]
    assert status == 200
    churn = re.search(r'data-metric="customer_churn_rate".*?class="value">([^<]*)<', html, re.DOTALL)
    assert churn is not None
    assert churn.group(1) == "30.0%"
    assert code == 0
