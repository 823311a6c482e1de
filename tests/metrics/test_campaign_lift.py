"""A campaign's lift over its holdout: the statistics against textbook and hand-worked
values, the edge cases (nobody converted, an empty arm), and a campaign history read
back through `lessonloop report` and `lessonloop campaign status`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from bot.__main__ import main
from bot.metrics.lift import Lift, fisher_exact, lift, newcombe_interval, wilson_interval, z_test
from storage.campaign_models import CampaignAssignment, CampaignClick, ConversionTouch
from storage.customer_models import Conversion
from storage.db import Database
from storage.models import LearnerMessage
from tests.metrics.hand_built import learner
from tests.metrics.history import at
from tests.metrics.test_report_command import _cells

PACK = Path(__file__).parents[1] / "campaigns" / "pack"
_ASSIGNMENTS = cast(Table, CampaignAssignment.__table__)
_CLICKS = cast(Table, CampaignClick.__table__)
_TOUCHES = cast(Table, ConversionTouch.__table__)
_CONVERSIONS = cast(Table, Conversion.__table__)
_TO_LEARNERS = cast(Table, LearnerMessage.__table__)


def test_wilson_interval_of_newcombes_single_proportion_example() -> None:
    # Newcombe 1998, "Two-sided confidence intervals for the single proportion", 81/263.
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Newcombe 1998, "Interval estimation for the difference between independent
        # proportions", Statistics in Medicine 17:873, Table II, method 10.
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),  # the second arm converted nobody
        ((0, 10, 0, 20), (-0.1611, 0.2775)),  # neither did
        ((10, 10, 0, 20), (0.6791, 1.0000)),
    ],
)
def test_newcombe_interval_matches_newcombes_table(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    assert newcombe_interval(*counts) == pytest.approx(expected, abs=5e-5)


def _parts(found: Lift | None) -> tuple[object, ...] | None:
    """The lift as a tuple, to compare with approximate numbers."""
    return None if found is None else (found.difference, found.interval, found.p_value, found.test)


def test_z_test_worked_by_hand() -> None:
    # 56/70 against 48/80: pooled rate 104/150; standard error
    # sqrt(104/150 * 46/150 * (1/70 + 1/80)) = 0.0754670; z = 0.2 / 0.0754670 = 2.65016;
    # two-sided p = 2 * (1 - Phi(2.65016)) = 0.008045.
    assert z_test(56, 70, 48, 80) == pytest.approx(0.008045, abs=5e-7)
    assert _parts(lift(56, 70, 48, 80)) == (
        pytest.approx(0.2),
        pytest.approx((0.0524, 0.3339), abs=5e-5),
        pytest.approx(0.008045, abs=5e-7),
        "z-test",
    )


def test_fisher_exact_on_the_lady_tasting_tea() -> None:
    # Fisher's tea: 3 of 4 cups right, 1 of 4 wrong. Tables by the first arm's count, 0 to
    # 4, have probabilities 1, 16, 36, 16, 1 out of 70; those at most as likely as 16/70
    # sum to 34/70.
    assert fisher_exact(3, 4, 1, 4) == pytest.approx(34 / 70)
    assert _parts(lift(3, 4, 1, 4)) == (0.5, newcombe_interval(3, 4, 1, 4), pytest.approx(34 / 70), "fisher")


def test_a_holdout_without_conversions_has_an_interval_and_an_exact_p_value() -> None:
    # 5 of 56 against 0 of 29: 5 conversions among 85. With x in the first arm a table has
    # C(56, x) * C(29, 5 - x) of the C(85, 5) = 32,801,517 ways: 118,755 (x=0),
    # 1,330,056, 5,627,160, 11,254,320, 10,651,410, 3,819,816 (x=5, the one observed).
    # At most as likely as it: x = 0, 1 and 5.
    found = lift(5, 56, 0, 29)

    assert found is not None
    assert found.test == "fisher"  # the holdout's cell expects 29 * 5 / 85 = 1.7 conversions
    assert found.difference == pytest.approx(5 / 56)
    assert found.interval == pytest.approx((-0.0381, 0.1926), abs=5e-5)
    assert found.p_value == pytest.approx((118_755 + 1_330_056 + 3_819_816) / 32_801_517)


def test_nobody_converting_anywhere_is_no_difference_at_all() -> None:
    assert _parts(lift(0, 10, 0, 20)) == (0.0, pytest.approx((-0.1611, 0.2775), abs=5e-5), 1.0, "fisher")


@pytest.mark.parametrize("counts", [(0, 0, 1, 5), (1, 5, 0, 0), (0, 0, 0, 0)])
def test_an_empty_arm_has_no_lift(counts: tuple[int, int, int, int]) -> None:
    assert lift(*counts) is None
    assert newcombe_interval(*counts) is None
    assert z_test(*counts) is None
    assert fisher_exact(*counts) is None


def test_the_z_test_is_undefined_when_everyone_or_nobody_converted() -> None:
    assert z_test(0, 50, 0, 50) is None
    assert z_test(50, 50, 50, 50) is None


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("LESSONLOOP_CONTENT_DIR", str(PACK))
    monkeypatch.setenv("LESSONLOOP_REPORT_TIMEZONE", "UTC")
    monkeypatch.delenv("LESSONLOOP_CONFIG", raising=False)
    return tmp_path


def _assigned(
    session: Session,
    learner_id: int,
    arm: str,
    when: str,
    *,
    campaign: str = "upsell",
    outcome: str = "queued",
    sent: str | None = None,
    outbox: str | None = None,
) -> int:
    """An assignment, and its outbox row (`outbox`: its status) when one was queued."""
    assignment_id: int = session.execute(
        insert(_ASSIGNMENTS).returning(_ASSIGNMENTS.c.id),
        {
            "campaign_id": campaign,
            "learner_id": learner_id,
            "variant": arm,
            "outcome": outcome,
            "assigned_at": at(when),
            "sent_at": at(sent) if sent else None,
        },
    ).scalar_one()
    if outbox is not None:
        session.execute(
            insert(_TO_LEARNERS),
            {
                "learner_id": learner_id,
                "platform": "telegram",
                "conversation_id": str(learner_id),
                "kind": "campaign",
                "text": "",
                "assignment_id": assignment_id,
                "status": outbox,
                "next_attempt_at": at(when),
                "created_at": at(when),
            },
        )
    return assignment_id


def _converted(
    session: Session, learner_id: int, when: str, revenue_cents: int | None, *, last: int, first: int
) -> None:
    """A conversion of the learner, credited to the `last` and `first` touch assignments."""
    conversion_id: int = session.execute(
        insert(_CONVERSIONS).returning(_CONVERSIONS.c.id),
        {
            "external_id": f"conversion-{learner_id}-{when}",
            "learner_id": learner_id,
            "goal": "upgraded",
            "converted_at": at(when),
            "revenue_cents": revenue_cents,
            "currency": "EUR",
            "created_at": at(when),
        },
    ).scalar_one()
    for model, assignment_id in (("last", last), ("first", first)):
        session.execute(
            insert(_TOUCHES),
            {
                "conversion_id": conversion_id,
                "model": model,
                "assignment_id": assignment_id,
                "campaign_id": "?",  # read from the assignment, not from here
                "variant": "?",
                "content_id": None,
                "touched_at": at(when),
            },
        )


def _history(database: Database) -> None:
    """`upsell` in November 2026 (and after): 4 held out, one of whom converts; 6 chosen for
    `lesson`, one of them stopped, 4 delivered and one failed, 2 clicked, 3 converted (one
    of them touched first by `news`); `message` reached nobody. After November: a click, a
    conversion and a learner more, which a November report does not count."""
    with database.transaction() as session:
        first_contact = at("2026-10-01")
        held = [learner(session, f"h{n}", first_contact) for n in range(4)]
        chosen = [learner(session, f"l{n}", first_contact) for n in range(7)]
        unreachable = learner(session, "m0", first_contact)
        holdout = [_assigned(session, each, "holdout", "2026-10-20", outcome="holdout") for each in held]
        _converted(session, held[0], "2026-11-10", None, last=holdout[0], first=holdout[0])
        lesson = [
            _assigned(session, each, "lesson", "2026-11-05", sent="2026-11-05T10:00", outbox="sent")
            for each in chosen[:4]
        ]
        lesson.append(_assigned(session, chosen[4], "lesson", "2026-11-05", outbox="failed"))
        _assigned(session, chosen[5], "lesson", "2026-11-05", outcome="stopped")
        _assigned(session, chosen[6], "lesson", "2026-12-02", sent="2026-12-02T10:00", outbox="sent")
        _assigned(session, unreachable, "message", "2026-11-05", outcome="unreachable")
        news = _assigned(
            session,
            chosen[2],
            "message",
            "2026-11-01",
            campaign="news",
            sent="2026-11-01T09:00",
            outbox="sent",
        )
        session.execute(
            insert(_CLICKS),
            [
                {"assignment_id": lesson[0], "clicked_at": at("2026-11-06")},
                {"assignment_id": lesson[0], "clicked_at": at("2026-11-07")},
                {"assignment_id": lesson[1], "clicked_at": at("2026-11-06")},
                {"assignment_id": lesson[2], "clicked_at": at("2026-12-02")},
            ],
        )
        _converted(session, chosen[0], "2026-11-10", 4_900, last=lesson[0], first=lesson[0])
        _converted(session, chosen[1], "2026-11-10", 4_900, last=lesson[1], first=lesson[1])
        _converted(session, chosen[2], "2026-11-10", 4_900, last=lesson[2], first=news)
        _converted(session, chosen[3], "2026-12-02", 4_900, last=lesson[3], first=lesson[3])


NOVEMBER = ["report", "--from", "2026-11-01", "--to", "2026-11-30"]


def _arm(arm: str, chosen: int, audience: int, **counts: object) -> dict[str, object]:
    found: dict[str, object] = {
        "arm": arm,
        "chosen": chosen,
        "left_out": {},
        "audience": audience,
        "delivered": 0,
        "failed": 0,
        "clicked": 0,
        "converted": 0,
        "revenue_cents": 0,
        "converted_first_touch": 0,
        "revenue_cents_first_touch": 0,
        "conversion_rate": None,
        "lift": None,
    }
    found.update(counts)
    return found


def test_the_report_gives_each_arms_funnel_and_each_variants_lift_up_to_the_periods_end(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database)

    assert main([*NOVEMBER, "--format", "json"]) == 0
    campaigns = json.loads(capsys.readouterr().out)["campaigns"]

    # lesson 3/5 against the holdout's 1/4: 4 conversions among 9; tables with x of them in
    # lesson have C(5, x) * C(4, 4 - x) of C(9, 4) = 126 ways: 1, 20, 60, 40 (observed), 5.
    fisher = (1 + 20 + 40 + 5) / 126
    low, high = cast(tuple[float, float], newcombe_interval(3, 5, 1, 4))
    assert campaigns == [
        {
            "campaign_id": "news",
            "arms": [
                _arm(
                    "message",
                    1,
                    1,
                    delivered=1,
                    converted_first_touch=1,
                    revenue_cents_first_touch=4_900,
                    conversion_rate=0.0,
                )
            ],
        },
        {
            "campaign_id": "upsell",
            "arms": [
                _arm("holdout", 4, 4, converted=1, converted_first_touch=1, conversion_rate=0.25),
                _arm(
                    "lesson",
                    6,
                    5,
                    left_out={"stopped": 1},
                    delivered=4,
                    failed=1,
                    clicked=2,
                    converted=3,
                    revenue_cents=14_700,
                    converted_first_touch=2,
                    revenue_cents_first_touch=9_800,
                    conversion_rate=0.6,
                    lift={
                        "difference": pytest.approx(0.35),
                        "interval_95": [pytest.approx(low), pytest.approx(high)],
                        "p_value": pytest.approx(fisher),
                        "test": "fisher",
                    },
                ),
                _arm("message", 1, 0, left_out={"unreachable": 1}),
            ],
        },
    ]
    assert -1 < low < 0.35 < high < 1


def test_csv_has_a_row_per_variant_after_the_metrics(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database)

    assert main([*NOVEMBER, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()

    low, high = cast(tuple[float, float], newcombe_interval(3, 5, 1, 4))
    assert lines[-3:] == [
        "campaign_lift:news:message,,conversion rate of message 0/1; no holdout to compare with",
        "campaign_lift:upsell:lesson,0.35,conversion rate of lesson 3/5 - conversion rate of the holdout 1/4 "
        f"(last touch); 95% interval {low:.4f} to {high:.4f} (Newcombe); p = 0.5238 (fisher)",
        "campaign_lift:upsell:message,,conversion rate of message 0/0 - conversion rate of the holdout 1/4 "
        "(last touch); an arm is empty",
    ]


def test_the_table_has_a_campaigns_section(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database)

    assert main(NOVEMBER) == 0
    shown = capsys.readouterr().out

    assert "Campaigns up to 2026-11-30: conversions by last touch (first touch)" in shown
    campaigns = shown[shown.index("Campaigns up to") :]
    found = lift(3, 5, 1, 4)
    assert found is not None
    low, high = found.interval
    assert _cells(campaigns) == [
        ("news", "message", "1", "1", "0", "0", "0 (1)", "0.00 (49.00)", "0.0%", "n/a"),
        ("upsell", "holdout", "4", "0", "0", "0", "1 (1)", "0.00 (0.00)", "25.0%", ""),
        (
            "upsell",
            "lesson",
            "5",
            "4",
            "1",
            "2",
            "3 (2)",
            "147.00 (98.00)",
            "60.0%",
            f"+35.0 points, 95% CI {low * 100:+.1f} to {high * 100:+.1f}, p = 0.52 by Fisher's exact test",
        ),
        ("upsell", "message", "0", "0", "0", "0", "0 (0)", "0.00 (0.00)", "n/a", "n/a"),
    ]


def test_a_segment_keeps_its_learners_arms_only(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database)

    assert main([*NOVEMBER, "--segment", "campaign=upsell:lesson", "--format", "json"]) == 0
    campaigns = json.loads(capsys.readouterr().out)["campaigns"]

    assert [(each["campaign_id"], [arm["arm"] for arm in each["arms"]]) for each in campaigns] == [
        ("news", ["message"]),  # l2 got news too
        ("upsell", ["lesson"]),
    ]
    assert campaigns[1]["arms"][0]["lift"] is None  # no holdout learner in the segment


def test_campaign_status_prints_the_interval_and_p_value_beside_the_lift(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database)

    assert main(["campaign", "status", "upsell"]) == 0
    lifts = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  lift")]

    # Status counts every conversion so far: lesson 4 of 6 reached (l4 converted in December,
    # l6 joined then), the holdout 1 of 4.
    found = lift(4, 6, 1, 4)
    assert found is not None
    low, high = found.interval
    assert lifts == [
        f"  lift of lesson over the holdout: +41.7% points (95% CI {low * 100:+.1f} to {high * 100:+.1f}, "
        f"p = {found.p_value:.2g} by Fisher's exact test)",
        "  lift of message over the holdout: n/a: an arm is empty",  # not -25 points of nobody
    ]
