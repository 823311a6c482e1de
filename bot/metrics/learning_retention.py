"""Does learning retain? Of the customers active at a period's start, those with a learner
who had completed a course before it (any course, or the segment's) against comparable
customers who had not: retention and churn over the period, the difference with a 95%
interval, and a test of "no difference".

Comparable means the same signup month (on the company's calendar) and the same plan: the
customers are split into those strata, and the non-completers are weighted to the
completers' mix (direct standardisation): each stratum's non-completer retention counts
with the completers' share in it. So the comparison answers "had these completers not
completed, and retained like others of their month and plan, what would their retention
have been?". A stratum with completers but no comparable non-completer cannot be matched:
its completers are left out of the comparison and counted as unmatched; strata without
completers weigh nothing.

Completion before the period, not during it: a customer who stays longer has more time to
finish a course, so counting completions inside the period would credit learning with
retention it did not cause. Even so it is an association, not proof of cause: customers
who choose to learn may differ in ways the strata do not hold (a campaign's holdout, which
chose at random, gives causation).

The interval is the MOVER interval (Zou and Donner 2008) built from each stratum's Wilson
interval: with a single stratum it is Newcombe's hybrid score interval, as the campaign
lift uses (`bot.metrics.lift`), and like it keeps its coverage near 0% and 100%. The test
is the Cochran-Mantel-Haenszel test (without continuity correction) over the matched
strata, two-sided: the standard test of an association in a set of 2x2 tables.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from bot.metrics.definitions import Definitions
from bot.metrics.lift import wilson_interval
from bot.metrics.periods import Period, period_containing
from bot.metrics.segment import ReportSegment, segment_customers
from storage.learning_retention import BEFORE, StratumCounts, strata_counts

SIGNUP_MONTHS = 120
"""How many signup months are told apart, up to the period's own; earlier signups share one."""
TEST = "Cochran-Mantel-Haenszel"


@dataclass(frozen=True)
class Stratum:
    signup_month: date | None
    """The first day of the month; None: before the months told apart."""
    plan: str | None
    completers: int
    completers_retained: int
    others: int
    others_retained: int


@dataclass(frozen=True)
class LearningRetention:
    courses: tuple[str, ...]
    """The courses whose completion counts; empty: any."""
    completers: int
    """Customers active at the start with a learner who had completed a course before it."""
    others: int
    """Customers active at the start without one."""
    strata: tuple[Stratum, ...]
    """The matched strata (both groups present), by month and plan."""
    completers_retention: float | None
    """Of the matched completers, the share still active at the end."""
    others_retention: float | None
    """Of the matched non-completers, weighted to the completers' mix."""
    difference: float | None
    """completers_retention - others_retention, a fraction (0.1: 10 points)."""
    interval: tuple[float, float] | None
    p_value: float | None
    """None when every matched stratum retained everybody, or nobody."""

    @property
    def matched_completers(self) -> int:
        return sum(each.completers for each in self.strata)

    @property
    def matched_others(self) -> int:
        return sum(each.others for each in self.strata)

    @property
    def unmatched_completers(self) -> int:
        return self.completers - self.matched_completers

    @property
    def completers_churn(self) -> float | None:
        return None if self.completers_retention is None else 1 - self.completers_retention

    @property
    def others_churn(self) -> float | None:
        return None if self.others_retention is None else 1 - self.others_retention


def learning_retention(
    session: Session, period: Period, segment: ReportSegment, definitions: Definitions, default_locale: str
) -> LearningRetention:
    months = _signup_months(period)
    customers = None if segment.everyone else segment_customers(segment, period.end, default_locale)
    counts = strata_counts(
        session,
        period.start,
        period.end,
        [month.start for month in months],
        active_days=definitions.active_days,
        customers=customers,
        courses=segment.courses,
    )
    return compare(counts, [month.first_day for month in months], segment.courses)


def _signup_months(period: Period) -> list[Period]:
    months = [period_containing("month", period.last_day, period.zone)]
    while len(months) < SIGNUP_MONTHS:
        months.insert(0, period_containing("month", months[0].first_day - timedelta(days=1), period.zone))
    return months


def compare(
    counts: Sequence[StratumCounts], month_days: Sequence[date], courses: Sequence[str] = ()
) -> LearningRetention:
    """The comparison from the per-stratum counts (`month_days`: the first day of each
    month the counts index)."""
    cells: defaultdict[tuple[int, str | None], dict[bool, StratumCounts]] = defaultdict(dict)
    for each in counts:
        cells[each.month, each.plan][each.completed] = each
    strata = tuple(
        Stratum(
            None if month == BEFORE else month_days[month],
            plan,
            pair[True].customers,
            pair[True].retained,
            pair[False].customers,
            pair[False].retained,
        )
        for (month, plan), pair in sorted(cells.items(), key=lambda item: (item[0][0], item[0][1] or ""))
        if True in pair and False in pair
    )
    completers = sum(each.customers for each in counts if each.completed)
    others = sum(each.customers for each in counts if not each.completed)
    matched = sum(each.completers for each in strata)
    if not matched:
        return LearningRetention(tuple(courses), completers, others, strata, None, None, None, None, None)
    weights = [each.completers / matched for each in strata]
    first = _weighted_rate([(each.completers_retained, each.completers) for each in strata], weights)
    second = _weighted_rate([(each.others_retained, each.others) for each in strata], weights)
    (rate, low, high), (other_rate, other_low, other_high) = first, second
    difference = rate - other_rate
    interval = (
        difference - math.hypot(rate - low, other_high - other_rate),
        difference + math.hypot(high - rate, other_rate - other_low),
    )
    return LearningRetention(
        tuple(courses), completers, others, strata, rate, other_rate, difference, interval, _cmh(strata)
    )


def _weighted_rate(counts: Sequence[tuple[int, int]], weights: Sequence[float]) -> tuple[float, float, float]:
    """The weighted sum of the strata's rates and its MOVER limits from their Wilson intervals."""
    rate = below = above = 0.0
    for (retained, customers), weight in zip(counts, weights, strict=True):
        share = retained / customers
        interval = wilson_interval(retained, customers)
        assert interval is not None  # a matched stratum has customers in both groups
        rate += weight * share
        below += (weight * (share - interval[0])) ** 2
        above += (weight * (interval[1] - share)) ** 2
    return rate, rate - math.sqrt(below), rate + math.sqrt(above)


def _cmh(strata: Sequence[Stratum]) -> float | None:
    """The two-sided p-value of the Cochran-Mantel-Haenszel test: completers retained
    against their expectation, given each stratum's margins, summed over the strata."""
    excess = variance = 0.0
    for each in strata:
        total = each.completers + each.others
        retained = each.completers_retained + each.others_retained
        excess += each.completers_retained - each.completers * retained / total
        variance += each.completers * each.others * retained * (total - retained) / (total**2 * (total - 1))
    if variance <= 0:
        return None
    return math.erfc(abs(excess) / math.sqrt(2 * variance))
