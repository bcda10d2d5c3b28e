"""Engines, migrations and the clock, identical on a SQLite file and on PostgreSQL.

SQLite runs in WAL mode with a 30 s busy timeout. Its driver's own transaction
handling is switched off so that we emit ``BEGIN`` ourselves: writers that read
before they write (the queue's claim) ask for ``BEGIN IMMEDIATE`` through
:func:`write_transaction`, which takes SQLite's single write lock up front instead of
failing with ``SQLITE_BUSY`` when upgrading a read lock.

``synchronous=NORMAL`` in WAL mode syncs the log at each checkpoint, not at each commit:
a committed transaction survives the engine's process being killed (the log is in the
operating system's hands), and a power cut can lose only the last commits, never corrupt
the file. What such a loss can undo is safe to redo: a job written as done runs again
(NetSuite writes are upserts by externalId), and an inbox row comes back with the events
poll, whose cursor is in the same file and goes back with it.

Inside one process the threads that write to a SQLite file queue on a lock of their own
before ``BEGIN IMMEDIATE``: SQLite's busy handler would have them sleep and poll for
the file's lock instead, which costs CPU and lets a late thread overtake a waiting one.
Other processes still meet at SQLite's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from stripe_netsuite.credentials import redact_url

#: Seconds a SQLite connection waits for the write lock before giving up.
SQLITE_BUSY_TIMEOUT = 30.0
#: The PostgreSQL advisory lock key taken while migrating (two processes starting at once).
MIGRATION_LOCK_KEY = 0x534E5301
_IMMEDIATE = "sns_sqlite_immediate"
_MIGRATIONS = Path(__file__).with_name("migrations")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the store keeps every time in UTC)."""
    return datetime.now(UTC)


def normalize_url(url: str) -> str:
    """Rewrite plain ``postgresql://`` (and ``postgres://``) URLs to the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_database(url: str) -> sa.Engine:
    """The SQLAlchemy engine of a SQLite file (WAL, busy timeout, foreign keys) or PostgreSQL."""
    if not url or "://" not in url:
        raise ValueError(
            f"database URL {redact_url(url)!r} is not a SQLAlchemy URL (e.g. sqlite:///sns.db)"
        )
    url = normalize_url(url)
    backend = sa.engine.make_url(url).get_backend_name()
    if backend == "sqlite":
        _check_sqlite_path(url)
        database = _sqlite_engine(url, SQLITE_BUSY_TIMEOUT)
        _WRITERS[database] = threading.RLock()
        return database
    if backend == "postgresql":
        return sa.create_engine(url, pool_pre_ping=True)
    raise ValueError(f"database URL {redact_url(url)!r}: backend {backend!r} is not supported")


def _check_sqlite_path(url: str) -> None:
    path = sa.engine.make_url(url).database
    if not path or path == ":memory:" or "mode=memory" in url:
        raise ValueError(
            f"database URL {url!r}: an in-memory SQLite database is not supported "
            "(every connection would see its own empty database); use a file, "
            "e.g. sqlite:///stripe-netsuite.db"
        )
    folder = Path(path).expanduser().parent
    if not folder.is_dir():
        raise ValueError(f"database URL {url!r}: the folder {str(folder)!r} does not exist")


def _sqlite_engine(url: str, busy_timeout: float) -> sa.Engine:
    database = sa.create_engine(
        url, connect_args={"check_same_thread": False, "timeout": busy_timeout}
    )

    def connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level; SQLAlchemy's "begin" event below emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    sa.event.listen(database, "connect", connect)
    sa.event.listen(database, "begin", _sqlite_begin)
    return database


def _sqlite_begin(conn: sa.Connection) -> None:
    options = conn.get_execution_options()
    immediate = options.get(_IMMEDIATE, False)
    # Straight to the driver: SQLAlchemy keeps no state of its own about this statement.
    driver = conn.connection.driver_connection
    assert driver is not None  # a connection in use has its driver's
    driver.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


#: The in-process writers' lock of each SQLite database made by `make_database`.
_WRITERS: weakref.WeakKeyDictionary[sa.Engine, threading.RLock] = weakref.WeakKeyDictionary()


def sqlite_writers(database: sa.Engine) -> threading.RLock | None:
    """The in-process writers' lock of a SQLite database (None on PostgreSQL)."""
    return _WRITERS.get(database)


