"""The inbox: one row per Stripe event seen (ids and type only, never the payload).

The webhook route and the events poller both call :func:`record_event`; the unique
(account, event_id) makes a redelivered or re-polled event a no-op.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from stripe_netsuite.store import db, driver
from stripe_netsuite.store.tables import inbox


class EventStatus(StrEnum):
    """Where an inbox event stands."""

    #: Recorded; the job it caused has not finished yet.
    PENDING = "pending"
    #: The job syncing its object finished.
    HANDLED = "handled"
    #: Recorded for deduplication only; no flow cares about this event type.
    IGNORED = "ignored"


def record_event(
    conn: sa.Connection,
    *,
    account: str,
    event_id: str,
    event_type: str,
    object_type: str,
    object_id: str,
    ignored: bool = False,
) -> bool:
    """Insert the event unless it was seen before; True when it is new."""
    for field, value in (("account", account), ("event_id", event_id), ("object_id", object_id)):
        if not value:
            raise ValueError(f"record_event: {field} is empty (event_id={event_id!r})")
    status = EventStatus.IGNORED if ignored else EventStatus.PENDING
    received = driver.bind_value(conn.dialect, inbox.c.received_at, db.utcnow())
    values = (account, event_id, event_type, object_type, object_id, received, str(status))
    # RETURNING, not rowcount: PostgreSQL drivers report -1 for an INSERT that returns rows.
    return driver.fetch_one(conn, _RECORD, values) is not None


#: Through `driver`: one per webhook and polled event.
_RECORD = (
    "INSERT INTO inbox (account, event_id, event_type, object_type, object_id, received_at, "
    "status) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, event_id) DO NOTHING "
    "RETURNING id"
)


def mark_object_handled(
    conn: sa.Connection | sa.Engine,
    *,
    account: str,
    object_id: str,
    received_before: datetime | None = None,
) -> int:
    """Stamp pending events about one object handled (its job synced its latest state).

    With *received_before* (the job's claim time), events that arrived while the job ran
    stay pending: the follow-up job they queued has not run yet.
    """
    now = db.utcnow()
    stamp, before = (
        driver.bind_value(conn.dialect, inbox.c.received_at, t)
        for t in (now, now if received_before is None else received_before)
    )
    return driver.execute(conn, _HANDLED, (stamp, account, object_id, before))


#: Through `driver`: one per finished job. Found by the object's index: SQLite's planner,
#: without statistics, would take the status index and read every pending event of the
#: backlog for each job (``status || ''`` keeps an index off that term on both backends).
_HANDLED = (
    "UPDATE inbox SET status = 'handled', handled_at = ? WHERE account = ? AND object_id = ? "
    "AND status || '' = 'pending' AND received_at <= ?"
)


def counts(database: sa.Engine | sa.Connection) -> dict[str, int]:
    """Events per status; every status is present, zero when none."""
    result = {status.value: 0 for status in EventStatus}
    stmt = sa.select(inbox.c.status, sa.func.count()).group_by(inbox.c.status)
    with db.connection(database) as conn:
        for status, n in conn.execute(stmt):
            result[status] = n
    return result
