"""Opening the database and running one short write transaction at a time per learner.

SQLite is the embedded default: WAL so readers never wait for the writer, a busy timeout,
and `BEGIN IMMEDIATE` so two processes that read-then-write queue up instead of failing
with "database is locked". PostgreSQL is the production store; there the engine locks the
learner's row (`SELECT ... FOR UPDATE`) so concurrent workers cannot lose an update.

On SQLite a commit costs more than a whole small transaction's statements (it writes the
changed pages to the WAL), and there is only one writer anyway, so a thread with many
short transactions queued can run them as one: `batch` opens a transaction that each
`transaction` begun inside it, on that thread, joins as a savepoint (a group commit). A
failing transaction rolls back to its savepoint and leaves the others in the batch alone.

A SQLite file the process can only read (permissions, a read-only mount, `mode=ro`) opens
without complaint and fails only at the first write, so `check_writable` tries one at start.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///lessonloop.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "lessonloop_reading"
"""The execution option `Database.reading` marks its connections with."""
_SNAPSHOT = {True: "SERIALIZABLE", False: "REPEATABLE READ"}
"""SQLite's one level (its WAL snapshot); PostgreSQL's snapshot for the whole transaction."""
CHECKPOINT_INTERVAL_S = 1.0
SAFETY_CHECKPOINT_PAGES = 10_000


class DatabaseNotWritableError(Exception):
    """The SQLite file cannot be written (or not even opened); the message says which and why."""


class Database:
    """A connection pool and the way to start a transaction on it."""

    def __init__(self, url: str | URL = DEFAULT_URL, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.engine = _create_engine(self.url, echo=echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._batches = _OpenBatch()
        self._checkpointer: _Checkpointer | None = None
        if self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            self._checkpointer = _Checkpointer(self.engine, self.url)
            self._checkpointer.start()

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error.

        Inside `batch` on the same thread, committed means: kept in the batch, whose own
        commit makes it permanent; rolled back means: undone to where it began."""
        connection = self._batches.connection
        if connection is not None:
            with _savepoint(connection) as session:
                yield session
            return
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (a report). On SQLite its transaction begins deferred, a
        snapshot of the WAL that takes no write lock: a report of several seconds neither
        waits for the bot's writes nor holds them up past the busy timeout, and several
        reports read at once."""
        with self.engine.connect() as connection:
            # One snapshot for every query of the report, on PostgreSQL too.
            connection.execution_options(**{READ_ONLY: True}, isolation_level=_SNAPSHOT[self.is_sqlite])
            with self._sessions(bind=connection) as session, session.begin():
                yield session

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction, committed at the end, that this thread's `transaction`s join.

        The caller must not report any joined transaction as done before this returns."""
        if self._batches.connection is not None:
            raise RuntimeError("a batch is already open on this thread")
        with self.engine.connect() as connection, connection.begin():
            self._batches.connection = connection
            try:
                yield
            finally:
                self._batches.connection = None

    @property
    def file_path(self) -> str:
        """The SQLite file as a person would name it (without a `file:` URI's prefix)."""
        return (self.url.database or "").removeprefix("file:")

    def check_writable(self) -> None:
        """Raise `DatabaseNotWritableError` if this SQLite database cannot be written.

        A write of the header's `user_version` (to its own value), rolled back: SQLite
        checks write access at the first page it changes, whatever the cause. PostgreSQL is
        not probed (a read-only role fails its first transaction loudly anyway)."""
        if not self.is_sqlite:
            return
        try:
            with self.engine.connect() as connection, connection.begin() as transaction:
                version = connection.exec_driver_sql("PRAGMA user_version").scalar_one()
                connection.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
                transaction.rollback()
        except OperationalError as error:
            code = getattr(error.orig, "sqlite_errorname", "")
            reason = str(error.orig)
            if code.startswith("SQLITE_READONLY"):
                raise DatabaseNotWritableError(
                    f"the database {self.file_path} is read-only ({reason})"
                ) from None
            if code.startswith("SQLITE_CANTOPEN"):
                raise DatabaseNotWritableError(
                    f"the database {self.file_path} cannot be opened ({reason})"
                ) from None
            raise

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"


class _OpenBatch(threading.local):
    connection: Connection | None = None


_SAVEPOINT = "lessonloop_transaction"


@contextmanager
def _savepoint(connection: Connection) -> Iterator[Session]:
    """A session on the batch's connection whose work is undone on error.

    The savepoint is set through the driver: SQLAlchemy's own `begin_nested` costs about as
    much as the commit a batch saves. The session never commits or rolls back the batch
    (`rollback_only` is only about `Session.rollback`, which this never calls); its pending
    objects are flushed before the savepoint is released; on error they are discarded with
    the session, which is this transaction's alone."""
    connection.exec_driver_sql(f"SAVEPOINT {_SAVEPOINT}")
    session = Session(bind=connection, expire_on_commit=False, join_transaction_mode="rollback_only")
    try:
        yield session
        session.flush()
    except BaseException:
        connection.exec_driver_sql(f"ROLLBACK TO {_SAVEPOINT}")
        connection.exec_driver_sql(f"RELEASE {_SAVEPOINT}")
        raise
    finally:
        session.close()
    connection.exec_driver_sql(f"RELEASE {_SAVEPOINT}")


def _create_engine(url: URL, *, echo: bool) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    in_memory = url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: object) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory:
            _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-32000")  # 32 MB of pages kept in memory
        cursor.execute("PRAGMA temp_store=MEMORY")
        # `_Checkpointer` keeps the WAL short; this is only the safety net if it falls behind.
        cursor.execute(f"PRAGMA wal_autocheckpoint={SAFETY_CHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        reads_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")

    return engine


def _switch_to_wal(cursor: Any) -> None:
    """Turn on WAL, waiting out another process doing the same to a brand-new file.

    Switching needs a moment of exclusive access and SQLite's busy handler does not cover
    it, so two processes opening a new database together would otherwise see "database is
    locked". Once the file is in WAL mode (it stays so) this returns at the first try.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal":
                return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError("could not switch the database to WAL mode")
        time.sleep(0.01)


class _Checkpointer(threading.Thread):
    """Copies the WAL back into the database file every second, off the request path.

    SQLite otherwise checkpoints inside whichever commit happens to cross 1,000 WAL pages,
    and that event waits several milliseconds: measured as the whole p99 tail of
    bench/engine.py. A PASSIVE checkpoint never blocks readers or the writer; several
    processes on one file may each run one (only one proceeds at a time).
    """

    def __init__(self, engine: Engine, url: URL) -> None:
        super().__init__(name="sqlite-checkpointer", daemon=True)
        # Opened the way SQLAlchemy opens it, so a `file:...?mode=ro&uri=true` URL means
        # the same file here, not one named "file:...".
        args, options = engine.dialect.create_connect_args(url)
        self._file, self._uri = str(args[0]), bool(options.get("uri"))
        self._stopping = threading.Event()

    def run(self) -> None:
        try:
            connection = sqlite3.connect(
                self._file, isolation_level=None, check_same_thread=False, uri=self._uri
            )
        except sqlite3.Error as error:
            log.warning("WAL checkpoints off: %s", error)
            return
        try:
            connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            while not self._stopping.wait(CHECKPOINT_INTERVAL_S):
                self._checkpoint(connection)
            self._checkpoint(connection)
        finally:
            connection.close()

    @staticmethod
    def _checkpoint(connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as error:  # a busy or vanished file must not kill the thread
            log.warning("WAL checkpoint skipped: %s", error)

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