P = ParamSpec("P")
T = TypeVar("T")


async def run_write(
    database: sa.Engine,
    work: Callable[Concatenate[sa.Engine, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run ``work(database, …)``, a short store write, from async code: on SQLite on the
    event loop when no other thread of this process is writing, else (and always on
    PostgreSQL) in a thread.

    A SQLite write of a few rows costs less CPU than handing it to a thread and back, and
    with the process's writers' lock free it waits for nothing in this process. On the loop
    it runs on connections that never wait for the file's lock: when another process holds
    it (a backfill's commit, a ``retry`` command, a locked file), SQLite refuses at once,
    before anything is written, and the write goes to a thread that waits as usual.
    """
    writers = _WRITERS.get(database)
    if writers is not None and writers.acquire(blocking=False):
        try:
            return work(_no_wait(database, writers), *args, **kwargs)
        except (sa.exc.OperationalError, sqlite3.OperationalError) as exc:
            if not _busy(exc):
                raise
            # Another process holds the file's lock; nothing was written. A thread waits.
        finally:
            writers.release()
    return await asyncio.to_thread(work, database, *args, **kwargs)


#: Each SQLite database's twin whose connections never wait for the file's lock, for
#: `run_write` on the event loop: a lock held by another process sends the write to a
#: thread instead of stopping the loop (and with it ``/healthz``) for the busy timeout.
_NO_WAIT: weakref.WeakKeyDictionary[sa.Engine, sa.Engine] = weakref.WeakKeyDictionary()


def _no_wait(database: sa.Engine, writers: threading.RLock) -> sa.Engine:
    twin = _NO_WAIT.get(database)
    if twin is None:
        twin = _NO_WAIT[database] = _sqlite_engine(str(database.url), 0.0)
        _WRITERS[twin] = writers
    return twin


def _busy(exc: BaseException) -> bool:
    found = getattr(exc, "orig", exc)
    return getattr(found, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")


@contextlib.contextmanager
def write_transaction(database: sa.Engine) -> Iterator[sa.Connection]:
    """One transaction that will write; on SQLite it holds the write lock from the start."""
    writers = _WRITERS.get(database)
    if writers is None:
        with database.connect() as conn, conn.begin():
            yield conn
        return
    with writers, database.connect() as conn:
        conn.execution_options(**{_IMMEDIATE: True})
        with conn.begin():
            yield conn


def is_postgres(conn: sa.Connection | sa.Engine) -> bool:
    """Whether the connection talks to PostgreSQL."""
    return conn.dialect.name == "postgresql"


def alembic_config(conn: sa.Connection) -> Config:
    """An Alembic config for the packaged migrations, bound to ``conn`` (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def migrate(database: sa.Engine) -> None:
    """Upgrade the schema to the newest revision; a no-op when it is current.

    On PostgreSQL a transaction-level advisory lock makes processes that start at the
    same moment migrate one after the other.
    """
    with write_transaction(database) as conn:
        if is_postgres(conn):
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
        command.upgrade(alembic_config(conn), "head")


def insert_for(conn: sa.Connection | sa.Engine, table: sa.Table) -> Any:
    """An INSERT for ``table`` in the connection's dialect, so ON CONFLICT clauses work."""
    if is_postgres(conn):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


_PREBUILT: dict[tuple[str, str], Any] = {}


def prebuilt(conn: sa.Connection | sa.Engine, name: str, build: Callable[[], Any]) -> Any:
    """A statement built once per dialect and reused with bound parameters.

    Building a SQLAlchemy statement (coercions, cache keys) costs more CPU than running
    it; the statements on the webhook and worker paths are built once.
    """
    key = (conn.dialect.name, name)
    stmt = _PREBUILT.get(key)
    if stmt is None:
        stmt = _PREBUILT[key] = build()
    return stmt


@contextlib.contextmanager
def connection(bind: sa.Connection | sa.Engine) -> Iterator[sa.Connection]:
    """Use a caller's connection as is, or open one short transaction on the database."""
    if isinstance(bind, sa.Connection):
        yield bind
        return
    with bind.begin() as conn:
        yield conn
