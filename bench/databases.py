"""The empty database a benchmark fills: SQLite in a temporary folder by default, or a
schema of its own in a PostgreSQL database (dropped afterwards, so the database may be
shared with the test suite and other benchmarks)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy import create_engine

from storage.db import Database
from storage.migrate import upgrade
from tests.postgres_schemas import fresh_schema_url


@contextmanager
def fresh_database(url: str | None, name: str) -> Iterator[Database]:
    """An empty, migrated database; `name` names the SQLite file and the schema's prefix."""
    with tempfile.TemporaryDirectory() as folder, ExitStack() as cleanup:
        if url is None:
            url = f"sqlite:///{folder}/{name}.db"
        else:
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            cleanup.callback(admin.dispose)
            url = cleanup.enter_context(fresh_schema_url(admin, prefix=name))
        database = Database(url)
        try:
            upgrade(database)
            yield database
        finally:
            database.dispose()
