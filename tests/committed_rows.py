"""What another connection sees of a database: only what was committed."""

from __future__ import annotations

from sqlalchemy import create_engine, select

from storage.db import Database
from storage.models import ProcessedEvent


def committed_event_ids(database: Database) -> list[str]:
    """The claimed event ids another connection sees. Not through `database`: its SQLite
    connections begin with `BEGIN IMMEDIATE`, which would wait for an open batch."""
    engine = create_engine(database.url)
    try:
        with engine.connect() as connection:
            return sorted(connection.scalars(select(ProcessedEvent.event_id)))
    finally:
        engine.dispose()
