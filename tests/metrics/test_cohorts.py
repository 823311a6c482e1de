"""Cohort retention on hand-built histories, with every cell worked out by hand.

The weeks (UTC): W0 starts Monday 2 March 2026, W1 9 March, W2 16 March, W3 23 March; `NOW`
is the Wednesday of W3, so W0 to W2 are over and W3 is not.

    cohort W0: ann  W0 W1 W2        cohort W1: eve  W1 W2        cohort W2: gus  W2
               bob  W0    W2   (skips W1)        fay  W1         cohort W3: hal  W3
               cem  W0       (a reply out in W1, a mark in W2: not activity)
               dan  W0 W1    W3 (W3 is not over: not counted)
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from bot.metrics.cohorts import Cohort, CohortTable, cohort_retention
from bot.metrics.segment import ReportSegment
from storage.db import Database
from tests.metrics.hand_built import (
    INTERACTIONS,
    LEARNERS,
    account,
    customer,
    interaction_row,
    learner,
    learner_row,
    logged,
    many,
)

UTC_ZONE = ZoneInfo("UTC")
W0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)
EVERYONE = ReportSegment()


def week(index: int, hours: float = 0) -> datetime:
    return W0 + timedelta(weeks=index, hours=hours)


def _weekly_history(database: Database) -> None:
    with database.transaction() as session:
        for name, weeks in {
            "ann": (0, 1, 2),
            "bob": (0, 2),
            "cem": (0,),
            "dan": (0, 1, 3),
            "eve": (1, 2),
            "fay": (1,),
            "gus": (2,),
            "hal": (3,),
        }.items():
            learner_id = learner(session, name, week(weeks[0]))
            logged(session, learner_id, [week(each, 1) for each in weeks])
            if name == "ann":
                logged(session, learner_id, [week(1, 2), week(1, 3)])  # twice in a week is once
            if name == "cem":
                logged(session, learner_id, [week(1, 5)], direction="out")
                logged(session, learner_id, [week(2, 5)], direction="mark", kind="reminded")


def _table(database: Database, kind: str, brackets: tuple[tuple[int, int], ...] = ()) -> CohortTable:
    with database.transaction() as session:
        return cohort_retention(
            session,
            unit="learner",
            grain="week",
            kind=kind,  # type: ignore[arg-type]
            first=date(2026, 3, 2),
            last=date(2026, 3, 29),
            zone=UTC_ZONE,
            now=NOW,
            segment=EVERYONE,
            default_locale="en",
            brackets=brackets,
        )


def test_on_retention_counts_each_week_on_its_own(database: Database) -> None:
    _weekly_history(database)

    table = _table(database, "on")

    assert table.cohorts == (
        Cohort(date(2026, 3, 2), 4, (1.0, 0.5, 0.5), (4, 2, 2)),  # W1: ann, dan; W2: ann, bob
        Cohort(date(2026, 3, 9), 2, (1.0, 0.5, None), (2, 1, None)),  # W3 is not over
        Cohort(date(2026, 3, 16), 1, (1.0, None, None), (1, None, None)),
        Cohort(date(2026, 3, 23), 1, (None, None, None), (None, None, None)),
    )
    assert table.weighted_mean == (1.0, 3 / 6, 2 / 4)


def test_on_or_after_counts_a_learner_who_skips_a_week(database: Database) -> None:
    _weekly_history(database)

    table = _table(database, "on_or_after")

    # bob skipped W1 but came back in W2: retained at index 1 too.
    assert [cohort.counts for cohort in table.cohorts] == [
        (4, 3, 2),
        (2, 1, None),
        (1, None, None),
        (None, None, None),
    ]
    assert table.weighted_mean == (1.0, 4 / 6, 2 / 4)


def test_brackets_count_a_learner_once_per_bracket(database: Database) -> None:
    _weekly_history(database)

    table = _table(database, "bracket", brackets=((1, 1), (1, 2)))

    # (1, 1): ann, dan | eve. (1, 2): ann, bob, dan | W1's needs W3, not over.
    assert [(cohort.size, cohort.counts) for cohort in table.cohorts] == [
        (4, (2, 3)),
        (2, (1, None)),
        (1, (None, None)),
        (1, (None, None)),
    ]
    assert table.weighted_mean == (3 / 6, 3 / 4)
    assert table.brackets == ((1, 1), (1, 2))


def test_a_cohort_too_young_is_all_none_and_empty_weeks_have_no_row(database: Database) -> None:
    with database.transaction() as session:
        logged(session, learner(session, "ivy", week(0)), [week(0, 1)])
        logged(session, learner(session, "joe", week(3)), [week(3, 1)])

    table = _table(database, "on")

    assert table.cohorts == (
        Cohort(date(2026, 3, 2), 1, (1.0, 0.0, 0.0), (1, 0, 0)),
        Cohort(date(2026, 3, 23), 1, (None, None, None), (None, None, None)),
    )
    assert table.weighted_mean == (1.0, 0.0, 0.0)


def test_a_table_that_cannot_be_read_is_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="needs its brackets"):
        _table(database, "bracket")
    with pytest.raises(ValueError, match=r"bracket \(2, 1\): write \(first, last\) periods"):
        _table(database, "bracket", brackets=((2, 1),))


def test_months_in_the_company_zone(database: Database) -> None:
    """In Berlin (UTC+2 from 29 March), 31 March 22:30 UTC is already 1 April."""
    berlin = ZoneInfo("Europe/Berlin")
    with database.transaction() as session:
        kim = learner(session, "kim", datetime(2026, 3, 10, tzinfo=UTC))
        logged(session, kim, [datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 3, 31, 22, 30, tzinfo=UTC)])
        # first contact 28 Feb 23:30 UTC is 1 March 00:30 in Berlin: a March learner
        lou = learner(session, "lou", datetime(2026, 2, 28, 23, 30, tzinfo=UTC))
        logged(session, lou, [datetime(2026, 2, 28, 23, 30, tzinfo=UTC)])

    with database.transaction() as session:
        table = cohort_retention(
            session,
            unit="learner",
            grain="month",
            kind="on",
            first=date(2026, 2, 1),
            last=date(2026, 3, 31),
            zone=berlin,
            now=datetime(2026, 5, 2, tzinfo=UTC),
            segment=EVERYONE,
            default_locale="en",
        )

    # February is over but nobody first wrote in it: March is the only row; May is not over.
    assert table.cohorts == (Cohort(date(2026, 3, 1), 2, (1.0, 0.5, None), (2, 1, None)),)


def _customers_history(database: Database) -> None:
    """Customers c1 and c2 of account A, c3 of none; c1 has two learners.

    l1 (c1) first W0, active W0 | l2 (c1) first W1, active W1 | l3 (c2) first W1, active
    W1 W2 | l4 (c3) first W0, active W0 W2.
    """
    with database.transaction() as session:
        acme = account(session, "acme", W0)
        c1 = customer(session, "c1", W0, plan="pro", account_id=acme)
        c2 = customer(session, "c2", W0, plan="free", account_id=acme)
        c3 = customer(session, "c3", W0, plan="free")
        for name, owner, weeks in (
            ("l1", c1, (0,)),
            ("l2", c1, (1,)),
            ("l3", c2, (1, 2)),
            ("l4", c3, (0, 2)),
        ):
            logged(session, learner(session, name, week(weeks[0]), owner), [week(each, 1) for each in weeks])
        learner(session, "nobody's", week(0))  # no customer: in no customer's cohort


def _by(
    database: Database, unit: str, segment: ReportSegment = EVERYONE
) -> list[tuple[int, tuple[int | None, ...]]]:
    with database.transaction() as session:
        table = cohort_retention(
            session,
            unit=unit,  # type: ignore[arg-type]
            grain="week",
            kind="on",
            first=date(2026, 3, 2),
            last=date(2026, 3, 22),
            zone=UTC_ZONE,
            now=NOW,
            segment=segment,
            default_locale="en",
        )
    return [(cohort.size, cohort.counts) for cohort in table.cohorts]


def test_customers_and_accounts_are_active_through_any_of_their_learners(database: Database) -> None:
    _customers_history(database)

    # c1 and c3 first wrote in W0: c1 back in W1 (through l2), c3 in W2. c2 is W1's.
    assert _by(database, "customer") == [(2, (2, 1, 1)), (1, (1, 1, None))]
    # acme's first contact is l1's (W0); it is active every week through one learner or another.
    assert _by(database, "account") == [(1, (1, 1, 1))]
    assert _by(database, "customer", ReportSegment(plans=("pro",))) == [(1, (1, 1, 0))]
    assert _by(database, "learner", ReportSegment(plans=("free",))) == [(1, (1, 0, 1)), (1, (1, 1, None))]


# --- the independent check: a seeded history against pandas --------------------------------

NEW_YORK = ZoneInfo("America/New_York")
SEEDED_NOW = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
EPOCH_MONDAY = date(1970, 1, 5)


def _seed(database: Database) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2,500 learners first writing between January and June, each coming back in a week
    with a chance that decays week by week, writing 1 to 20 times then (and getting a
    reply out); at least 100,000 interactions. Returned as frames, as pandas reads them."""
    chance = random.Random(20260715)
    learners: list[tuple[int, datetime]] = []
    inbound: list[tuple[int, datetime]] = []
    for learner_id in range(1, 2501):
        first = datetime(2026, 1, 2, tzinfo=UTC) + timedelta(seconds=chance.uniform(0, 178 * 86400))
        learners.append((learner_id, first))
        ats = [first]
        week_start, likelihood = first, 0.7
        while week_start < SEEDED_NOW:
            if chance.random() < likelihood:
                ats += [
                    week_start + timedelta(seconds=chance.uniform(0, 7 * 86400))
                    for _ in range(chance.randint(1, 20))
                ]
            likelihood *= 0.85
            week_start += timedelta(weeks=1)
        inbound += [(learner_id, at) for at in ats if at < SEEDED_NOW]
    with database.transaction() as session:
        many(session, LEARNERS, [learner_row(learner_id, first) for learner_id, first in learners])
        rows = [interaction_row(learner_id, at) for learner_id, at in inbound]
        rows += [interaction_row(learner_id, at, direction="out") for learner_id, at in inbound[::7]]
        many(session, INTERACTIONS, rows)
    assert len(inbound) >= 100_000
    return (
        pd.DataFrame(learners, columns=["learner_id", "first_contact"]),
        pd.DataFrame(inbound, columns=["learner_id", "at"]),
    )


