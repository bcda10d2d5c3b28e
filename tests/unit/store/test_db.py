from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from stripe_netsuite.store import cursors, db, tables


def _revision(database: sa.Engine) -> str | None:
    """The schema revision Alembic recorded (None before the first migration)."""
    with database.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_plain_postgresql_urls_use_psycopg() -> None:
    for url in ("postgresql://u@h/d", "postgres://u@h/d", "postgresql+psycopg://u@h/d"):
        database = db.make_database(url)
        assert database.url.drivername == "postgresql+psycopg"
        assert database.url.database == "d"
        database.dispose()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "is not a SQLAlchemy URL"),
        ("sns.db", "is not a SQLAlchemy URL"),
        ("mysql://u@h/d", "backend 'mysql' is not supported"),
        ("sqlite://", "in-memory SQLite"),
        ("sqlite:///:memory:", "in-memory SQLite"),
        ("sqlite:////nonexistent-folder/sns.db", "folder '/nonexistent-folder' does not exist"),
    ],
)
def test_bad_urls_are_refused_by_name(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=f"database URL {re.escape(repr(url))}.*{problem}"):
        db.make_database(url)


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(sqlite_url: str) -> None:
    database = db.make_database(sqlite_url)
    with database.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()


def test_migrate_twice_is_a_no_op(database_url: str) -> None:
    database = db.make_database(database_url)
    assert _revision(database) is None
    db.migrate(database)
    revision = _revision(database)
    assert revision is not None
    cursors.put(database, "stripe.events", "evt_1")
    names = set(sa.inspect(database).get_table_names())
    db.migrate(database)
    assert _revision(database) == revision
    assert set(sa.inspect(database).get_table_names()) == names
    assert {"inbox", "jobs", "attempts", "links", "cursors", "alembic_version"} <= names
    assert cursors.get(database, "stripe.events") == "evt_1"
    database.dispose()


def test_migrations_downgrade_and_upgrade_again(database: sa.Engine) -> None:
    from alembic import command

    with database.begin() as conn:
        command.downgrade(db.alembic_config(conn), "base")
    assert _revision(database) is None
    assert set(sa.inspect(database).get_table_names()) <= {"alembic_version"}
    db.migrate(database)
    assert {"inbox", "jobs", "attempts", "links", "cursors"} <= set(
        sa.inspect(database).get_table_names()
    )


def test_migrations_build_exactly_the_declared_tables(database: sa.Engine) -> None:
    with database.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, tables.metadata) == []


def test_two_processes_migrating_at_once_both_succeed(database_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        database = db.make_database(database_url)
        try:
            db.migrate(database)
        except BaseException as exc:
            errors.append(exc)
        finally:
            database.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    database = db.make_database(database_url)
    assert _revision(database) is not None
    database.dispose()


def test_utcnow_is_aware_utc() -> None:
    now = db.utcnow()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_times_round_trip_as_aware_utc(database: sa.Engine) -> None:
    cursors.put(database, "c", "v")
    with database.connect() as conn:
        stored = conn.execute(sa.select(tables.cursors.c.updated_at)).scalar_one()
    assert stored.tzinfo is UTC
    assert abs(db.utcnow() - stored) < timedelta(minutes=5)


def test_other_offsets_are_stored_as_the_same_instant(database: sa.Engine) -> None:
    plus_two = timezone(timedelta(hours=2))
    instant = datetime(2026, 1, 1, 14, 0, tzinfo=plus_two)
    with database.begin() as conn:
        conn.execute(sa.insert(tables.cursors).values(name="x", value="y", updated_at=instant))
        stored = conn.execute(sa.select(tables.cursors.c.updated_at)).scalar_one()
    assert stored == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_naive_times_are_refused(database: sa.Engine) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        with database.begin() as conn:
            conn.execute(
                sa.insert(tables.cursors).values(
                    name="x", value="y", updated_at=datetime(2026, 1, 1)
                )
            )
