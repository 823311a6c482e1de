"""Net Promoter Score of the period: each learner's latest answer in it, with a 95%
interval from the variance of the promoter-detractor difference."""

from __future__ import annotations

import math

import pytest

from bot.metrics.retention import Input
from storage.db import Database
from tests.metrics.history import learner, metrics_of, november, nps


def _interval(promoters: int, passives: int, detractors: int) -> tuple[float, float]:
    count = promoters + passives + detractors
    p, d = promoters / count, detractors / count
    spread = 1.959964 * math.sqrt((p + d - (p - d) ** 2) / count)
    return max(-1.0, p - d - spread), min(1.0, p - d + spread)


def test_the_latest_answer_of_each_learner_in_the_period_counts(database: Database) -> None:
    with database.transaction() as session:
        changed_mind = learner(session)
        nps(session, changed_mind, 10, "2026-11-02")
        nps(session, changed_mind, 3, "2026-11-20")
        for score in (9, 7, 10):
            nps(session, learner(session), score, "2026-11-10")
        nps(session, learner(session), 0, "2026-10-10")  # October: not this period's
        nps(session, changed_mind, 10, "2026-12-01")  # December, and so not its latest

    found = metrics_of(database, november())["nps"]

    # Promoters 2, passive 1, detractor 1 (the changed mind): (2 - 1) / 4.
    assert found.inputs == (
        Input("promoters", 2, "learners"),
        Input("passives", 1, "learners"),
        Input("detractors", 1, "learners"),
    )
    assert found.value == 0.25
    assert found.interval == pytest.approx(_interval(2, 1, 1))
    assert found.interval is not None
    assert found.interval[1] == 1.0  # clipped: an NPS is at most 100


def test_without_detractors_the_score_is_the_promoters_share(database: Database) -> None:
    with database.transaction() as session:
        for score in (9, 10, 10, 8):
            nps(session, learner(session), score, "2026-11-10")

    found = metrics_of(database, november())["nps"]

    assert found.value == 0.75
    assert found.interval == pytest.approx(_interval(3, 1, 0))
    assert found.interval is not None
    assert found.interval[0] == pytest.approx(0.75 - 1.959964 * math.sqrt((0.75 - 0.75**2) / 4))
