"""Named cursors: where a poller or a backfill left off (e.g. the last Stripe event id)."""

from __future__ import annotations

import sqlalchemy as sa

from stripe_netsuite.store import db
from stripe_netsuite.store.tables import cursors


def get(database: sa.Engine | sa.Connection, name: str) -> str | None:
    """The cursor's value, or None when it was never set."""
    with db.connection(database) as conn:
        value = conn.execute(sa.select(cursors.c.value).where(cursors.c.name == name)).scalar()
    return None if value is None else str(value)


def put(database: sa.Engine | sa.Connection, name: str, value: str) -> None:
    """Set the cursor (insert or overwrite)."""
    if not name:
        raise ValueError("cursor name is empty")
    now = db.utcnow()
    stmt = db.insert_for(database, cursors).values(name=name, value=value, updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"], set_={"value": value, "updated_at": now}
    )
    with db.connection(database) as conn:
        conn.execute(stmt)
