"""A migrated store on each backend of ``database_url``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from stripe_netsuite.store import db


@pytest.fixture
def database(database_url: str) -> Iterator[sa.Engine]:
    """A freshly migrated engine (SQLite file or its own PostgreSQL schema)."""
    eng = db.make_database(database_url)
    db.migrate(eng)
    yield eng
    eng.dispose()
