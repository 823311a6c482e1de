"""Millions of rows into a migrated database, as fast as each backend takes them: COPY on
PostgreSQL, `executemany` on one SQLite connection with the journal's syncing off (a bench
fill that dies is simply redone). Rows are tuples in the table's column order, in the
values the ORM would hold (aware datetimes, dicts and lists for JSON columns)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import JSON, Boolean, Connection, Table, text

from storage.db import Database
from storage.models import UtcDateTime

CHUNK = 50_000


def _sqlite_value(value: object) -> object:
    """What SQLAlchemy's SQLite dialect stores for the ORM's value."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _postgres_value(value: object) -> object:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _chunks(rows: Iterable[tuple[object, ...]]) -> Iterator[list[tuple[object, ...]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def _check(table: Table, row: tuple[object, ...]) -> None:
    if len(row) != len(table.columns):
        raise ValueError(f"{table.name}: rows of {len(row)} values for {len(table.columns)} columns")
    for column, value in zip(table.columns, row, strict=True):
        if value is None and not column.nullable:
            raise ValueError(f"{table.name}.{column.name} may not be NULL")
        if isinstance(column.type, UtcDateTime) and value is not None and not isinstance(value, datetime):
            raise ValueError(f"{table.name}.{column.name} takes a datetime, not {value!r}")
        if isinstance(column.type, JSON | Boolean) and value is not None and isinstance(value, str):
            raise ValueError(f"{table.name}.{column.name} takes a {column.type}, not a string")


class BulkLoader:
    """One connection, one transaction per table; `finish` commits and refreshes the
    planner's statistics (and on SQLite folds the WAL back into the file) so the timed
    reads that follow meet the database as a deployment would after a night's upkeep."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._postgres = not database.is_sqlite
        self.rows = 0

    def load(self, table: Table, rows: Iterable[tuple[object, ...]]) -> int:
        count = 0
        with self._database.engine.connect() as connection:
            if not self._postgres:  # before the transaction begins: SQLite refuses it inside one
                raw = connection.connection.driver_connection
                assert raw is not None
                raw.execute("PRAGMA synchronous = OFF")
            for chunk in _chunks(rows):
                if count == 0:
                    _check(table, chunk[0])
                self._write(connection, table, chunk)
                count += len(chunk)
            if self._postgres and count:
                self._advance_sequence(connection, table)
            connection.commit()
        self.rows += count
        return count

    def _write(self, connection: Connection, table: Table, chunk: list[tuple[object, ...]]) -> None:
        names = ", ".join(f'"{column.name}"' for column in table.columns)
        raw = connection.connection.driver_connection
        assert raw is not None
        if self._postgres:
            with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in chunk:
                    copy.write_row(tuple(_postgres_value(value) for value in row))
            return
        marks = ", ".join("?" for _ in table.columns)
        raw.executemany(
            f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
            [tuple(_sqlite_value(value) for value in row) for row in chunk],
        )

    @staticmethod
    def _advance_sequence(connection: Connection, table: Table) -> None:
        if "id" not in table.columns or not table.columns["id"].autoincrement:
            return
        name = f'"{table.name}"'
        connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
        )

    def finish(self) -> None:
        with self._database.engine.connect() as connection:
            if self._postgres:
                connection.commit()
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
                return
            raw = connection.connection.driver_connection  # outside a transaction, as both need
            assert raw is not None
            raw.execute("ANALYZE")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
