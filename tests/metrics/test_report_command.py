"""`lessonloop report` as a marketer runs it: JSON, CSV and the terminal table, the
period chosen, and options it cannot read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.__main__ import main
from storage.db import Database
from tests.metrics.history import customer, learner, nps, order, subscription

KEYS = [
    "version",
    "period",
    "segment",
    "definitions",
    "customer_retention_rate",
    "customer_retention_rate_textbook",
    "customer_churn_rate",
    "mrr_churn_gross",
    "mrr_churn_net",
    "revenue_growth_existing",
    "customer_lifetime_value",
    "nps",
    "repeat_purchase_ratio",
    "returning_customer_rate",
    "deflection_rate",
    "completion_rate",
    "cohorts",
    "campaigns",
    "learning_retains",
    "accounts",
    "lifecycle",
    "details",
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    """A working directory without a lessonloop.toml, the settings in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("LESSONLOOP_REPORT_TIMEZONE", "Europe/Berlin")
    monkeypatch.delenv("LESSONLOOP_CONFIG", raising=False)
    return tmp_path


def _history(database: Database) -> None:
    """Two subscribers in November 2026; one leaves on the 15th. One promoter."""
    with database.transaction() as session:
        kept = customer(session, "kept", plan="Pro")
        subscription(session, kept, 4_000, "2026-01-01")
        order(session, kept, "2026-11-03", 4_000)
        nps(session, learner(session, kept), 10, "2026-11-04")
        lost = customer(session, "lost", plan="Free")
        subscription(session, lost, 1_000, "2026-01-01", "2026-11-15")


