"""Importing the company's customer files: what lands in the database, what a second import
of the same file does (nothing), what a changed file updates, and every bad row named with
its row as a spreadsheet numbers it, its column and what to write instead."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.customers.importer import ImportReport
from storage.customer_models import Customer
from storage.db import Database
from tests.customers.stored import accounts, conversions, customers, imported, orders, subscriptions

BOM = "\ufeff"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files are written and named relative to a fresh working directory."""
    monkeypatch.chdir(tmp_path)


CUSTOMERS = (
    f"{BOM} Customer_ID ,EMAIL,Name,plan,Company,seats,signup_date,Source,Industry,Region\n"
    "C-1,Ann@Example.com,Ann Lee,Free,Acme,3,2026-01-05,webinar,retail,\n"
    "C-2,bob@example.com,Bob Stone,Pro,Acme,10,2026-02-01T09:30:00,,retail,EU\n"
    "C-3,,Cy Young,Free,Globex,,2026-02-03T10:00:00+02:00,ads,,\n"
)
JAN_5 = datetime(2026, 1, 5, tzinfo=UTC)
FEB_1 = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
FEB_3 = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)
JAN_1, MAR_1 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
RETAIL, RETAIL_EU = {"industry": "retail"}, {"industry": "retail", "region": "EU"}


def test_a_customers_file_goes_in_with_its_accounts_and_other_columns(database: Database) -> None:
    report = imported(database, "customers", CUSTOMERS)

    assert report.counts() == "3 added, 0 updated, 0 unchanged, 0 skipped; 2 new accounts"
    assert customers(database) == [
        ("C-1", "ann@example.com", "Ann Lee", "Free", "name:acme", 3, JAN_5, "webinar", RETAIL),
        ("C-2", "bob@example.com", "Bob Stone", "Pro", "name:acme", 10, FEB_1, None, RETAIL_EU),
        ("C-3", None, "Cy Young", "Free", "name:globex", None, FEB_3, "ads", {}),
    ]  # fmt: skip
    assert accounts(database) == [("name:acme", "Acme"), ("name:globex", "Globex")]


def test_importing_the_same_file_again_changes_nothing(database: Database) -> None:
    imported(database, "customers", CUSTOMERS)
    before = _updated_at(database)

    again = imported(database, "customers", CUSTOMERS)

    assert again.counts() == "0 added, 0 updated, 3 unchanged, 0 skipped"
    assert _updated_at(database) == before


def test_a_changed_file_updates_only_what_changed_and_what_it_has_columns_for(database: Database) -> None:
    imported(database, "customers", CUSTOMERS)

    billing = (
        "customer_id,plan,account_id,account_name,region\n"
        "C-1,Pro,A-9,Acme Corp,\n"
        "C-2,Pro,A-9,,EU\n"
        "C-4,Pro,,,US\n"
    )
    report = imported(database, "customers", billing)

    assert report.counts() == "1 added, 2 updated, 0 unchanged, 0 skipped; 1 new account"
    assert customers(database) == [
        # plan and account changed; the email, name and industry it has no column for are kept
        ("C-1", "ann@example.com", "Ann Lee", "Pro", "A-9", 3, JAN_5, "webinar", RETAIL),
        # the account was named on the row before: A-9 keeps "Acme Corp"
        ("C-2", "bob@example.com", "Bob Stone", "Pro", "A-9", 10, FEB_1, None, RETAIL_EU),
        ("C-3", None, "Cy Young", "Free", "name:globex", None, FEB_3, "ads", {}),
        ("C-4", None, "", "Pro", None, None, None, None, {"region": "US"}),
    ]  # fmt: skip
    assert accounts(database)[-1] == ("A-9", "Acme Corp")


