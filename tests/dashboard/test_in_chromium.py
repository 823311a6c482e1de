"""The dashboard in a real headless Chromium against a real serve process on a seeded
history: a wrong password is refused, the right one shows every chart drawn with data, a
segment changes the numbers, each chart's table is a click away, and a chart downloads as a
PNG and its data as CSV. A screenshot is kept in test-artifacts/dashboard.png."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from storage.db import Database
from tests.dashboard.browser import LAUNCH_ARGS, chromium_or_skip
from tests.dashboard.seeded import seed
from tests.dashboard.serving import PASSWORD, serving

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

DRAWN = """() => Array.from(document.querySelectorAll("[data-chart]")).map((element) => {
  const chart = echarts.getInstanceByDom(element);
  const canvas = element.querySelector("canvas");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let index = 3; index < pixels.length; index += 4) { if (pixels[index] > 0) painted += 1; }
  const points = chart.getOption().series.map(
    (series) => series.data.filter((value) => value !== null && value !== "-").length);
  return [element.dataset.chart, points, painted > 1000];
})"""
"""Per chart: the data points of each series (gaps left out), and whether its canvas is painted."""

EVERYONE_DRAWN = [
    # 5 cohorts and the mean: 6 + 5 + 4 + 3 + 2 observable cells, and 6 in the mean.
    ["cohorts", [26], True],
    # NPS July to November (no answers before), with both ends of its interval.
    ["nps", [5, 5, 5], True],
    ["funnel", [3, 3], True],
    ["deflection", [6], True],
    ["lift", [1, 1], True],
]


async def _headline(page: Page, key: str) -> str:
    return await page.inner_text(f'[data-metric="{key}"] .value')


async def _download(page: Page, selector: str) -> bytes:
    async with page.expect_download() as started:
        await page.click(selector)
    download = await started.value
    return Path(await download.path()).read_bytes()


async def _browse(base: str, executable: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        await page.goto(f"{base}/dashboard")
        assert page.url == f"{base}/dashboard/login?next=/dashboard"

        await page.fill("input[name=password]", "retention is a point")
        async with page.expect_response(f"{base}/dashboard/login") as refused:
            await page.click("button[type=submit]")
        assert (await refused.value).status == 401
        assert await page.inner_text("[role=alert]") == "Wrong password."
        assert await page.locator("[data-chart]").count() == 0

        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_selector("[data-chart=lift] canvas")
        assert page.url == f"{base}/dashboard"
        assert await page.evaluate(DRAWN) == EVERYONE_DRAWN
        assert await _headline(page, "customer_churn_rate") == "30.0%"
        change = page.locator('[data-metric="customer_churn_rate"] .change')
        assert (await change.inner_text(), await change.get_attribute("class")) == (
            "+30.0 pts",
            "change worse",
        )
        assert await _headline(page, "nps") == "-50"

        await page.fill("input[name=segment]", "plan=Pro")
        await page.click("form.filter button[type=submit]")
        await page.wait_for_url(f"{base}/dashboard?period=&from=&to=&segment=plan%3DPro")
        await page.wait_for_selector("[data-chart=lift] canvas")
        assert await page.inner_text("#segment") == "plan=Pro"
        assert await _headline(page, "customer_churn_rate") == "16.7%"
        assert await _headline(page, "nps") == "-67"
        drawn = await page.evaluate(DRAWN)
        assert drawn[0] == ["cohorts", [26], True]  # one Pro customer a cohort from July: other shares

        table = page.locator("#funnel details table")
        assert not await table.is_visible()
        await page.click("#funnel summary")
        assert await table.inner_text() == (
            "course\tlesson\treached\tcompleted\tdrop-off\n"
            "onboarding\twelcome\t6\t5\t16.7%\n"
            "onboarding\tsetup\t4\t3\t25.0%\n"
            "onboarding\tinvite\t2\t1\t50.0%"
        )

        png = await _download(page, "[data-png=cohorts]")
        assert png.startswith(PNG_SIGNATURE)
        assert len(png) > 10_000
        cohorts = (await _download(page, "[data-csv=cohorts]")).decode().splitlines()
        # Up to month 5, the last any cohort can be observed in (June's, in November).
        assert cohorts[0] == "cohort,customers," + ",".join(f"month {index}" for index in range(6))
        assert cohorts[1:3] == [
            "2026-06-01,2,1.0,1.0,0.5,0.5,0.5,1.0",
            "2026-07-01,1,1.0,1.0,1.0,1.0,1.0,",  # of the Pro segment: one customer
        ]
        assert cohorts[-1].startswith("weighted mean,6,")

        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        await page.click("form.logout button")
        await page.wait_for_url(f"{base}/dashboard/login")
        await browser.close()


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_the_dashboard_in_chromium(database: Database) -> None:
    executable = chromium_or_skip()
    seed(database)

    async def scenario() -> None:
        async with serving(database) as base:
            await _browse(base, executable)

    asyncio.run(scenario())
