"""What the console reads from the store: counts per flow, the queue's lag, the jobs that
wait for a person grouped by error pattern, one object's history; and `due_now`, which
makes retrying jobs run without waiting out their backoff."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from stripe_netsuite.store import db, queue
from stripe_netsuite.store.links import Link
from stripe_netsuite.store.tables import attempts, cursors, inbox, jobs, links

#: Buckets of the overview, in the order shown.
BUCKETS = ("synced", "pending", "retrying", "running", "parked", "skipped")


def flow_counts(database: sa.Engine) -> dict[str, dict[str, int]]:
    """Jobs per kind and bucket: a pending job that has failed before is ``retrying``."""
    retried = sa.case((jobs.c.attempts > 0, "retrying"), else_="pending")
    bucket = sa.case(
        (jobs.c.state == queue.JobState.DONE, "synced"),
        (jobs.c.state == queue.JobState.PENDING, retried),
        else_=jobs.c.state,
    ).label("bucket")
    stmt = sa.select(jobs.c.kind, bucket, sa.func.count()).group_by(jobs.c.kind, bucket)
    found: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BUCKETS, 0))
    with database.connect() as conn:
        for kind, name, count in conn.execute(stmt):
            found[kind][name] = count
    return dict(sorted(found.items()))


def oldest_pending(database: sa.Engine) -> datetime | None:
    """When the oldest pending job was queued (None when nothing waits)."""
    stmt = sa.select(sa.func.min(jobs.c.created_at)).where(jobs.c.state == queue.JobState.PENDING)
    with database.connect() as conn:
        value = conn.execute(stmt).scalar()
    if value is None:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def lag_seconds(database: sa.Engine) -> float:
    """Seconds the oldest pending job has waited (0 when nothing waits)."""
    oldest = oldest_pending(database)
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=db.utcnow().tzinfo)
    return max(0.0, (db.utcnow() - oldest).total_seconds())


def cursor_times(database: sa.Engine, prefix: str) -> dict[str, datetime]:
    """When each cursor whose name starts with *prefix* last moved."""
    stmt = sa.select(cursors.c.name, cursors.c.updated_at).where(cursors.c.name.startswith(prefix))
    with database.connect() as conn:
        return {name: at for name, at in conn.execute(stmt)}


_NUMBERS = re.compile(r"\b(?:[a-z]{2,5}_[A-Za-z0-9]{6,}|\d+(?:\.\d+)?)\b")


def pattern(error: str | None) -> str:
    """An error text with ids and numbers blanked, so that alike errors group together."""
    if not error:
        return "(no error text)"
    return _NUMBERS.sub("…", error)


@dataclass
class ErrorGroup:
    """Jobs that wait for a person and failed alike."""

    pattern: str
    jobs: list[queue.Job] = field(default_factory=list)


def error_jobs(database: sa.Engine, *, limit: int = 2000) -> list[queue.Job]:
    """Parked jobs and pending ones that have failed before, most recently changed first."""
    waiting = sa.or_(
        jobs.c.state == queue.JobState.PARKED,
        sa.and_(jobs.c.state == queue.JobState.PENDING, jobs.c.last_error.is_not(None)),
    )
    stmt = sa.select(jobs).where(waiting).order_by(jobs.c.updated_at.desc()).limit(limit)
    with database.connect() as conn:
        return [_job(row) for row in conn.execute(stmt)]


def group(found: list[queue.Job]) -> list[ErrorGroup]:
    """*found* grouped by `pattern`, the largest group first."""
    groups: dict[str, ErrorGroup] = {}
    for job in found:
        key = pattern(job.last_error)
        groups.setdefault(key, ErrorGroup(key)).jobs.append(job)
    return sorted(groups.values(), key=lambda g: (-len(g.jobs), g.pattern))


def _job(row: Any) -> queue.Job:
    values = dict(row._mapping)
    values["state"] = queue.JobState(values["state"])
    return queue.Job(**values)


@dataclass(frozen=True)
class Event:
    """One event received for an object."""

    account: str
    event_id: str
    event_type: str
    received_at: datetime
    status: str


@dataclass
class Lineage:
    """Everything the store knows of one object."""

    object_id: str
    events: list[Event]
    jobs: list[queue.Job]
    attempts: dict[int, list[queue.Attempt]]
    links: list[Link]


def lineage(database: sa.Engine, object_id: str) -> Lineage:
    """The events, jobs, attempts and NetSuite links of a Stripe id or a NetSuite internal id.

    A NetSuite internal id is turned into the Stripe ids linked to it first.
    """
    with database.connect() as conn:
        stripe_ids = {object_id}
        stripe_ids |= set(
            conn.execute(sa.select(links.c.stripe_id).where(links.c.internal_id == object_id))
            .scalars()
            .all()
        )
        events = [
            Event(r.account, r.event_id, r.event_type, r.received_at, r.status)
            for r in conn.execute(
                sa.select(inbox).where(inbox.c.object_id.in_(stripe_ids)).order_by(inbox.c.id)
            )
        ]
        found = [
            _job(r)
            for r in conn.execute(
                sa.select(jobs).where(jobs.c.object_id.in_(stripe_ids)).order_by(jobs.c.id)
            )
        ]
        tried: dict[int, list[queue.Attempt]] = defaultdict(list)
        if found:
            rows = conn.execute(
                sa.select(attempts)
                .where(attempts.c.job_id.in_([j.id for j in found]))
                .order_by(attempts.c.id)
            )
            for r in rows:
                values = dict(r._mapping)
                values["outcome"] = queue.Outcome(values["outcome"])
                tried[r.job_id].append(queue.Attempt(**values))
        made = [
            Link(**r._mapping)
            for r in conn.execute(
                sa.select(links).where(links.c.stripe_id.in_(stripe_ids)).order_by(links.c.role)
            )
        ]
    return Lineage(object_id, events, found, dict(tried), made)


def job(database: sa.Engine, job_id: int) -> queue.Job | None:
    """One job by id."""
    with database.connect() as conn:
        row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    return None if row is None else _job(row)


def due_now(database: sa.Engine, job_ids: list[int]) -> int:
    """Make these pending (retrying) jobs due now instead of after their backoff."""
    if not job_ids:
        return 0
    with db.write_transaction(database) as conn:
        now = queue.database_now(conn)
        done = conn.execute(
            sa.update(jobs)
            .where(jobs.c.id.in_(job_ids), jobs.c.state == queue.JobState.PENDING)
            .values(run_after=now, updated_at=now)
        )
        return int(done.rowcount)
