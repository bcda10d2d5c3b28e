"""Origins: the Stripe object that mirrors a NetSuite record, and which system made the pair.

Written by the NetSuite → Stripe flows. Intake reads it to leave alone the Stripe events
that only report the engine's own writes to a mirror; the NetSuite poller reads it to
leave alone the ``lastModifiedDate`` the engine's own write-back left on the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from stripe_netsuite.store import db, driver
from stripe_netsuite.store.tables import origins


class Origin(StrEnum):
    """The system a linked pair was first made in."""

    #: Raised in NetSuite; the Stripe object is its mirror.
    NETSUITE = "netsuite"


@dataclass(frozen=True)
class Mirror:
    """One NetSuite record and the Stripe object made from it."""

    account: str
    record_type: str
    internal_id: str
    stripe_id: str
    origin: str
    own_stamp: str | None
    state_hash: str | None
    updated_at: datetime


def _mirror(row: sa.Row[Any]) -> Mirror:
    return Mirror(**{name: getattr(row, name) for name in Mirror.__dataclass_fields__})


def get(
    database: sa.Engine | sa.Connection, *, account: str, record_type: str, internal_id: str
) -> Mirror | None:
    """The mirror of one NetSuite record, or None."""
    stmt = sa.select(origins).where(
        origins.c.account == account,
        origins.c.record_type == record_type,
        origins.c.internal_id == internal_id,
    )
    with db.connection(database) as conn:
        row = conn.execute(stmt).first()
    return None if row is None else _mirror(row)


def of_stripe(
    database: sa.Engine | sa.Connection, *, account: str, stripe_id: str
) -> Mirror | None:
    """The NetSuite record a Stripe object mirrors, or None when it mirrors none."""
    stmt = sa.select(origins).where(origins.c.account == account, origins.c.stripe_id == stripe_id)
    with db.connection(database) as conn:
        row = conn.execute(stmt).first()
    return None if row is None else _mirror(row)


def put(
    database: sa.Engine | sa.Connection,
    *,
    account: str,
    record_type: str,
    internal_id: str,
    stripe_id: str,
    origin: Origin = Origin.NETSUITE,
    state_hash: str | None = None,
) -> None:
    """Record (or re-point, after a re-issue) the mirror of a NetSuite record."""
    if not (account and record_type and internal_id and stripe_id):
        raise ValueError(f"origins.put: an id is empty ({record_type} {internal_id!r})")
    now = db.utcnow()
    insert = db.insert_for(database, origins).values(
        account=account,
        record_type=record_type,
        internal_id=internal_id,
        stripe_id=stripe_id,
        origin=origin,
        state_hash=state_hash,
        created_at=now,
        updated_at=now,
    )
    stmt = insert.on_conflict_do_update(
        index_elements=["account", "record_type", "internal_id"],
        set_={"stripe_id": stripe_id, "state_hash": state_hash, "updated_at": now},
    )
    with db.connection(database) as conn:
        conn.execute(stmt)


def stamp(
    database: sa.Engine | sa.Connection,
    *,
    account: str,
    record_type: str,
    internal_id: str,
    own_stamp: str | None,
) -> None:
    """Remember the ``lastModifiedDate`` the engine's own write to the record left."""
    stmt = (
        sa.update(origins)
        .where(
            origins.c.account == account,
            origins.c.record_type == record_type,
            origins.c.internal_id == internal_id,
        )
        .values(own_stamp=own_stamp, updated_at=db.utcnow())
    )
    with db.connection(database) as conn:
        conn.execute(stmt)


def is_mirror(conn: sa.Connection, *, account: str, stripe_id: str) -> bool:
    """Whether the Stripe object was made by the engine from a NetSuite record (asked of
    every customer and invoice event, so through `driver`)."""
    return driver.fetch_one(conn, _MIRROR, (account, stripe_id)) is not None


_MIRROR = "SELECT 1 FROM origins WHERE account = ? AND stripe_id = ?"
