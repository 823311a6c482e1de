"""Bringing a database's schema up to date with the Alembic scripts shipped in this package.

Alembic is driven from code, not from an `alembic.ini`: the scripts are found next to this
file (so an installed `lessonloop` can migrate), and the connection is handed to `env.py`
already open, which reaches an in-memory SQLite database and, on PostgreSQL, whatever schema
the URL's `search_path` names. The whole upgrade runs in one transaction.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from storage.db import Database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Upper half of the advisory-lock key; the lower half identifies the schema being migrated.
_MIGRATION_LOCK_CLASS = 0x4C4C4D47  # "LLMG"


@dataclass(frozen=True)
class Upgraded:
    """What `upgrade` did, in the words an operator reads (`lessonloop db upgrade`, start-up)."""

    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def describe(self, where: str) -> str:
        if self.before is None:
            return f"database created: {where}"
        if self.changed:
            return f"database upgraded from {self.before} to {self.after}: {where}"
        return f"database is up to date: {where}"


def upgrade(database: Database, revision: str = "head") -> Upgraded:
    """Migrate to `revision`; at that revision already, do nothing (safe to call at every start)."""
    log.info("Migrating %r to %s", database, revision)  # Database's repr hides the password.
    with _migration_connection(database) as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(alembic_config(connection), revision)
        after = MigrationContext.configure(connection).get_current_revision()
    return Upgraded(before, after)


def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision the shipped scripts know: what `upgrade` would bring a database to."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for this package's scripts, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _migration_connection(database: Database) -> Iterator[Connection]:
    """A connection inside one transaction that is committed if the migration succeeds.

    On PostgreSQL a transaction-scoped advisory lock (one per schema) makes processes that
    start together migrate one after the other instead of both creating the same tables.
    SQLite's `BEGIN IMMEDIATE` (see `storage.db`) already serialises them.
    """
    with (
        database.engine.connect() as connection,
        _foreign_keys_off_on_sqlite(connection),
        connection.begin(),
    ):
        if connection.dialect.name == "postgresql":
            _lock_schema_for_migration(connection)
        yield connection
        if connection.dialect.name == "sqlite":
            _check_foreign_keys(connection)


@contextmanager
def _foreign_keys_off_on_sqlite(connection: Connection) -> Iterator[None]:
    """Disable SQLite's foreign keys while a migration runs.

    Batch operations rebuild a table by copying it and dropping the original; with foreign
    keys on (as `storage.db` sets them), dropping `learners` would cascade-delete every row
    that references it. The pragma is ignored inside a transaction, so it is set on the
    driver connection before the migration's transaction begins.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver_connection.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a migration that left rows pointing at nothing (checks are off meanwhile)."""
    violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if violations:
        raise RuntimeError(f"migration broke {len(violations)} foreign key reference(s): {violations[:5]}")


def _lock_schema_for_migration(connection: Connection) -> None:
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    key = (_MIGRATION_LOCK_CLASS << 32) | zlib.crc32(schema.encode())
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
