"""Fixtures shared by every test layer: the databases the suite runs on."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get(
    "SNS_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reachable(url: str) -> str | None:
    try:
        database = sa.create_engine(url)
        with database.connect() as conn:
            conn.execute(sa.text("select 1"))
        database.dispose()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def require_postgres() -> str:
    """The PostgreSQL URL for tests; fails in CI and skips on a laptop when it is down."""
    problem = _postgres_reachable(PG_URL)
    if problem:
        message = f"PostgreSQL at {PG_URL} is not reachable ({problem})"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message + "; set SNS_TEST_DATABASE_URL or start PostgreSQL")
    return PG_URL


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL database, dropped afterwards."""
    base = require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    database = sa.create_engine(base)
    with database.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with database.begin() as conn:
        conn.execute(sa.text(f'drop schema "{schema}" cascade'))
    database.dispose()


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    """A fresh SQLite file."""
    return f"sqlite:///{tmp_path}/sns.db"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """Every store test runs on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/sns.db"
    else:
        yield request.getfixturevalue("postgres_url")
