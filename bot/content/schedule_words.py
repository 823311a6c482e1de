"""The words authors write for days, times and delays (`every 2 days`, `mon`, `4 hours`), read
into typed values.

The cross-checks read them to say what is wrong in the author's terms, the loader to build
the model, so both go through these functions and can never disagree. Each returns the value
or an `Unreadable` carrying the message for the author.
"""

from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from bot.content.model import AfterPrevious, Cadence, EveryNDays, OnWeekdays, Weekday

MAX_DAYS = 365
"""A cadence, a delay or a trigger longer than a year is a typo, not a plan."""


@dataclass(frozen=True)
class Unreadable:
    message: str


_WEEKDAY_NAMES = {
    **{day.name.lower(): day for day in Weekday},
    "monday": Weekday.MON,
    "tuesday": Weekday.TUE,
    "wednesday": Weekday.WED,
    "thursday": Weekday.THU,
    "friday": Weekday.FRI,
    "saturday": Weekday.SAT,
    "sunday": Weekday.SUN,
}
_SHORT_NAMES = ", ".join(day.name.lower() for day in Weekday)


def read_weekday(word: str) -> Weekday | Unreadable:
    """`mon` or `monday`, in any case."""
    found = _WEEKDAY_NAMES.get(word.strip().casefold())
    if found is not None:
        return found
    close = difflib.get_close_matches(word.strip().casefold(), list(_WEEKDAY_NAMES), n=1, cutoff=0.6)
    hint = f"did you mean '{_WEEKDAY_NAMES[close[0]].name.lower()}'? " if close else ""
    return Unreadable(f"'{word}' is not a day of the week ({hint}days are: {_SHORT_NAMES})")


def read_weekdays(words: list[str]) -> frozenset[Weekday] | Unreadable:
    days = [read_weekday(word) for word in words]
    problem = next((day for day in days if isinstance(day, Unreadable)), None)
    return problem or frozenset(day for day in days if isinstance(day, Weekday))


_TIME = re.compile(r"^(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})$")


def read_time(text: str) -> time | Unreadable:
    """`9:00` or `17:30`, on a 24-hour clock."""
    match = _TIME.match(text.strip())
    if match is None or int(match["hour"]) > 23 or int(match["minute"]) > 59:
        return Unreadable(
            f"'{text}' is not a time of day: write HH:MM on a 24-hour clock, e.g. 09:00 or 17:30"
        )
    return time(int(match["hour"]), int(match["minute"]))


_DATE = re.compile(r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})$")


def read_date(text: str) -> date | Unreadable:
    """`2026-12-25`: year, month, day."""
    match = _DATE.match(text.strip())
    if match is None:
        return Unreadable(f"'{text}' is not a date: write YYYY-MM-DD, e.g. 2026-12-25")
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    if year < 1:
        return Unreadable(f"'{text}' is not a date: there is no year 0")
    if not 1 <= month <= 12:
        return Unreadable(f"'{text}' is not a date: there is no month {month} (write YYYY-MM-DD)")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return Unreadable(f"'{text}' is not a date: {calendar.month_name[month]} {year} has {days} days")
    return date(year, month, day)


_UNITS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_DELAY = re.compile(r"^(?P<count>-?[0-9]+)\s*(?P<unit>[A-Za-z]+)$")


def read_delay(text: str) -> timedelta | Unreadable:
    """`30 minutes`, `4 hours`, `1 day`, `2 weeks`: more than nothing, at most a year."""
    match = _DELAY.match(text.strip())
    if match is None:
        return Unreadable(f"'{text}' is not a delay: write a number and a unit, e.g. 4 hours or 2 days")
    word = match["unit"].casefold()
    unit = _UNITS.get(word.removesuffix("s"))
    if unit is None:
        close = difflib.get_close_matches(word.removesuffix("s"), list(_UNITS), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}s'? " if close else ""
        return Unreadable(
            f"'{match['unit']}' is not a unit of time ({hint}use minutes, hours, days or weeks)"
        )
    count = int(match["count"])
    if count <= 0:
        return Unreadable(f"'{text}': a delay must be more than nothing (a number above 0)")
    delay = count * unit
    if delay > timedelta(days=MAX_DAYS):
        return Unreadable(f"'{text}' is more than a year; a delay may be at most {MAX_DAYS} days")
    return delay


WORKING_DAYS = frozenset(Weekday) - {Weekday.SAT, Weekday.SUN}
_CADENCE_FORMS = "after previous, every day, every 3 days, every week, on weekdays, or on mon, wed, fri"
_EVERY = re.compile(r"^every\s+(?:(?P<count>-?[0-9]+)\s+)?(?P<unit>[A-Za-z]+)$")


def read_cadence(text: str) -> Cadence | Unreadable:
    """`after previous`, `every day`, `every 3 days`, `every 2 weeks`, `on weekdays`, `on mon, wed, fri`."""
    words = " ".join(text.casefold().split())
    if words == "after previous":
        return AfterPrevious()
    if words.startswith("on "):
        names = [name for name in re.split(r"[,\s]+", words.removeprefix("on ")) if name and name != "and"]
        if names == ["weekdays"]:
            return OnWeekdays(WORKING_DAYS)
        days = read_weekdays(names)
        return days if isinstance(days, Unreadable) else OnWeekdays(days)
    every = _EVERY.match(words)
    if every is None:
        return Unreadable(f"'{text}' is not a cadence: write {_CADENCE_FORMS}")
    size = {"day": 1, "week": 7}.get(every["unit"].removesuffix("s"))
    if size is None:
        return Unreadable(f"'{text}': count days or weeks, e.g. every 3 days (or write {_CADENCE_FORMS})")
    count = int(every["count"] or 1)
    if count <= 0:
        return Unreadable(f"'{text}': the number must be at least 1")
    if count * size > MAX_DAYS:
        return Unreadable(f"'{text}' is more than a year apart; at most every {MAX_DAYS} days")
    return EveryNDays(count * size)
