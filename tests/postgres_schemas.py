"""A fresh, empty PostgreSQL schema for one test or one benchmark run: the database may be
shared (this machine's `test` database serves every xdist worker and the benchmarks), so
each run gets a schema of its own, found through libpq's `search_path` option, and drops
it afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

DROP_LOCK_TIMEOUT = "30s"
"""Dropping a schema waits for every lock on its tables; a connection left open should fail
the teardown, not hang the run."""


@contextmanager
def fresh_schema_url(admin: Engine, prefix: str = "test") -> Iterator[str]:
    """Create a schema unique across processes; yield a URL bound to it; drop it."""
    schema = f"{prefix}_{uuid.uuid4().hex}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield with_search_path(admin.url.render_as_string(hide_password=False), schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"SET lock_timeout = '{DROP_LOCK_TIMEOUT}'"))
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def with_search_path(url: str, schema: str) -> str:
    """`url` with libpq's `options` set so the server puts every session in `schema`."""
    parsed = make_url(url)
    options = " ".join(filter(None, [str(parsed.query.get("options", "")), f"-csearch_path={schema}"]))
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)
