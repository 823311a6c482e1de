"""`lessonloop import KIND FILE [--skip-bad-rows]` as an operator runs it: what it prints,
its exit code, and that a file with problems leaves the database as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from storage.db import Database
from tests.customers.stored import customers

GOOD = "customer_id,email,plan\nC-1,ann@example.com,Free\nC-2,bob@example.com,Pro\n"
BAD = "customer_id,email,plan,seats\nC-1,ann@example.com,Free,3\nC-2,bob@example.com,Pro,ten\nC-3,,Free,\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    """A working directory without a lessonloop.toml, the settings in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", database_url)
    monkeypatch.delenv("LESSONLOOP_CONFIG", raising=False)
    return tmp_path


def test_a_good_file_is_imported_and_a_second_import_changes_nothing(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "customers.csv").write_text(GOOD)

    assert main(["import", "customers", "customers.csv"]) == 0
    assert capsys.readouterr().out == "customers: 2 added, 0 updated, 0 unchanged, 0 skipped\n"
    assert main(["import", "customers", "customers.csv"]) == 0
    assert capsys.readouterr().out == "customers: 0 added, 0 updated, 2 unchanged, 0 skipped\n"
    assert [row[:4] for row in customers(database)] == [
        ("C-1", "ann@example.com", "", "Free"),
        ("C-2", "bob@example.com", "", "Pro"),
    ]


def test_a_file_with_problems_writes_nothing_and_exits_1(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "customers.csv").write_text(BAD)

    assert main(["import", "customers", "customers.csv"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        'customers.csv:3: seats "ten" is not a whole number; write it in digits, e.g. 10',
        "nothing written: 1 problem in 1 row; fix them, or pass --skip-bad-rows to import the other 2 rows",
    ]
    assert customers(database) == []


def test_skip_bad_rows_imports_the_others_and_lists_the_bad_ones(
    workdir: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "customers.csv").write_text(BAD)

    assert main(["import", "customers", "customers.csv", "--skip-bad-rows"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        'customers.csv:3: seats "ten" is not a whole number; write it in digits, e.g. 10',
        "customers: 2 added, 0 updated, 0 unchanged, 1 skipped",
    ]
    assert [row[0] for row in customers(database)] == ["C-1", "C-3"]


def test_orders_name_the_customers_they_created_and_ignored_columns_are_said(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "orders.csv").write_text("customer_id,ordered_at,amount\nC-9,2026-03-01,49.00\n")
    (workdir / "conversions.csv").write_text("customer_id,converted_at,campaign\nC-9,2026-03-02,spring\n")

    assert main(["import", "orders", "orders.csv"]) == 0
    assert main(["import", "conversions", "conversions.csv"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "orders: 1 added, 0 updated, 0 unchanged, 0 skipped; 1 new customer",
        "ignored columns (not used for conversions): campaign",
        "conversions: 1 added, 0 updated, 0 unchanged, 0 skipped",
    ]


def test_a_missing_file_exits_2(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "customers", "nowhere.csv"]) == 2
    assert capsys.readouterr().err == "lessonloop: no such file: nowhere.csv\n"
