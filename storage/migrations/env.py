"""Alembic's entry point, configured in code so an installed `lessonloop` can migrate itself.

`storage.migrate` passes an open connection in `config.attributes["connection"]`, already
inside a transaction: the whole upgrade then commits or rolls back as one, it reaches an
in-memory SQLite database, and on PostgreSQL it lands in whatever schema the connection's
`search_path` names. Without a connection (a developer running autogenerate, or `--sql`
for a DBA) the URL comes from the `sqlalchemy.url` option.

`render_as_batch=True` makes autogenerate write batch operations, which SQLite needs for
ALTER and which are plain ALTERs on PostgreSQL; `compare_type=True` makes a changed column
type show up in autogenerate.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, TypeDecorator, create_engine, pool

from storage import slack_models  # noqa: F401  (Slack installation tables live on our Base too)
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types (`UtcDateTime`) as the plain type they store.

    A migration must not import `storage.models`: it describes the schema as it was when
    written, and the models will have moved on by the time it runs again.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator) and _is_generic(obj.impl_instance):
        return f"sa.{obj.impl_instance!r}"
    return False


def _is_generic(type_: Any) -> bool:
    """A type `sa.` can name (`sa.DateTime`), unlike a dialect's own (`postgresql.JSONB`)."""
    return type(type_).__module__ == "sqlalchemy.sql.sqltypes"


def _configure(**options: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
        **options,
    )


def run_migrations_offline() -> None:
    """Write the SQL instead of running it (`alembic upgrade --sql`), for a DBA to review."""
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_with_own_engine() -> None:
    """Only for `alembic` on the command line: open, migrate and close a connection."""
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no connection given and no sqlalchemy.url configured")
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            run_migrations_online(connection)
    finally:
        engine.dispose()


def main() -> None:
    given = config.attributes.get("connection")
    if context.is_offline_mode():
        run_migrations_offline()
    elif given is not None:
        run_migrations_online(given)
    else:
        run_migrations_with_own_engine()


main()