def _period_numbers(instants: pd.Series, grain: str) -> pd.Series:
    """Months since year 0, or weeks since a Monday in 1970, on New York's clock."""
    local = pd.to_datetime(instants, utc=True).dt.tz_convert(NEW_YORK).dt.tz_localize(None)
    if grain == "month":
        return local.dt.year * 12 + local.dt.month - 1
    return (local.dt.normalize() - pd.Timestamp(EPOCH_MONDAY)).dt.days // 7


def _number_of(start: date, grain: str) -> int:
    return start.year * 12 + start.month - 1 if grain == "month" else (start - EPOCH_MONDAY).days // 7


def _expected(
    learners: pd.DataFrame,
    inbound: pd.DataFrame,
    grain: str,
    kind: str,
    brackets: tuple[tuple[int, int], ...],
) -> dict[int, tuple[int, tuple[int | None, ...]]]:
    """The straightforward computation: cohort -> (size, retained counts)."""
    cohort_of = learners.assign(cohort=_period_numbers(learners["first_contact"], grain))
    running = _period_numbers(pd.Series([SEEDED_NOW]), grain).iloc[0]
    observed = running - 1
    log = inbound.assign(period=_period_numbers(inbound["at"], grain))
    log = log[log["period"] <= observed][["learner_id", "period"]].drop_duplicates()
    active = log.merge(cohort_of, on="learner_id")
    active = active.assign(k=active["period"] - active["cohort"])
    first_cohort = int(cohort_of["cohort"].min())
    columns = int(observed - first_cohort + 1)
    cells = [(k, k) for k in range(columns)] if kind != "bracket" else list(brackets)
    expected = {}
    for cohort, members in cohort_of.groupby("cohort"):
        theirs = active[active["cohort"] == cohort]
        counts: list[int | None] = []
        for low, high in cells:
            if cohort + high > observed:
                counts.append(None)
            elif kind == "on_or_after":
                counts.append(int(theirs[theirs["k"] >= low]["learner_id"].nunique()))
            else:
                within = theirs[(theirs["k"] >= low) & (theirs["k"] <= high)]
                counts.append(int(within["learner_id"].nunique()))
        expected[int(cohort)] = (len(members), tuple(counts))
    return expected


def test_a_seeded_history_matches_pandas(database: Database) -> None:
    learners, inbound = _seed(database)

    for grain, kind, brackets in (
        ("month", "on", ()),
        ("month", "on_or_after", ()),
        ("month", "bracket", ((1, 1), (2, 3))),
        ("week", "on", ()),
        ("week", "on_or_after", ()),
    ):
        with database.transaction() as session:
            table = cohort_retention(
                session,
                unit="learner",
                grain=grain,  # type: ignore[arg-type]
                kind=kind,  # type: ignore[arg-type]
                first=date(2026, 1, 1),
                last=date(2026, 6, 30),
                zone=NEW_YORK,
                now=SEEDED_NOW,
                segment=EVERYONE,
                default_locale="en",
                brackets=brackets,
            )

        found = {_number_of(cohort.start, grain): (cohort.size, cohort.counts) for cohort in table.cohorts}
        assert found == _expected(learners, inbound, grain, kind, brackets), (grain, kind)
        sizes = sum(cohort.size for cohort in table.cohorts if cohort.counts[-1] is not None)
        retained = sum(cohort.counts[-1] or 0 for cohort in table.cohorts)
        assert table.weighted_mean[-1] == pytest.approx(retained / sizes)
