"""Reporting periods on the company's calendar: a day, an ISO week (Monday first), a month,
a quarter, or custom dates, each the half-open span [start, end) of UTC instants between
two local midnights, so a period in a zone with daylight saving is 23 or 25 hours where a
change falls in it, as the company's own calendar says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.schedule.timing import local_instant

PeriodKind = Literal["day", "week", "month", "quarter", "custom"]
KINDS: tuple[PeriodKind, ...] = ("day", "week", "month", "quarter", "custom")


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    first_day: date
    last_day: date
    """Inclusive: the period ends at the midnight after it."""
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return _midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return _midnight(self.last_day + timedelta(days=1), self.zone)

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.first_day.isoformat()
        if self.kind == "week":
            year, week, _ = self.first_day.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.first_day:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.first_day.year}-Q{(self.first_day.month - 1) // 3 + 1}"
        return f"{self.first_day.isoformat()}..{self.last_day.isoformat()}"

    def previous(self) -> Period:
        """The period before, of the same kind (custom: as many days, just before)."""
        if self.kind == "custom":
            days = (self.last_day - self.first_day).days + 1
            return Period(
                "custom", self.first_day - timedelta(days=days), self.first_day - timedelta(days=1), self.zone
            )
        return period_containing(self.kind, self.first_day - timedelta(days=1), self.zone)


def period_containing(kind: PeriodKind, day: date, zone: ZoneInfo) -> Period:
    """The day, week, month or quarter `day` falls in."""
    if kind == "day":
        return Period(kind, day, day, zone)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6), zone)
    if kind == "month":
        first = day.replace(day=1)
        return Period(kind, first, _next_month(first) - timedelta(days=1), zone)
    if kind == "quarter":
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return Period(kind, first, _next_month(_next_month(_next_month(first))) - timedelta(days=1), zone)
    raise ValueError(f"a {kind} period needs its dates: use `custom_period`")


def custom_period(first_day: date, last_day: date, zone: ZoneInfo) -> Period:
    if last_day < first_day:
        raise ValueError(f"the period ends ({last_day}) before it starts ({first_day})")
    return Period("custom", first_day, last_day, zone)


def last_complete(kind: PeriodKind, now: datetime, zone: ZoneInfo) -> Period:
    """The latest period of `kind` that has ended by `now` (a report's default)."""
    today = now.astimezone(zone).date()
    return period_containing(kind, today, zone).previous()


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` on the zone's clock (a skipped midnight: the first after it)."""
    return local_instant(day, time(0), zone).astimezone(UTC)
