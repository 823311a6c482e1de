"""Writing the company's customer records (`storage.customer_models`): each one added, or
updated where it differs from what is stored, or left alone, keyed by the company's own id.

An import may hold 100,000 rows, so nothing here goes to the database once per record
(the statements, at the end, say how). A record names only the fields its source had a
column for (`storage.customer_records`); a field it does not name keeps what is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Connection,
    Row,
    RowMapping,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy import (
    cast as sql_cast,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from storage.customer_models import Account, Conversion, Customer, Order, Subscription
from storage.customer_records import (
    DEFAULT_GOAL,
    AccountRef,
    ConversionRecord,
    CustomerRecord,
    OrderRecord,
    Record,
    SubscriptionRecord,
)

_ACCOUNTS = cast(Table, Account.__table__)
_CUSTOMERS = cast(Table, Customer.__table__)
_SUBSCRIPTIONS = cast(Table, Subscription.__table__)
_ORDERS = cast(Table, Order.__table__)
_CONVERSIONS = cast(Table, Conversion.__table__)


@dataclass(frozen=True)
class Saved:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    customers_added: int = 0
    """Customers created, by their id only, for records of customers not known before."""
    accounts_added: int = 0
    added_ids: tuple[int, ...] = ()
    """The database ids of the rows added (conversions: for attributing them to campaigns)."""


def save_records(connection: Connection, records: Sequence[Record], now: datetime) -> Saved:
    """Write `records` (one kind, no key twice) in the caller's transaction."""
    if not records:
        return Saved()
    first = records[0]
    if isinstance(first, CustomerRecord):
        return _save_customers(connection, [r for r in records if isinstance(r, CustomerRecord)], now)
    if isinstance(first, SubscriptionRecord):
        return _save_subscriptions(connection, [r for r in records if isinstance(r, SubscriptionRecord)], now)
    if isinstance(first, OrderRecord):
        return _save_orders(connection, [r for r in records if isinstance(r, OrderRecord)], now)
    return _save_conversions(connection, [r for r in records if isinstance(r, ConversionRecord)], now)


# --- customers and accounts -----------------------------------------------------------------


