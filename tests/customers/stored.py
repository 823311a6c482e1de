"""What an import left in the database, read back as plain tuples a test can compare whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.customers.importer import ImportReport, OnConversions, import_checked
from bot.customers.rows import read_file
from storage.customer_models import Account, Conversion, Customer, Order, Subscription
from storage.db import Database


def imported(
    database: Database,
    kind: str,
    text: str | bytes,
    *,
    name: str | None = None,
    skip_bad_rows: bool = False,
    on_conversions: OnConversions | None = None,
) -> ImportReport:
    """`text` written to `name` (default `<kind>.csv`) in the working directory, then imported."""
    path = Path(name or f"{kind}.csv")
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    checked = read_file(kind, path)
    return import_checked(database, checked, skip_bad_rows=skip_bad_rows, on_conversions=on_conversions)


def customers(database: Database) -> list[tuple[Any, ...]]:
    """(external id, email, name, plan, account's external id, seats, signed up, source, attributes)"""
    with database.transaction() as session:
        rows = session.execute(
            select(
                Customer.external_id,
                Customer.email,
                Customer.name,
                Customer.plan,
                Account.external_id,
                Customer.seats,
                Customer.signed_up_at,
                Customer.source,
                Customer.attributes,
            )
            .outerjoin(Account, Account.id == Customer.account_id)
            .order_by(Customer.external_id)
        )
        return [tuple(row) for row in rows]


def accounts(database: Database) -> list[tuple[str, str]]:
    with database.transaction() as session:
        rows = session.execute(select(Account.external_id, Account.name).order_by(Account.id))
        return [(external_id, name) for external_id, name in rows]


def subscriptions(database: Database) -> list[tuple[Any, ...]]:
    with database.transaction() as session:
        rows = session.execute(
            select(
                Subscription.external_id,
                Customer.external_id,
                Subscription.plan,
                Subscription.mrr_cents,
                Subscription.currency,
                Subscription.started_at,
                Subscription.ended_at,
            )
            .join(Customer, Customer.id == Subscription.customer_id)
            .order_by(Subscription.external_id, Subscription.started_at)
        )
        return [tuple(row) for row in rows]


def orders(database: Database) -> list[tuple[Any, ...]]:
    with database.transaction() as session:
        rows = session.execute(
            select(
                Customer.external_id, Order.ordered_at, Order.amount_cents, Order.currency, Order.attributes
            )
            .join(Customer, Customer.id == Order.customer_id)
            .order_by(Order.ordered_at)
        )
        return [tuple(row) for row in rows]


def conversions(database: Database) -> list[tuple[Any, ...]]:
    with database.transaction() as session:
        rows = session.execute(
            select(
                Conversion.id,
                Customer.external_id,
                Conversion.goal,
                Conversion.converted_at,
                Conversion.revenue_cents,
                Conversion.currency,
            )
            .join(Customer, Customer.id == Conversion.customer_id)
            .order_by(Conversion.id)
        )
        return [tuple(row) for row in rows]
