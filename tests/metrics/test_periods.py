"""Reporting periods on the company's calendar, and the segment a report is read for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.metrics.periods import custom_period, last_complete, period_containing
from bot.metrics.segment import ReportSegment, SegmentError, parse_segment

BERLIN = ZoneInfo("Europe/Berlin")


def test_each_kind_of_period_and_the_one_before() -> None:
    day = date(2026, 11, 4)  # a Wednesday
    week = period_containing("week", day, BERLIN)
    assert (week.first_day, week.last_day, week.label) == (date(2026, 11, 2), date(2026, 11, 8), "2026-W45")
    month = period_containing("month", day, BERLIN)
    assert (month.first_day, month.last_day, month.label) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
        "2026-11",
    )
    quarter = period_containing("quarter", day, BERLIN)
    assert (quarter.first_day, quarter.last_day, quarter.label) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
        "2026-Q4",
    )
    assert period_containing("month", date(2026, 12, 31), BERLIN).previous().label == "2026-11"
    assert period_containing("quarter", date(2027, 1, 5), BERLIN).previous().label == "2026-Q4"
    assert period_containing("week", date(2027, 1, 1), BERLIN).label == "2026-W53"
    custom = custom_period(date(2026, 11, 10), date(2026, 11, 16), BERLIN)
    assert (custom.previous().first_day, custom.previous().last_day) == (date(2026, 11, 3), date(2026, 11, 9))


def test_bounds_are_local_midnights_so_a_day_of_a_clock_change_is_25_hours() -> None:
    day = period_containing("day", date(2026, 10, 25), BERLIN)  # clocks go back at 03:00
    assert day.start == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert day.end - day.start == timedelta(hours=25)
    march = period_containing("month", date(2026, 3, 15), BERLIN)
    assert march.end - march.start == timedelta(days=31) - timedelta(hours=1)


def test_the_last_complete_period_is_the_one_before_today() -> None:
    now = datetime(2026, 12, 1, 0, 30, tzinfo=BERLIN)
    assert last_complete("month", now, BERLIN).label == "2026-11"
    assert last_complete("day", now, BERLIN).label == "2026-11-30"


def test_a_custom_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends"):
        custom_period(date(2026, 11, 10), date(2026, 11, 9), BERLIN)


def test_a_segment_is_read_and_written_back() -> None:
    segment = parse_segment(
        "plan=free|trial, platform=slack, attribute.industry=saas, campaign=pro-upsell:holdout"
    )
    assert segment == ReportSegment(
        platforms=("slack",),
        plans=("free", "trial"),
        attributes={"industry": ("saas",)},
        campaign="pro-upsell",
        variant="holdout",
    )
    assert (
        segment.describe()
        == "platform=slack,plan=free|trial,attribute.industry=saas,campaign=pro-upsell:holdout"
    )
    assert parse_segment("").everyone
    assert parse_segment("").describe() == "everyone"


@pytest.mark.parametrize(
    ("text", "message"),
    [("plan", "write key=value"), ("colour=red", "not a segment key"), ("plan=", "write key=value")],
)
def test_a_segment_that_cannot_be_read_says_how_to_write_it(text: str, message: str) -> None:
    with pytest.raises(SegmentError, match=message):
        parse_segment(text)