def test_every_bad_row_is_named_and_nothing_is_written(database: Database) -> None:
    bad = (
        "customer_id,email,seats,signup_date,plan\n"
        "C-1,ann@example.com,3,2026-01-05,Free\n"
        ",bob@example.com,1,,Free\n"
        "C-3,cy(at)example.com,ten,31/01/2026,Free\n"
        "C-1,ann@example.com,3,2026-01-05,Pro\n"
        "C-5,,,," + "P" * 70 + "\n"
    )
    report = imported(database, "customers", bad)

    assert not report.written
    assert [str(error) for error in report.errors] == [
        "customers.csv:3: no customer_id; write the id your CRM or billing system knows the customer by",
        'customers.csv:4: email "cy(at)example.com" is not an email address; write it as name@example.com',
        'customers.csv:4: seats "ten" is not a whole number; write it in digits, e.g. 10',
        'customers.csv:4: signup_date "31/01/2026" is not a date; write it as 2026-03-31, or with the time '
        "as 2026-03-31T14:30:00Z",
        'customers.csv:5: customer_id "C-1" is also on row 2; keep one row per customer',
        'customers.csv:6: plan "' + "P" * 40 + '…" is 70 characters long; shorten it to 64',
    ]
    assert customers(database) == []


def test_with_skip_bad_rows_the_good_rows_are_written_and_the_bad_ones_listed(database: Database) -> None:
    report = imported(database, "customers", "customer_id,seats\nC-1,3\nC-2,many\nC-3,\n", skip_bad_rows=True)

    assert report.counts() == "2 added, 0 updated, 0 unchanged, 1 skipped"
    assert [str(error) for error in report.errors] == [
        'customers.csv:3: seats "many" is not a whole number; write it in digits, e.g. 10'
    ]
    assert [row[0] for row in customers(database)] == ["C-1", "C-3"]


def test_a_header_without_the_required_columns_is_one_error_naming_them(database: Database) -> None:
    report = imported(database, "orders", "customer,when,amount\nC-1,2026-01-05,49.00\n", skip_bad_rows=True)

    assert not report.written
    assert [str(error) for error in report.errors] == [
        "orders.csv:1: the header has no customer_id and ordered_at columns; the columns of orders are "
        "customer_id (required), ordered_at (required), amount (required), order_id, currency; any other "
        "column is kept as an attribute"
    ]


def test_a_file_that_is_not_utf8_is_refused_with_its_row(database: Database) -> None:
    latin1 = "customer_id,name\nC-1,Ann\nC-2,Jos\xe9\n".encode("latin-1")

    report = imported(database, "customers", latin1, skip_bad_rows=True)

    assert [str(error) for error in report.errors] == [
        "customers.csv:3: this is not UTF-8 text; save the file as CSV UTF-8 (in Excel: Save As, CSV UTF-8) "
        "and import it again"
    ]
    assert customers(database) == []


def test_rows_are_numbered_as_a_spreadsheet_shows_them(database: Database) -> None:
    """A quoted cell over two lines is one row; blank lines are rows too (and skipped)."""
    text = 'customer_id,name,seats\nC-1,"Ann\nLee",1\n\nC-2,Bob,x\n'

    report = imported(database, "customers", text, skip_bad_rows=True)

    assert [str(error) for error in report.errors] == [
        'customers.csv:4: seats "x" is not a whole number; write it in digits, e.g. 10'
    ]
    assert customers(database)[0][2] == "Ann\nLee"


ORDERS = (
    "customer_id,ordered_at,amount,currency,product\n"
    "C-7,2026-03-01T10:00:00Z,49.00,eur,Pro monthly\n"
    "C-7,2026-04-01T10:00:00Z,49,EUR,Pro monthly\n"
    "C-8,2026-03-02,1249.5,USD,\n"
    "C-8,2026-03-03,-12.00,USD,refund\n"
)


