"""Single statements handed to the database driver, for the ones every webhook and job runs.

SQLAlchemy's way to a statement (a pooled `Connection`, the compiled-statement cache, the
result's metadata and row objects) costs about 0.1 ms of CPU, ten times what SQLite
takes to answer a read by primary key; the link reads and writes of every posting, the
intake's inbox row and job, a claim's reads and lease and a finished job's rows go this
shorter way. Values still pass through the columns' own type processors
(`processors`), so a row reads the same either way, and the statements are plain SQL
that SQLite and PostgreSQL both take (``?`` placeholders, rewritten to ``%s`` for
psycopg).

With an engine, a statement runs on a pooled driver connection of its own: on SQLite in
the driver's autocommit (one statement is its own transaction; a write first takes the
process's writer lock, as `db.write_transaction` does), on PostgreSQL with a commit after
a write. With a caller's `sa.Connection` it runs inside the caller's transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from stripe_netsuite.store import db

Processor = Callable[[Any], Any]

_SQL: dict[tuple[str, str], str] = {}


def sql_for(dialect: sa.Dialect, sql: str) -> str:
    """*sql* in the driver's placeholder style (cached)."""
    key = (dialect.name, sql)
    found = _SQL.get(key)
    if found is None:
        found = _SQL[key] = sql.replace("?", "%s") if dialect.paramstyle != "qmark" else sql
    return found


def processors(
    dialect: sa.Dialect, columns: Sequence[sa.Column[Any]]
) -> tuple[list[Processor | None], list[Processor | None]]:
    """The bind and result processors of *columns* on *dialect* (None: value as is)."""
    binds: list[Processor | None] = [column.type.bind_processor(dialect) for column in columns]
    results: list[Processor | None] = [
        column.type.result_processor(dialect, None) for column in columns
    ]
    return binds, results


_BINDS: dict[tuple[str, str], Processor | None] = {}


def bind_value(dialect: sa.Dialect, column: sa.Column[Any], value: Any) -> Any:
    """*value* as *column*'s type hands it to the driver (a UTC time as SQLite's text)."""
    key = (dialect.name, f"{column.table.name}.{column.name}")
    if key not in _BINDS:
        _BINDS[key] = column.type.bind_processor(dialect)
    process = _BINDS[key]
    return value if process is None else process(value)


def fetch_one(
    bind: sa.Engine | sa.Connection, sql: str, params: Sequence[Any]
) -> tuple[Any, ...] | None:
    """The first row of a read, as the driver returns it."""
    if isinstance(bind, sa.Connection):
        row = bind.exec_driver_sql(sql_for(bind.dialect, sql), tuple(params)).first()
        return None if row is None else tuple(row)
    with _checked_out(bind) as raw:
        cursor = raw.cursor()
        try:
            cursor.execute(sql_for(bind.dialect, sql), tuple(params))
            found = cursor.fetchone()
        finally:
            cursor.close()
    return None if found is None else tuple(found)


def fetch_all(conn: sa.Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row of a statement run in the caller's transaction, as the driver returns it."""
    return [tuple(row) for row in conn.exec_driver_sql(sql_for(conn.dialect, sql), tuple(params))]


def execute(bind: sa.Engine | sa.Connection, sql: str, params: Sequence[Any]) -> int:
    """Run one write; the number of rows it touched."""
    if isinstance(bind, sa.Connection):
        return bind.exec_driver_sql(sql_for(bind.dialect, sql), tuple(params)).rowcount
    writers = db.sqlite_writers(bind)
    with writers if writers is not None else contextlib.nullcontext(), _checked_out(bind) as raw:
        cursor = raw.cursor()
        try:
            cursor.execute(sql_for(bind.dialect, sql), tuple(params))
            count: int = cursor.rowcount
        finally:
            cursor.close()
        if writers is None:
            raw.commit()
    return count


@contextlib.contextmanager
def _checked_out(database: sa.Engine) -> Iterator[Any]:
    # The pool's own connection: its "connect" setup (WAL, busy timeout, autocommit on
    # SQLite) holds, and its reset on return ends a PostgreSQL read's transaction.
    raw = database.raw_connection()
    try:
        yield raw
    finally:
        raw.close()
