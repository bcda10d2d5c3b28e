"""Alembic environment: runs on the connection handed in by ``store.db.migrate``."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from stripe_netsuite.store.tables import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, sa.Connection):
    raise RuntimeError(
        "store migrations run through stripe_netsuite.store.db.migrate(engine), "
        "which passes a connection in config.attributes['connection']"
    )

# Tables are created unqualified so that PostgreSQL's search_path picks the schema,
# and the version table lands beside them.
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