def test_orders_go_in_as_cents_and_create_the_customers_they_name(database: Database) -> None:
    report = imported(database, "orders", ORDERS)

    assert report.counts() == "4 added, 0 updated, 0 unchanged, 0 skipped; 2 new customers"
    assert orders(database) == [
        ("C-7", datetime(2026, 3, 1, 10, tzinfo=UTC), 4900, "EUR", {"product": "Pro monthly"}),
        ("C-8", datetime(2026, 3, 2, tzinfo=UTC), 124950, "USD", {}),
        ("C-8", datetime(2026, 3, 3, tzinfo=UTC), -1200, "USD", {"product": "refund"}),
        ("C-7", datetime(2026, 4, 1, 10, tzinfo=UTC), 4900, "EUR", {"product": "Pro monthly"}),
    ]
    assert [row[:3] for row in customers(database)] == [("C-7", None, ""), ("C-8", None, "")]


def test_orders_without_an_id_are_known_by_their_content(database: Database) -> None:
    imported(database, "orders", ORDERS)

    # The same orders, other columns in another order, one amount written another way.
    again = (
        "amount,customer_id,ordered_at,currency,product\n49.0,C-7,2026-03-01T11:00:00+01:00,EUR,Pro yearly\n"
    )
    report = imported(database, "orders", again)

    assert report.counts() == "0 added, 1 updated, 0 unchanged, 0 skipped"
    assert orders(database)[0] == (
        "C-7",
        datetime(2026, 3, 1, 10, tzinfo=UTC),
        4900,
        "EUR",
        {"product": "Pro yearly"},
    )
    assert imported(database, "orders", ORDERS).counts() == "0 added, 1 updated, 3 unchanged, 0 skipped"


def test_two_rows_of_the_same_order_without_an_id_are_an_error(database: Database) -> None:
    text = "customer_id,ordered_at,amount\nC-7,2026-03-01,49.00\nC-7,2026-03-01,49.00\n"

    report = imported(database, "orders", text)

    assert [str(error) for error in report.errors] == [
        "orders.csv:3: the same customer_id, ordered_at, amount and currency as row 2, and no order_id: "
        "that is one order; if there were two, give each its order_id"
    ]


def test_orders_with_ids_are_updated_by_id(database: Database) -> None:
    imported(database, "orders", "order_id,customer_id,ordered_at,amount\nO-1,C-7,2026-03-01,49.00\n")

    report = imported(
        database, "orders", "order_id,customer_id,ordered_at,amount\nO-1,C-7,2026-03-01,59.00\n"
    )

    assert report.counts() == "0 added, 1 updated, 0 unchanged, 0 skipped"
    assert [row[2] for row in orders(database)] == [5900]


def test_a_plan_change_is_a_new_period_of_the_subscription(database: Database) -> None:
    header = "subscription_id,customer_id,plan,mrr,currency,started_at,ended_at\n"
    first = header + "S-1,C-1,Starter,19.00,EUR,2026-01-01,\n"
    imported(database, "subscriptions", first)

    upgrade = header + "S-1,C-1,Starter,19.00,EUR,2026-01-01,2026-03-01\nS-1,C-1,Pro,49.00,EUR,2026-03-01,\n"
    report = imported(database, "subscriptions", upgrade)

    assert report.counts() == "1 added, 1 updated, 0 unchanged, 0 skipped"
    assert subscriptions(database) == [
        ("S-1", "C-1", "Starter", 1900, "EUR", JAN_1, MAR_1),
        ("S-1", "C-1", "Pro", 4900, "EUR", MAR_1, None),
    ]  # fmt: skip
    assert (
        imported(database, "subscriptions", upgrade).counts() == "0 added, 0 updated, 2 unchanged, 0 skipped"
    )


