"""Cohort retention: of the learners (customers, accounts) who first wrote in a week or
month, how many were active in each week or month after, computed in the database.

A unit is *active* in a period when it has an inbound interaction in it (a customer or an
account: through any of its learners); its cohort is the period of its first contact (a
learner's `created_at`, a customer's or account's earliest learner's). Index 0 is the
cohort's own period. The three readings of "retained", as the analytics tools name them:

- `on` (Amplitude's N-day, Mixpanel's and PostHog's default): active in period k after
  the cohort's period;
- `on_or_after` (Amplitude's unbounded, Mixpanel's "on or after"): active in period k or
  in any later period observed, so the curve never rises;
- `bracket` (Amplitude's custom brackets): active at least once within each bracket of
  periods, `(1, 1), (2, 4)`: one cell per bracket.

A cell whose periods have not all ended by `now` is None: it cannot be observed yet, which
is not the same as nobody came back. Activity in the period still running is not counted,
so a table does not change until a period ends.

The database returns counts per cohort and period index; no interaction row reaches
Python. Each instant is mapped to its period by a balanced CASE over the periods' UTC
starts (the company's calendar, daylight saving included), about log2(periods)
comparisons a row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Subquery,
    Table,
    and_,
    case,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from bot.metrics.periods import Period, period_containing
from bot.metrics.segment import ReportSegment, segment_customers, segment_learners
from storage.customer_models import Customer
from storage.models import Interaction, Learner

Unit = Literal["learner", "customer", "account"]
Grain = Literal["week", "month"]
Kind = Literal["on", "on_or_after", "bracket"]

_INTERACTIONS = cast(Table, Interaction.__table__)
_LEARNERS = cast(Table, Learner.__table__)
_CUSTOMERS = cast(Table, Customer.__table__)


@dataclass(frozen=True)
class Cohort:
    start: date
    """The first day of the cohort's week (Monday) or month, on the company's calendar."""
    size: int
    retained: tuple[float | None, ...]
    """Share retained at each period index (`bracket`: each bracket); None: not observable yet."""
    counts: tuple[int | None, ...] = ()
    """How many were retained, cell by cell (None where `retained` is)."""


@dataclass(frozen=True)
class CohortTable:
    unit: Unit
    grain: Grain
    kind: Kind
    cohorts: tuple[Cohort, ...]
    """Oldest first; a week or month nobody first wrote in has no row."""
    weighted_mean: tuple[float | None, ...]
    """Per index: retained over cohort size, summed over the cohorts observable there."""
    brackets: tuple[tuple[int, int], ...] = ()


def cohort_retention(
    session: Session,
    *,
    unit: Unit,
    grain: Grain,
    kind: Kind,
    first: date,
    last: date,
    zone: ZoneInfo,
    now: datetime,
    segment: ReportSegment,
    default_locale: str,
    brackets: tuple[tuple[int, int], ...] = (),
) -> CohortTable:
    """The cohorts of the periods from the one holding `first` to the one holding `last`."""
    if last < first:
        raise ValueError(f"the last cohort ({last}) is before the first ({first})")
    if kind == "bracket":
        _check_brackets(brackets)
    today = now.astimezone(zone).date()
    grid = _periods(grain, first, max(last, today), zone)
    cohort_count = next(index for index, period in enumerate(grid) if period.last_day >= last) + 1
    ended = sum(1 for period in grid if period.end <= now)  # periods 0..ended-1 are over
    members = _members(unit, grid, cohort_count, segment=segment, now=now, default_locale=default_locale)
    activity = _activity(unit, grid, ended)
    sizing = select(members.c.cohort, func.count()).group_by(members.c.cohort)
    sizes: dict[int, int] = dict(session.execute(sizing).all())
    if kind == "on":
        columns = max(ended, 1)
        counts = _on_counts(session, members, activity)
        observable = [range(column, column + 1) for column in range(columns)]
    elif kind == "on_or_after":
        columns = max(ended, 1)
        counts = _on_or_after_counts(session, members, activity, columns)
        observable = [range(column, column + 1) for column in range(columns)]
    else:
        counts = _bracket_counts(session, members, activity, brackets)
        observable = [range(low, high + 1) for low, high in brackets]
    cohorts = []
    for index in range(cohort_count):
        size = sizes.get(index, 0)
        if not size:
            continue
        cells = [
            counts.get((index, column), 0) if index + periods.stop <= ended else None
            for column, periods in enumerate(observable)
        ]
        cohorts.append(
            Cohort(
                start=grid[index].first_day,
                size=size,
                retained=tuple(None if count is None else count / size for count in cells),
                counts=tuple(cells),
            )
        )
    return CohortTable(
        unit=unit,
        grain=grain,
        kind=kind,
        cohorts=tuple(cohorts),
        weighted_mean=_weighted_mean(cohorts, len(observable)),
        brackets=brackets if kind == "bracket" else (),
    )


def _check_brackets(brackets: tuple[tuple[int, int], ...]) -> None:
    if not brackets:
        raise ValueError("bracket retention needs its brackets, e.g. (1, 1), (2, 4)")
    for low, high in brackets:
        if low < 0 or high < low:
            raise ValueError(f"bracket ({low}, {high}): write (first, last) periods, 0 <= first <= last")


def _periods(grain: Grain, first: date, last: date, zone: ZoneInfo) -> list[Period]:
    """The weeks or months from the one holding `first` to the one holding `last`."""
    periods = [period_containing(grain, first, zone)]
    while periods[-1].last_day < last:
        periods.append(period_containing(grain, periods[-1].last_day + timedelta(days=1), zone))
    return periods


def _period_index(instant: ColumnElement[datetime], starts: Sequence[datetime]) -> ColumnElement[int]:
    """The index of the period `instant` falls in, given the periods' starts (the instant
    at or after the first, before the last one's end): a balanced tree of CASEs."""

    def within(low: int, high: int) -> ColumnElement[int]:
        if high - low == 1:
            return literal_column(str(low), Integer)
        middle = (low + high) // 2
        return case((instant < starts[middle], within(low, middle)), else_=within(middle, high))

    return within(0, len(starts))