def test_json_has_every_metric_at_the_top_and_its_workings_under_details(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database)

    assert main(["report", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)

    assert list(document) == KEYS
    assert document["period"] == {
        "kind": "custom",
        "label": "2026-11-01..2026-11-30",
        "first_day": "2026-11-01",
        "last_day": "2026-11-30",
        "start": "2026-10-31T23:00:00Z",
        "end": "2026-11-30T23:00:00Z",
        "timezone": "Europe/Berlin",
    }
    assert document["segment"] == "everyone"
    assert (
        document["definitions"]["churned"]
        == "churned in a period: active at its start and not active at its end"
    )
    assert {key: document[key] for key in KEYS[4:16]} == {
        "customer_retention_rate": 0.5,
        "customer_retention_rate_textbook": 0.5,
        "customer_churn_rate": 0.5,
        "mrr_churn_gross": 0.2,
        "mrr_churn_net": 0.2,
        "revenue_growth_existing": None,
        "customer_lifetime_value": 4_000,
        "nps": 1.0,
        "repeat_purchase_ratio": 0.0,
        "returning_customer_rate": 0.0,
        "deflection_rate": None,
        "completion_rate": None,
    }
    assert document["details"]["mrr_churn_gross"] == {
        "title": "Gross MRR churn rate",
        "value": 0.2,
        "unit": "fraction",
        "formula": "(churned MRR + contraction MRR) / MRR at start",
        "inputs": {
            "MRR at start": 5_000,
            "churned MRR": 1_000,
            "contraction MRR": 0,
            "expansion MRR": 0,
            "reactivation MRR": 0,
            "new MRR": 0,
            "MRR at end": 4_000,
        },
        "input_units": dict.fromkeys(
            (
                "MRR at start",
                "churned MRR",
                "contraction MRR",
                "expansion MRR",
                "reactivation MRR",
                "new MRR",
                "MRR at end",
            ),
            "cents",
        ),
        "note": "ChartMogul's definition; each customer's MRR at the end compared with theirs at the start",
        "interval_95": None,
    }
    assert document["details"]["nps"]["interval_95"] == [1.0, 1.0]
    cohorts = document["cohorts"]
    assert (cohorts["unit"], cohorts["grain"], cohorts["kind"]) == ("customer", "month", "on")
    # The kept customer's learner first wrote in January; the lost customer has no learner.
    assert [(cohort["start"], cohort["size"]) for cohort in cohorts["cohorts"]] == [("2026-01-01", 1)]


def test_a_segment_narrows_the_report(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database)

    assert (
        main(
            [
                "report",
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-30",
                "--segment",
                "plan=Free",
                "--format",
                "json",
            ]
        )
        == 0
    )
    document = json.loads(capsys.readouterr().out)

    assert (document["segment"], document["customer_churn_rate"], document["nps"]) == (
        "plan=Free",
        None,
        None,
    )


def test_csv_is_one_row_per_metric(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database)

    assert main(["report", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "metric,value,formula",
        "customer_retention_rate,0.5,customers active at start and still active at end / "
        "customers active at start",
        "customer_retention_rate_textbook,0.5,(customers active at end - customers acquired in the period) / "
        "customers active at start",
        'customer_churn_rate,0.5,"customers churned (active at start, not at end) / '
        'customers active at start"',
    ]
    assert [line.split(",")[0] for line in lines[4:13]] == [
        "mrr_churn_gross",
        "mrr_churn_net",
        "revenue_growth_existing",
        "customer_lifetime_value",
        "nps",
        "repeat_purchase_ratio",
        "returning_customer_rate",
        "deflection_rate",
        "completion_rate",
    ]
    assert lines[5].startswith("mrr_churn_net,0.2,")
    assert lines[6] == (
        "revenue_growth_existing,,(their revenue in the period - their revenue in the previous period) / "
        "the latter"
    )


def _cells(shown: str) -> list[tuple[str, ...]]:
    """The table's body rows, each cell's wrapped lines joined with spaces."""
    rows: list[tuple[str, ...]] = []
    block: list[list[str]] = []
    for line in [*shown.splitlines(), "└"]:
        if line.startswith(("├", "└")) and block:
            rows.append(tuple(" ".join(filter(None, column)) for column in zip(*block, strict=True)))
            block = []
        elif line.startswith("│"):
            block.append([cell.strip() for cell in line.split("│")[1:-1]])
    return rows


def test_the_table_names_each_metric_with_its_value_formula_and_inputs(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(database)

    assert main(["report", "--from", "2026-11-01", "--to", "2026-11-30"]) == 0
    rows = _cells(capsys.readouterr().out)

    assert [row[:2] for row in rows[:12]] == [
        ("Customer retention rate", "50.0%"),
        ("Customer retention rate (textbook)", "50.0%"),
        ("Customer churn rate", "50.0%"),
        ("Gross MRR churn rate", "20.0%"),
        ("Net MRR churn rate", "20.0%"),
        ("Revenue growth from existing customers", "n/a"),
        ("Customer lifetime value", "40.00"),
        ("Net Promoter Score", "+100 95% CI +100 to +100"),
        ("Repeat purchase ratio", "0.0%"),
        ("Returning customer rate", "0.0%"),
        ("FAQ deflection rate", "n/a"),
        ("Course completion rate", "n/a"),
    ]
    assert rows[2][2:] == (
        "customers churned (active at start, not at end) / customers active at start",
        "active at start 2, still active at end 1, active at end 1, acquired in the period 0",
    )


def test_the_default_is_the_last_complete_month_with_the_definitions_printed(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report"]) == 0
    shown = capsys.readouterr().out.splitlines()

    assert shown[0].strip().startswith("Retention report 20")
    assert "segment: everyone" in shown[0]
    assert "Definitions:" in shown
    assert "  churned in a period: active at its start and not active at its end" in shown


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--from", "2026-11-01"],
            "lessonloop: --from and --to go together: --from 2026-11-01 --to 2026-11-30\n",
        ),
        (
            ["--from", "1 Nov", "--to", "2026-11-30"],
            "lessonloop: --from '1 Nov' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-01\n",
        ),
        (
            ["--from", "2026-11-30", "--to", "2026-11-01"],
            "lessonloop: --to 2026-11-01 is before --from 2026-11-30: give the first day with --from\n",
        ),
        (
            ["--period", "week", "--from", "2026-11-01", "--to", "2026-11-30"],
            "lessonloop: give either --period or --from and --to, not both\n",
        ),
        (
            ["--segment", "tier=gold"],
            "lessonloop: 'tier' is not a segment key; use platform, locale, plan, account, course, source, "
            "campaign or attribute.NAME\n",
        ),
    ],
)
def test_options_it_cannot_read_exit_2_saying_how_to_write_them(
    workdir: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["report", *arguments]) == 2
    assert capsys.readouterr().err == message


def test_a_bad_report_setting_exits_2(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LESSONLOOP_CLV_MODEL", "bgnbd")

    assert main(["report"]) == 2
    assert 'set clv_model = "simple"' in capsys.readouterr().err