def _save_customers(connection: Connection, records: Sequence[CustomerRecord], now: datetime) -> Saved:
    accounts, accounts_added = _account_ids(connection, [r.account for r in records if r.account], now)
    stored = {
        row.external_id: row
        for row in _stored(connection, _CUSTOMERS, [r.external_id for r in records], *_CUSTOMER_FIELDS)
    }
    new: list[dict[str, object]] = []
    changes: list[dict[str, object]] = []
    for record in records:
        given = _customer_fields(record, accounts)
        row = stored.get(record.external_id)
        if row is None:
            new.append(
                {
                    "external_id": record.external_id,
                    "email": None,
                    "name": "",
                    "plan": None,
                    "account_id": None,
                    "seats": None,
                    "signed_up_at": None,
                    "source": None,
                    **given,
                    "attributes": dict(record.attributes),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        elif _changed(row, given, record.attributes, record.attribute_columns):
            changes.append({"row_id": row.id, **given, "updated_at": now})
    added = tuple(sorted(_insert(connection, _CUSTOMERS, new).values()))
    _update(connection, _CUSTOMERS, changes)
    unchanged = len(records) - len(new) - len(changes)
    return Saved(len(new), len(changes), unchanged, accounts_added=accounts_added, added_ids=added)


_CUSTOMER_COLUMNS = {"account": "account_id"}
"""A `CustomerRecord` field whose column has another name."""
_CUSTOMER_FIELDS = ("email", "name", "plan", "account_id", "seats", "signed_up_at", "source", "attributes")


def _customer_fields(record: CustomerRecord, accounts: Mapping[str, int]) -> dict[str, object]:
    fields: dict[str, object] = {
        "email": record.email,
        "name": record.name,
        "plan": record.plan,
        "account": accounts[record.account.key] if record.account else None,
        "seats": record.seats,
        "signed_up_at": record.signed_up_at,
        "source": record.source,
    }
    return {
        _CUSTOMER_COLUMNS.get(name, name): value for name, value in fields.items() if name in record.given
    }


def _account_ids(
    connection: Connection, refs: Iterable[AccountRef], now: datetime
) -> tuple[dict[str, int], int]:
    """The database id of each account named (added if new, renamed if the name changed), and
    how many were added."""
    named: dict[str, AccountRef] = {}
    for ref in refs:  # the last row to name an account names it
        if ref.name is not None or ref.key not in named:
            named[ref.key] = ref
    if not named:
        return {}, 0
    stored = {row.external_id: row for row in _stored(connection, _ACCOUNTS, named, "name")}
    renamed = [
        {"row_id": row.id, "name": ref.name, "updated_at": now}
        for key, row in stored.items()
        if (ref := named[key]).name is not None and ref.name != row.name
    ]
    _update(connection, _ACCOUNTS, renamed)
    ids = {key: row.id for key, row in stored.items()}
    new = [
        {"external_id": key, "name": ref.name or "", "created_at": now, "updated_at": now}
        for key, ref in named.items()
        if key not in stored
    ]
    return ids | _insert(connection, _ACCOUNTS, new), len(new)


def _customer_ids(
    connection: Connection, external_ids: Iterable[str], now: datetime
) -> tuple[dict[str, int], int]:
    """The database id of each customer named, creating those not known yet (by their id
    only: a later customers file fills them in), and how many were created."""
    wanted = set(external_ids)
    ids = {row.external_id: row.id for row in _stored(connection, _CUSTOMERS, wanted)}
    new = [
        {
            "external_id": external_id,
            "name": "",
            "attributes": {},
            "created_at": now,
            "updated_at": now,
        }
        for external_id in sorted(wanted - ids.keys())
    ]
    return ids | _insert(connection, _CUSTOMERS, new), len(new)


# --- subscriptions, orders, conversions --------------------------------------------------


def _save_subscriptions(
    connection: Connection, records: Sequence[SubscriptionRecord], now: datetime
) -> Saved:
    customers, customers_added = _customer_ids(connection, [r.customer for r in records], now)
    stored = {
        (row.external_id, row.started_at): row
        for row in _stored(
            connection,
            _SUBSCRIPTIONS,
            {r.external_id for r in records},
            *("started_at", "customer_id", "plan", "mrr_cents", "currency", "ended_at"),
        )
    }
    new: list[dict[str, object]] = []
    changes: list[dict[str, object]] = []
    for record in records:
        given: dict[str, object] = {
            "customer_id": customers[record.customer],
            "plan": record.plan,
            "mrr_cents": record.mrr_cents,
        }
        given |= {name: getattr(record, name) for name in ("currency", "ended_at") if name in record.given}
        row = stored.get((record.external_id, record.started_at))
        if row is None:
            new.append(
                {
                    "external_id": record.external_id,
                    "started_at": record.started_at,
                    "currency": "",
                    "ended_at": None,
                    **given,
                    "created_at": now,
                }
            )
        elif _changed(row, given):
            changes.append({"row_id": row.id, **given})
    _insert(connection, _SUBSCRIPTIONS, new, ids=False)
    _update(connection, _SUBSCRIPTIONS, changes)
    unchanged = len(records) - len(new) - len(changes)
    return Saved(len(new), len(changes), unchanged, customers_added=customers_added)


def _save_orders(connection: Connection, records: Sequence[OrderRecord], now: datetime) -> Saved:
    customers, customers_added = _customer_ids(connection, [r.customer for r in records], now)
    columns = ("customer_id", "ordered_at", "amount_cents", "currency", "attributes")
    stored = {
        row.external_id: row
        for row in _stored(connection, _ORDERS, [r.external_id for r in records], *columns)
    }
    new: list[dict[str, object]] = []
    changes: list[dict[str, object]] = []
    for record in records:
        given: dict[str, object] = {
            "customer_id": customers[record.customer],
            "ordered_at": record.ordered_at,
            "amount_cents": record.amount_cents,
        }
        if "currency" in record.given:
            given["currency"] = record.currency
        row = stored.get(record.external_id)
        if row is None:
            attributes = dict(record.attributes)
            new.append(
                {
                    "external_id": record.external_id,
                    "currency": "",
                    **given,
                    "attributes": attributes,
                    "created_at": now,
                }
            )
        elif _changed(row, given, record.attributes, record.attribute_columns):
            changes.append({"row_id": row.id, **given})
    added = tuple(sorted(_insert(connection, _ORDERS, new).values()))
    _update(connection, _ORDERS, changes)
    unchanged = len(records) - len(new) - len(changes)
    return Saved(len(new), len(changes), unchanged, customers_added=customers_added, added_ids=added)


def _save_conversions(connection: Connection, records: Sequence[ConversionRecord], now: datetime) -> Saved:
    customers, customers_added = _customer_ids(connection, [r.customer for r in records], now)
    stored = {
        row.external_id: row
        for row in _stored(
            connection,
            _CONVERSIONS,
            [r.external_id for r in records],
            *("customer_id", "converted_at", "goal", "revenue_cents", "currency"),
        )
    }
    new: list[dict[str, object]] = []
    changes: list[dict[str, object]] = []
    for record in records:
        given: dict[str, object] = {
            "customer_id": customers[record.customer],
            "converted_at": record.converted_at,
        }
        given |= {
            name: getattr(record, name)
            for name in ("goal", "revenue_cents", "currency")
            if name in record.given
        }
        row = stored.get(record.external_id)
        if row is None:
            new.append(
                {
                    "external_id": record.external_id,
                    "learner_id": None,
                    "goal": DEFAULT_GOAL,
                    "revenue_cents": None,
                    "currency": "",
                    **given,
                    "created_at": now,
                }
            )
        elif _changed(row, given):
            changes.append({"row_id": row.id, **given})
    added = tuple(sorted(_insert(connection, _CONVERSIONS, new).values()))
    _update(connection, _CONVERSIONS, changes)
    unchanged = len(records) - len(new) - len(changes)
    return Saved(len(new), len(changes), unchanged, customers_added=customers_added, added_ids=added)


# --- the statements ------------------------------------------------------------------------
#
# One statement looks up every id (an array on PostgreSQL, a JSON list on SQLite), so the
# statement's text stays short: psycopg parses the text of each statement it has not seen,
# and a lookup or multi-row INSERT of 1,000 placeholders cost more there than the database's
# own work (measured: 100,000 orders took 32 s through SQLAlchemy's multi-row INSERTs).
# New rows go in by COPY on PostgreSQL and by executemany on SQLite; changes by executemany.


def _stored(
    connection: Connection, table: Table, external_ids: Iterable[str], *columns: str
) -> list[Row[Any]]:
    """The id, external id and `columns` of the stored rows with these external ids;
    `attributes` as its JSON text (`_changed`)."""
    selected = [
        sql_cast(table.c[name], Text).label(name) if name == "attributes" else table.c[name]
        for name in columns
    ]
    return _select_by_external_id(
        connection, select(table.c.id, table.c.external_id, *selected), table, external_ids
    )


def _select_by_external_id(
    connection: Connection, statement: Select[Any], table: Table, external_ids: Iterable[str]
) -> list[Row[Any]]:
    wanted = list(external_ids)
    if not wanted:
        return []
    if connection.dialect.name == "postgresql":
        which = table.c.external_id == any_(bindparam("ids", type_=postgresql.ARRAY(String)))
        return list(connection.execute(statement.where(which), {"ids": wanted}))
    listed: Select[Any] = select(literal_column("value")).select_from(func.json_each(bindparam("ids")))
    which = table.c.external_id.in_(listed.scalar_subquery())
    return list(connection.execute(statement.where(which), {"ids": json.dumps(wanted)}))


def _insert(
    connection: Connection, table: Table, rows: list[dict[str, object]], *, ids: bool = True
) -> dict[str, int]:
    """Insert `rows` (all with the same columns); the id of each by its external id (`ids`)."""
    if not rows:
        return {}
    if connection.dialect.name == "postgresql":
        _copy(connection, table, rows)
    else:
        connection.execute(insert(table), rows)
    if not ids:
        return {}
    added = [str(row["external_id"]) for row in rows]
    return {row.external_id: row.id for row in _stored(connection, table, added)}


def _copy(connection: Connection, table: Table, rows: list[dict[str, object]]) -> None:
    """PostgreSQL's COPY, in the connection's transaction: the fastest way in by far."""
    columns = list(rows[0])
    jsons = {name for name in columns if isinstance(table.c[name].type, JSON)}
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[name]) if name in jsons else row[name] for name in columns])
    except connection.dialect.loaded_dbapi.IntegrityError as error:
        # As SQLAlchemy raises it for its own statements: another import stored one of these
        # ids meanwhile, and the caller's retry finds it (`bot.customers.importer`).
        raise IntegrityError(statement, None, error) from error


