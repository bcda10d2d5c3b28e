"""What the store says of backfill runs: their stored cursors, and where their jobs stand.

A backfill (`engine.backfill`) keeps each account's run in one cursor and records every
object it queues as an inbox row whose event id starts with ``backfill.<run>:``. The row
stays ``pending`` until a job syncing its object finishes (done or skipped by a rule),
and is then stamped ``handled``. So the run's objects still waiting are its pending rows,
found through the inbox's ``status`` index: reading them costs what the run has left to
do, not the size of the inbox's history. Those whose object has a job parked since the
row was recorded wait for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from stripe_netsuite.store import db
from stripe_netsuite.store.inbox import EventStatus
from stripe_netsuite.store.job_states import JobState
from stripe_netsuite.store.tables import cursors, inbox, jobs


@dataclass(frozen=True)
class StoredRun:
    """One account's backfill cursor as stored."""

    name: str
    value: str
    #: When the row was last written (by the engine's host clock).
    updated_at: datetime


@dataclass(frozen=True)
class JobCounts:
    """Where the jobs of a run's queued objects stand; the three add up to what it queued."""

    #: Synced, or skipped by a named rule.
    done: int
    #: Waiting, running or retrying.
    pending: int
    #: Failed permanently; waiting for a person (``stripe-netsuite retry``).
    parked: int


def stored_runs(database: sa.Engine | sa.Connection, prefix: str) -> list[StoredRun]:
    """Every cursor whose name starts with *prefix*, by name."""
    stmt = (
        sa.select(cursors.c.name, cursors.c.value, cursors.c.updated_at)
        .where(cursors.c.name.startswith(prefix, autoescape=True))
        .order_by(cursors.c.name)
    )
    with db.connection(database) as conn:
        return [StoredRun(name, value, at) for name, value, at in conn.execute(stmt)]


def job_counts(
    database: sa.Engine | sa.Connection, *, account: str, event_prefix: str, queued: int
) -> JobCounts:
    """Where the jobs of the *queued* objects recorded under *event_prefix* stand.

    *queued* is the run's own count of the inbox rows it recorded for a job; the rows
    not yet handled are counted here, and the rest are done.
    """
    waiting = sa.and_(
        inbox.c.status == EventStatus.PENDING,
        inbox.c.account == account,
        inbox.c.event_id.startswith(event_prefix, autoescape=True),
    )
    pending_rows = sa.select(sa.func.count()).select_from(inbox).where(waiting)
    same_object = sa.and_(jobs.c.account == inbox.c.account, jobs.c.object_id == inbox.c.object_id)
    parked = (
        sa.select(sa.func.count(sa.distinct(inbox.c.object_id)))
        .select_from(inbox.join(jobs, same_object))
        .where(
            waiting,
            jobs.c.state == JobState.PARKED,
            # A job parked before the run recorded the object is not the run's.
            jobs.c.updated_at >= inbox.c.received_at,
        )
    )
    with db.connection(database) as conn:
        left = int(conn.execute(pending_rows).scalar_one())
        stuck = int(conn.execute(parked).scalar_one())
    return JobCounts(done=max(queued - left, 0), pending=left - stuck, parked=stuck)
