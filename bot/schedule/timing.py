"""When a course's next message may go out, on the learner's clock.

Every rule is a plain function of the schedule, the learner's zone and an instant, so the
scheduler and the tests can ask "when?" without a database or a clock. Instants go in aware
and come out in UTC; windows, holidays and days are read in the learner's local time, where
a day can be 23 or 25 hours long and a wall time can be skipped or happen twice. Instants are
compared and added in UTC: Python compares and adds two datetimes of one zone by their wall
clocks, which is wrong around a change of the clocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.content.model import AfterPrevious, DeliveryWindow, EveryNDays, Schedule, Weekday

ONE_DAY = timedelta(days=1)


def is_open(window: DeliveryWindow | None, holidays: frozenset[date], zone: ZoneInfo, at: datetime) -> bool:
    """Whether the bot may speak first at `at`: not on a holiday, and inside the window."""
    local = at.astimezone(zone)
    if local.date() in holidays:
        return False
    if window is None:
        return True
    return Weekday(local.weekday()) in window.days and window.opens <= local.time() < window.closes


def next_opening(
    window: DeliveryWindow | None, holidays: frozenset[date], zone: ZoneInfo, at: datetime
) -> datetime:
    """The earliest instant at or after `at` inside the window and not on a holiday (local dates).

    Without a window, a holiday moves what falls on it by whole days, keeping its time of day."""
    at = at.astimezone(UTC)
    if is_open(window, holidays, zone, at):
        return at
    local = at.astimezone(zone)
    # Each week has an open day, so past every holiday the window opens within a week.
    for offset in range(1 if window is None else 0, 7 * (len(holidays) + 1) + 1):
        day = local.date() + offset * ONE_DAY
        wall = local.time() if window is None else window.opens
        for fold in (0, 1):  # an opening that happens twice (clocks going back) counts from the first
            candidate = local_instant(day, wall, zone, fold).astimezone(UTC)
            if candidate >= at and is_open(window, holidays, zone, candidate):
                return candidate
    raise ValueError(f"the window {window} never opens")  # only a window open on no day


def days_later(
    window: DeliveryWindow | None, holidays: frozenset[date], zone: ZoneInfo, at: datetime, days: int
) -> datetime:
    """`days` local calendar days after `at`: at the window's opening that day (or the same
    time of day without a window), or the next opening after it."""
    local = at.astimezone(zone)
    day = local.date() + days * ONE_DAY
    start = local_instant(day, local.time() if window is None else window.opens, zone)
    return next_opening(window, holidays, zone, start)


def next_lesson_due(schedule: Schedule, zone: ZoneInfo, finished_at: datetime) -> datetime:
    """When the lesson after one finished at `finished_at` is due."""
    window, holidays, cadence = schedule.window, schedule.holidays, schedule.cadence
    if isinstance(cadence, AfterPrevious):
        return next_opening(window, holidays, zone, finished_at)
    if isinstance(cadence, EveryNDays):
        return days_later(window, holidays, zone, finished_at, cadence.days)
    weekday = finished_at.astimezone(zone).weekday()
    wait = next(days for days in range(1, 8) if Weekday((weekday + days) % 7) in cadence.days)
    return days_later(window, holidays, zone, finished_at, wait)


def reminder_due(
    reminders: Sequence[timedelta], schedule: Schedule, zone: ZoneInfo, left_at: datetime, sent_count: int
) -> datetime | None:
    """When nudge number `sent_count + 1` is due for a step left unanswered since `left_at`,
    inside the schedule's window; None once every nudge has gone (the enrolment then pauses).

    Each delay counts from the nudge before it as it was due, after the window moved it, so
    two nudges never land on the same opening."""
    if sent_count >= len(reminders):
        return None
    due = left_at
    for delay in reminders[: sent_count + 1]:
        due = next_opening(schedule.window, schedule.holidays, zone, later(due, delay, zone))
    return due


def later(at: datetime, delay: timedelta, zone: ZoneInfo) -> datetime:
    """`delay` after `at`: whole days on the learner's calendar (so "1 day" is the same time
    tomorrow, across a DST change too), anything else as time elapsed."""
    if delay % ONE_DAY:
        return at.astimezone(UTC) + delay
    local = at.astimezone(zone)
    return local_instant(local.date() + delay, local.time(), zone, local.fold).astimezone(UTC)


def local_instant(day: date, wall: time, zone: ZoneInfo, fold: int = 0) -> datetime:
    """The instant the learner's clock reads `wall` on `day`, in `zone`.

    A wall time that happens twice (clocks going back) is its first occurrence, or its second
    with `fold=1`; one the clock skips (02:30 when 02:00 jumps to 03:00) is the moment of the
    jump, the first instant the clock reads later than `wall`."""
    naive = datetime.combine(day, wall)
    instant = naive.replace(tzinfo=zone, fold=fold)
    if instant.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    # Skipped: before the jump the clock reads earlier than `wall`, after it later. zoneinfo
    # gives no transitions, so find the jump to the second (a gap is at most a day wide).
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = int(naive.replace(tzinfo=zone, fold=0).timestamp())
    low, high = min(low, high), max(low, high)
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) < naive:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, zone)
