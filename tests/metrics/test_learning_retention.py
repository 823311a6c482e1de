"""Does learning retain? Completers against comparable non-completers on a hand-built
November in Berlin, the arithmetic worked out below; no completers; a single stratum,
where the interval is Newcombe's and the test the z-test's chi-square scaled by (N-1)/N."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from bot.metrics.definitions import Definitions
from bot.metrics.learning_retention import LearningRetention, Stratum, learning_retention
from bot.metrics.lift import newcombe_interval, z_test
from bot.metrics.periods import Period
from bot.metrics.segment import ReportSegment
from storage.db import Database
from storage.models import Enrolment
from storage.retention import without_jit
from tests.metrics.history import BERLIN, at, customer, learner, november, subscription

START = november().start


def _customer(
    session: Session,
    name: str,
    *,
    signed_up: str,
    plan: str,
    retained: bool,
    completed: str | None = None,
    course: str = "onboarding",
) -> None:
    """A subscriber since signing up, active at November's start; `retained`: still at its
    end (else the subscription ends on 20 November); `completed`: when their learner
    finished `course`."""
    found = customer(session, name, signed_up=signed_up, plan=plan)
    subscription(session, found, 1_000, signed_up, None if retained else "2026-11-20")
    if completed is not None:
        when = at(completed)
        session.add(
            Enrolment(
                learner_id=learner(session, found),
                course_id=course,
                status="completed",
                started_at=when - timedelta(days=7),
                last_activity_at=when,
                completed_at=when,
            )
        )


def _found(database: Database, period: Period, segment: ReportSegment | None = None) -> LearningRetention:
    with database.transaction() as session:
        without_jit(session)
        return learning_retention(session, period, segment or ReportSegment(), Definitions(zone=BERLIN), "en")


def _four_strata(session: Session) -> None:
    """January x Pro: completers 3 of 4 retained, non-completers 1 of 2 (one of whom
    completed only in November, too late to count). March x Pro: completer 1 of 1,
    non-completers 1 of 4. January x Free: one completer, lost, with nobody to compare
    (unmatched). March x Free: non-completers only, 2 of 2 (no weight). A completer who
    signed up in November is not active at its start and is left out."""
    for index, retained in enumerate((True, True, True, False)):
        _customer(
            session,
            f"jan-pro-{index}",
            signed_up="2026-01-10",
            plan="Pro",
            retained=retained,
            completed="2026-05-01",
        )
    _customer(
        session, "jan-pro-late", signed_up="2026-01-20", plan="Pro", retained=True, completed="2026-11-05"
    )
    _customer(session, "jan-pro-other", signed_up="2026-01-25", plan="Pro", retained=False)
    _customer(session, "mar-pro-0", signed_up="2026-03-03", plan="Pro", retained=True, completed="2026-06-01")
    for index, retained in enumerate((True, False, False, False)):
        _customer(session, f"mar-pro-other-{index}", signed_up="2026-03-05", plan="Pro", retained=retained)
    _customer(
        session, "jan-free-0", signed_up="2026-01-12", plan="Free", retained=False, completed="2026-02-01"
    )
    for index in range(2):
        _customer(session, f"mar-free-other-{index}", signed_up="2026-03-09", plan="Free", retained=True)
    _customer(session, "nov-pro-0", signed_up="2026-11-02", plan="Pro", retained=True, completed="2026-11-10")


def test_completers_are_compared_with_non_completers_weighted_to_their_month_and_plan(
    database: Database,
) -> None:
    with database.transaction() as session:
        _four_strata(session)

    found = _found(database, november())

    assert found.strata == (
        Stratum(at("2026-01-01").date(), "Pro", 4, 3, 2, 1),
        Stratum(at("2026-03-01").date(), "Pro", 1, 1, 4, 1),
    )
    assert (found.completers, found.matched_completers, found.unmatched_completers) == (6, 5, 1)
    assert (found.others, found.matched_others) == (8, 6)
    # Weights: January x Pro 4/5, March x Pro 1/5.
    # Completers: 0.8 x 3/4 + 0.2 x 1/1 = 0.8; non-completers: 0.8 x 1/2 + 0.2 x 1/4 = 0.45.
    assert found.completers_retention == pytest.approx(0.8)
    assert found.others_retention == pytest.approx(0.45)
    assert found.difference == pytest.approx(0.35)
    assert found.completers_churn == pytest.approx(0.2)
    assert found.others_churn == pytest.approx(0.55)
    # MOVER from the Wilson intervals of 3/4, 1/1 (completers), 1/2, 1/4 (the others).
    assert found.interval == pytest.approx((-0.167406, 0.715558), abs=1e-6)
    # CMH: January: 3 - 4 x 4/6 = 1/3, variance 4 x 2 x 4 x 2 / (36 x 5) = 16/45; March:
    # 1 - 1 x 2/5 = 3/5, variance 1 x 4 x 2 x 3 / (25 x 4) = 6/25. Chi-square
    # (14/15)^2 / (134/225) = 98/67 on one degree of freedom.
    assert found.p_value == pytest.approx(math.erfc(math.sqrt(98 / 67 / 2)))
    assert found.p_value == pytest.approx(0.2265, abs=1e-4)


def test_a_segments_course_is_the_learning_that_counts(database: Database) -> None:
    with database.transaction() as session:
        _customer(session, "a", signed_up="2026-01-10", plan="Pro", retained=True, completed="2026-05-01")
        _customer(
            session,
            "b",
            signed_up="2026-01-11",
            plan="Pro",
            retained=False,
            completed="2026-05-01",
            course="sales",
        )

    found = _found(database, november(), ReportSegment(courses=("onboarding",)))

    # b, enrolled in another course only, is not in the segment at all.
    assert (found.courses, found.completers, found.others) == (("onboarding",), 1, 0)
    assert found.strata == ()


def test_without_completers_nothing_is_compared_but_the_others_are_counted(database: Database) -> None:
    with database.transaction() as session:
        _customer(session, "a", signed_up="2026-01-10", plan="Pro", retained=True)
        _customer(session, "b", signed_up="2026-01-11", plan="Pro", retained=False)

    found = _found(database, november())

    assert found == LearningRetention((), 0, 2, (), None, None, None, None, None)


def test_one_stratum_gives_newcombes_interval_and_the_cmh_test_of_one_table(database: Database) -> None:
    with database.transaction() as session:
        for index in range(6):
            _customer(
                session,
                f"c{index}",
                signed_up="2026-02-01",
                plan="Pro",
                retained=index < 5,
                completed="2026-04-01",
            )
        for index in range(5):
            _customer(session, f"o{index}", signed_up="2026-02-02", plan="Pro", retained=index < 2)

    found = _found(database, november())

    assert found.difference == pytest.approx(5 / 6 - 2 / 5)
    assert found.interval == pytest.approx(newcombe_interval(5, 6, 2, 5))
    # With one table the CMH chi-square is (N - 1) / N times Pearson's, the z-test's z^2.
    pooled = z_test(5, 6, 2, 5)
    assert pooled is not None
    z = math.sqrt(2) * _erfc_inverse(pooled)
    assert found.p_value == pytest.approx(math.erfc(z * math.sqrt(10 / 11) / math.sqrt(2)))


def test_everybody_retained_leaves_no_test_but_an_interval(database: Database) -> None:
    with database.transaction() as session:
        for name, completed in (("c", "2026-04-01"), ("o", None)):
            for index in range(3):
                _customer(
                    session,
                    f"{name}{index}",
                    signed_up="2026-02-01",
                    plan="Pro",
                    retained=True,
                    completed=completed,
                )

    found = _found(database, november())

    assert (found.difference, found.p_value) == (0.0, None)
    assert found.interval == pytest.approx(newcombe_interval(3, 3, 3, 3))


def _erfc_inverse(p: float) -> float:
    """x with erfc(x) = p, by bisection (the test's own, not the code's)."""
    low, high = 0.0, 10.0
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if math.erfc(middle) > p else (low, middle)
    return low
