"""A migrated store and a vault over it with a local master key file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from stripe_netsuite.store import db
from stripe_netsuite.vault import LocalKeyFile, Vault


@pytest.fixture
def database(database_url: str) -> Iterator[sa.Engine]:
    """A freshly migrated store: a SQLite file, and PostgreSQL when it is reachable."""
    engine = db.make_database(database_url)
    db.migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """Where the master key file goes (absent until the first entry is stored)."""
    return tmp_path / "master.key"


@pytest.fixture
def vault(database: sa.Engine, key_file: Path) -> Vault:
    """A vault whose master key is the local key file."""
    return Vault(database=database, keys=LocalKeyFile(key_file))