def _unit_of_learner(unit: Unit) -> tuple[ColumnElement[int], FromClause]:
    """The column naming a learner's unit, and the tables it is read from."""
    if unit == "learner":
        return _LEARNERS.c.id, _LEARNERS
    if unit == "customer":
        return _LEARNERS.c.customer_id, _LEARNERS
    return _CUSTOMERS.c.account_id, _LEARNERS.join(_CUSTOMERS, _CUSTOMERS.c.id == _LEARNERS.c.customer_id)


def _in_segment(
    unit: Unit, column: ColumnElement[int], segment: ReportSegment, now: datetime, default_locale: str
) -> list[ColumnElement[bool]]:
    """A learner by the segment's conditions; a customer when one of its learners is in
    it; an account when one of its customers is."""
    if segment.everyone:
        return []
    if unit == "learner":
        return [column.in_(segment_learners(segment, now, default_locale))]
    customers = segment_customers(segment, now, default_locale)
    if unit == "customer":
        return [column.in_(customers)]
    return [column.in_(select(_CUSTOMERS.c.account_id).where(_CUSTOMERS.c.id.in_(customers)))]


def _members(
    unit: Unit,
    grid: Sequence[Period],
    cohort_count: int,
    *,
    segment: ReportSegment,
    now: datetime,
    default_locale: str,
) -> Subquery:
    """(unit, cohort): each unit whose first contact falls in one of the cohort periods."""
    column, tables = _unit_of_learner(unit)
    first_contact = (
        select(column.label("unit"), func.min(_LEARNERS.c.created_at).label("first_contact"))
        .select_from(tables)
        .where(column.is_not(None), *_in_segment(unit, column, segment, now, default_locale))
        .group_by(column)
        .subquery()
    )
    starts = [period.start for period in grid[:cohort_count]]
    contact = first_contact.c.first_contact
    return (
        select(first_contact.c.unit, _period_index(contact, starts).label("cohort"))
        .where(contact >= starts[0], contact < grid[cohort_count - 1].end)
        .subquery()
    )