def test_bad_subscription_rows(database: Database) -> None:
    text = (
        "subscription_id,customer_id,plan,mrr,currency,started_at,ended_at,owner\n"
        "S-1,C-1,Pro,49.999,EURO,2026-03-01,2026-02-01,sam\n"
        "S-2,C-2,Pro,\u20ac49,EUR,2026-03-01,,\n"
        "S-3,C-3,Free,-1,,2026-03-01,,\n"
        "S-3,C-3,Free,0,,2026-03-01,,\n"
    )

    report = imported(database, "subscriptions", text)

    assert [str(error) for error in report.errors] == [
        'subscriptions.csv:2: mrr "49.999" has more than two decimals; round it to cents, e.g. 49.99',
        'subscriptions.csv:2: currency "EURO" is not a currency code; write its three letters, e.g. EUR',
        'subscriptions.csv:2: ended_at "2026-02-01" is before started_at "2026-03-01"; a period ends after '
        "it begins",
        'subscriptions.csv:3: mrr "€49" is not an amount; write it in digits with a dot before the cents and '
        "no thousands separator or currency sign, e.g. 1249.00",
        'subscriptions.csv:4: mrr "-1" is below zero; write the amount without a minus, e.g. 49.00',
    ]
    assert report.ignored_columns == ("owner",)


def test_conversions_added_are_handed_on_once_committed(database: Database) -> None:
    handed: list[list[int]] = []
    seen_when_handed: list[list[int]] = []

    def attribute(ids: Sequence[int]) -> None:
        handed.append(list(ids))
        seen_when_handed.append([row[0] for row in conversions(database)])  # committed: seen from elsewhere

    text = "customer_id,converted_at,revenue,currency\nC-1,2026-03-05T12:00:00Z,49.00,EUR\nC-2,2026-03-06,,\n"
    report = imported(database, "conversions", text, on_conversions=attribute)

    stored = conversions(database)
    assert [row[1:] for row in stored] == [
        ("C-1", "upgraded", datetime(2026, 3, 5, 12, tzinfo=UTC), 4900, "EUR"),
        ("C-2", "upgraded", datetime(2026, 3, 6, tzinfo=UTC), None, ""),
    ]
    assert report.added_conversion_ids == tuple(row[0] for row in stored)
    assert handed == seen_when_handed == [[row[0] for row in stored]]

    again = imported(database, "conversions", text, on_conversions=attribute)
    assert (again.counts(), again.added_conversion_ids, len(handed)) == (
        "0 added, 0 updated, 2 unchanged, 0 skipped",
        (),
        1,
    )


def test_a_conversion_with_an_id_is_updated_and_not_handed_on_again(database: Database) -> None:
    handed: list[object] = []
    header = "conversion_id,customer_id,converted_at,goal,revenue\n"
    imported(
        database, "conversions", header + "V-1,C-1,2026-03-05,upgraded,49.00\n", on_conversions=handed.append
    )

    report = imported(
        database, "conversions", header + "V-1,C-1,2026-03-05,upgraded,99.00\n", on_conversions=handed.append
    )

    assert report.counts() == "0 added, 1 updated, 0 unchanged, 0 skipped"
    assert len(handed) == 1
    assert [row[4] for row in conversions(database)] == [9900]


def test_an_import_racing_another_for_the_same_new_customer_finds_its_row(database: Database) -> None:
    """PostgreSQL: the import's lookup cannot see the other's uncommitted row, its insert
    waits for it and fails, and the import runs again; SQLite: the import waits to begin."""
    now = datetime.now(UTC)
    reports: list[ImportReport] = []
    racing = threading.Thread(
        target=lambda: reports.append(imported(database, "customers", "customer_id,plan\nC-1,Pro\n"))
    )
    other = Database(database.url)
    try:
        with other.transaction() as session:
            session.add(Customer(external_id="C-1", name="", attributes={}, created_at=now, updated_at=now))
            session.flush()
            racing.start()
            racing.join(timeout=1)
            assert racing.is_alive(), "the import did not wait for the other transaction"
        racing.join(timeout=30)
    finally:
        other.dispose()

    assert [report.counts() for report in reports] == ["0 added, 1 updated, 0 unchanged, 0 skipped"]
    assert [row[:4] for row in customers(database)] == [("C-1", None, "", "Pro")]


def _updated_at(database: Database) -> list[datetime]:
    with database.transaction() as session:
        return list(session.scalars(select(Customer.updated_at).order_by(Customer.external_id)))