def _update(connection: Connection, table: Table, changes: list[dict[str, object]]) -> None:
    """Write each change (`row_id` and the columns to set); one executemany per set of columns."""
    by_columns: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for change in changes:
        by_columns.setdefault(tuple(sorted(change)), []).append(change)
    statement = update(table).where(table.c.id == bindparam("row_id"))
    for batch in by_columns.values():
        connection.execute(statement, batch)


def _changed(
    row: Row[Any],
    given: dict[str, object],
    attributes: Mapping[str, str] | None = None,
    attribute_columns: frozenset[str] = frozenset(),
) -> bool:
    """Whether `given` (and the attributes) differ from the stored `row`; the attributes to
    store are put in `given` when they do.

    The stored attributes come as JSON text: when they are just the record's (written by this
    module, keys sorted), the text is the same and nothing is parsed; 100,000 `json.loads`
    were a third of re-importing an unchanged file."""
    stored: RowMapping = row._mapping
    changed = any(stored[column] != value for column, value in given.items())
    if not attribute_columns:
        return changed
    fresh = dict(attributes or {})
    if json.dumps(fresh) == stored["attributes"]:
        return changed
    before: dict[str, str] = json.loads(stored["attributes"])
    kept = {name: value for name, value in before.items() if name not in attribute_columns}
    merged = dict(sorted((kept | fresh).items()))
    if merged == before:
        return changed
    given["attributes"] = merged
    return True
