"""The Alembic scripts: they build exactly the models' schema, and upgrading is always safe."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, String, func, inspect, select, text
from sqlalchemy.engine import make_url

from storage import slack_models  # noqa: F401  (its tables are part of the schema the migrations build)
from storage.db import Database
from storage.migrate import _migration_connection, alembic_config, current_revision, head_revision, upgrade
from storage.models import Base, Learner, LearnerIdentity


def schema_differences(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def test_there_is_a_single_head_revision() -> None:
    # Two heads would mean two migrations branched from one parent: `upgrade head` fails.
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_migrations_build_exactly_the_models_schema(database: Database) -> None:
    with database.engine.connect() as connection:
        assert schema_differences(connection) == []


def test_schema_comparison_notices_a_difference(database: Database) -> None:
    """Guards the test above: an empty comparison must not be a comparison that sees nothing."""
    with database.engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_interactions_kind_at"))
        assert [diff[0] for diff in schema_differences(connection)] == ["add_index"]


def test_the_due_lessons_index_holds_only_the_lessons_waiting(database: Database) -> None:
    """The comparison above does not look at a partial index's WHERE: this does."""
    [index] = [
        index
        for index in inspect(database.engine).get_indexes("enrolments")
        if index["name"] == "ix_enrolments_next_due_at"
    ]
    where = index["dialect_options"]["sqlite_where" if database.is_sqlite else "postgresql_where"]
    assert str(where).strip("()") == "next_due_at IS NOT NULL"


def test_upgrade_twice_is_harmless_and_reports_head(database: Database) -> None:
    upgrade(database)
    upgrade(database)
    assert current_revision(database) == head_revision()
    with database.engine.connect() as connection:
        assert schema_differences(connection) == []


def test_never_migrated_database_has_no_revision(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    try:
        assert current_revision(database) is None
    finally:
        database.dispose()


def test_upgrade_works_on_in_memory_sqlite() -> None:
    database = Database("sqlite://")
    try:
        upgrade(database)
        assert current_revision(database) == head_revision()
        with database.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Learner)) == 0
    finally:
        database.dispose()


def test_downgrade_to_base_and_back(database: Database) -> None:
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert current_revision(database) is None
    upgrade(database)
    with database.engine.connect() as connection:
        assert schema_differences(connection) == []


@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
def test_upgrade_logs_no_password(empty_database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """The test server trusts every connection, so any password works and can be looked for."""
    url = make_url(empty_database_url).set(password="pa55-w0rd-in-url")
    database = Database(url)
    try:
        with caplog.at_level(logging.DEBUG):
            upgrade(database)
    finally:
        database.dispose()
    assert "Migrating" in caplog.text
    assert "pa55-w0rd-in-url" not in caplog.text


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_rebuilding_a_referenced_table_on_sqlite_keeps_the_rows_pointing_at_it(database: Database) -> None:
    """Batch ALTERs on SQLite copy and drop the table; with foreign keys on, dropping
    `learners` would cascade-delete every identity, so migrations run with them off."""
    now = datetime.now(UTC)
    with database.transaction() as session:
        learner = Learner(created_at=now, last_seen_at=now)
        learner.identities.append(
            LearnerIdentity(platform="slack", user_id="U1", conversation_id="D1", created_at=now)
        )
        session.add(learner)

    with _migration_connection(database) as connection:
        operations = Operations(MigrationContext.configure(connection))
        with operations.batch_alter_table("learners", recreate="always") as batch:
            batch.add_column(Column("extra", String(8)))

    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(LearnerIdentity)) == 1