def _activity(unit: Unit, grid: Sequence[Period], ended: int) -> Subquery:
    """(unit, period): each period that has ended in which the unit wrote to the bot."""
    at = _INTERACTIONS.c.at
    if unit == "learner":
        column: ColumnElement[int] = _INTERACTIONS.c.learner_id
        tables: FromClause = _INTERACTIONS
    else:
        column, learners = _unit_of_learner(unit)
        tables = _INTERACTIONS.join(learners, _LEARNERS.c.id == _INTERACTIONS.c.learner_id)
    starts = [period.start for period in grid[: max(ended, 1)]]
    until = grid[ended - 1].end if ended else grid[0].start
    return (
        select(column.label("unit"), _period_index(at, starts).label("period"))
        .select_from(tables)
        .where(_INTERACTIONS.c.direction == "in", at >= starts[0], at < until, column.is_not(None))
        .distinct()
        .subquery()
    )


Counts = dict[tuple[int, int], int]
"""How many of cohort i were retained in cell j, by (i, j)."""


def _on_counts(session: Session, members: Subquery, activity: Subquery) -> Counts:
    rows = session.execute(
        select(members.c.cohort, activity.c.period, func.count())
        .select_from(activity.join(members, members.c.unit == activity.c.unit))
        .where(activity.c.period >= members.c.cohort)
        .group_by(members.c.cohort, activity.c.period)
    )
    return {(cohort, period - cohort): count for cohort, period, count in rows}


def _on_or_after_counts(session: Session, members: Subquery, activity: Subquery, columns: int) -> Counts:
    """From how many units were last seen at each index: retained at k means last seen at k
    or later."""
    last_seen = (
        select(members.c.cohort, func.max(activity.c.period).label("last"))
        .select_from(activity.join(members, members.c.unit == activity.c.unit))
        .where(activity.c.period >= members.c.cohort)
        .group_by(members.c.unit, members.c.cohort)
        .subquery()
    )
    rows = session.execute(
        select(last_seen.c.cohort, last_seen.c.last, func.count()).group_by(
            last_seen.c.cohort, last_seen.c.last
        )
    )
    counts: defaultdict[tuple[int, int], int] = defaultdict(int)
    for cohort, last, count in rows:
        for column in range(min(last - cohort, columns - 1) + 1):
            counts[cohort, column] += count
    return dict(counts)


def _bracket_counts(
    session: Session, members: Subquery, activity: Subquery, brackets: tuple[tuple[int, int], ...]
) -> Counts:
    rows = [
        select(
            literal_column(str(position), Integer).label("position"),
            literal_column(str(low), Integer).label("low"),
            literal_column(str(high), Integer).label("high"),
        )
        for position, (low, high) in enumerate(brackets)
    ]
    table = (rows[0] if len(rows) == 1 else union_all(*rows)).subquery("brackets")
    after = activity.c.period - members.c.cohort
    found = session.execute(
        select(members.c.cohort, table.c.position, func.count(activity.c.unit.distinct()))
        .select_from(
            activity.join(members, members.c.unit == activity.c.unit).join(
                table, and_(after >= table.c.low, after <= table.c.high)
            )
        )
        .group_by(members.c.cohort, table.c.position)
    )
    return {(cohort, position): count for cohort, position, count in found}


def _weighted_mean(cohorts: Sequence[Cohort], columns: int) -> tuple[float | None, ...]:
    means: list[float | None] = []
    for column in range(columns):
        seen = [
            (cohort.counts[column], cohort.size) for cohort in cohorts if cohort.counts[column] is not None
        ]
        size = sum(each for _, each in seen)
        means.append(sum(count or 0 for count, _ in seen) / size if size else None)
    return tuple(means)
