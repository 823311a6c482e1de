"""`lessonloop report`'s sections on learning and retention, accounts and the lifecycle,
as JSON, CSV and the terminal table, on one account's November in Berlin."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.metrics.lift import newcombe_interval
from bot.metrics.report_sections import CAUTION, WEIGHTING
from storage.customer_models import Customer
from storage.db import Database
from storage.models import Enrolment
from tests.metrics.hand_built import account, logged
from tests.metrics.history import CREATED, at, customer, learner, subscription

NOVEMBER = ["report", "--from", "2026-11-01", "--to", "2026-11-30"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("LESSONLOOP_REPORT_TIMEZONE", "Europe/Berlin")
    monkeypatch.delenv("LESSONLOOP_CONFIG", raising=False)
    return tmp_path


def _history(database: Database) -> None:
    """Acme's two Pro customers, both signed up in January: `kept` (whose learner finished
    onboarding in March and wrote twice in November) pays on, `lost` stops on 15 November."""
    with database.transaction() as session:
        acme = account(session, "acme", CREATED)
        for name, ended in (("kept", None), ("lost", "2026-11-15")):
            found = customer(session, name, plan="Pro")
            row = session.get(Customer, found)
            assert row is not None
            row.account_id = acme
            subscription(session, found, 1_000, "2026-01-01", ended)
            if name == "kept":
                ann = learner(session, found)
                done = at("2026-03-01")
                session.add(
                    Enrolment(
                        learner_id=ann,
                        course_id="onboarding",
                        status="completed",
                        started_at=done - timedelta(days=3),
                        last_activity_at=done,
                        completed_at=done,
                    )
                )
                logged(session, ann, [at("2026-11-02"), at("2026-11-03")])


def test_json_says_whether_learning_retains_who_was_reached_and_who_moved(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database)

    assert main([*NOVEMBER, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)

    # One stratum (January x Pro): the completer retained 1 of 1, the other 0 of 1. CMH:
    # 1 - 1 x 1/2 = 1/2 over a variance of 1 x 1 x 1 x 1 / (4 x 1): chi-square 1.
    assert document["learning_retains"] == {
        "courses": "any",
        "completers": 1,
        "completers_matched": 1,
        "completers_unmatched": 0,
        "non_completers": 1,
        "non_completers_matched": 1,
        "strata": 1,
        "retention_completers": 1.0,
        "retention_non_completers": 0.0,
        "churn_completers": 0.0,
        "churn_non_completers": 1.0,
        "difference": 1.0,
        "interval_95": pytest.approx(list(newcombe_interval(1, 1, 0, 1) or ())),
        "p_value": pytest.approx(math.erfc(math.sqrt(1 / 2))),
        "test": "Cochran-Mantel-Haenszel",
        "weighting": WEIGHTING,
        "note": CAUTION,
    }
    assert document["accounts"] == {
        "reached": 1,
        "people_reached": 1,
        "touches": 2,
        "touches_per_person": 2.0,
        "median_people_reached": 1,
        "single_threaded": 1,
        "top": [{"account": "acme", "name": "", "people_known": 1, "people_reached": 1, "touches": 2}],
        "by_stage": {
            "reach": 0,
            "acquisition": 0,
            "conversion": 0,
            "retention": 1,
            "loyalty": 0,
            "lapsed": 0,
        },
    }
    stages = document["lifecycle"]
    assert list(stages) == ["rules", "at_start", "at_end", "moves"]
    assert stages["rules"]["retention"] == "active now and one activity window before"
    assert stages["at_start"] == {**dict.fromkeys(stages["at_start"], 0), "retention": 2}
    assert stages["at_end"] == {**dict.fromkeys(stages["at_end"], 0), "retention": 1, "lapsed": 1}
    moves = {
        (first, last): count for first, row in stages["moves"].items() for last, count in row.items() if count
    }
    assert moves == {("retention", "retention"): 1, ("retention", "lapsed"): 1}
    assert list(stages["moves"]) == [
        "none",
        "reach",
        "acquisition",
        "conversion",
        "retention",
        "loyalty",
        "lapsed",
    ]


def test_csv_adds_rows_for_each_section(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database)

    assert main([*NOVEMBER, "--format", "csv"]) == 0

    rows = {line.split(",")[0]: line.split(",")[1] for line in capsys.readouterr().out.splitlines()[1:]}
    assert {key: rows[key] for key in rows if key.startswith(("learning_retains:", "accounts:"))} == {
        "learning_retains:difference": "1.0",
        "learning_retains:retention_completers": "1.0",
        "learning_retains:retention_non_completers": "0.0",
        "accounts:reached": "1",
        "accounts:median_people": "1.0",
        "accounts:single_threaded": "1",
        "accounts:touches_per_person": "2.0",
        "accounts:stage:reach": "0",
        "accounts:stage:acquisition": "0",
        "accounts:stage:conversion": "0",
        "accounts:stage:retention": "1",
        "accounts:stage:loyalty": "0",
        "accounts:stage:lapsed": "0",
    }
    assert (rows["lifecycle:at_start:retention"], rows["lifecycle:at_end:lapsed"]) == ("2", "1")
    assert rows["lifecycle:move:retention:lapsed"] == "1"
    assert "lifecycle:move:retention:retention" not in rows


def test_the_table_shows_the_three_sections(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database)

    assert main(NOVEMBER) == 0
    shown = capsys.readouterr().out.splitlines()
    rows = [tuple(cell.strip() for cell in line.split("│")[1:-1]) for line in shown if line.startswith("│")]

    assert ("difference", "", "in 1 strata", "+100.0 points", "-100.0 points") in rows
    assert ("acme", "1", "1", "2", "2.0") in rows
    assert ("retention", "0", "0", "0", "1", "0", "1", "2") in rows
    assert ("at end", "0", "0", "0", "1", "0", "1", "") in rows
    assert (
        "Accounts: 1 reached, people reached per account 1 (median), 1 through one person only, "
        "2.0 touches per person"
    ) in [line.strip() for line in shown]
