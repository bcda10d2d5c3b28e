"""The durable job queue: one pending job per object, claimed under a lease.

A job names an object to sync (``account``, ``kind``, ``object_id``), never its data;
the flow fetches the object fresh when the job runs, so ten events for one invoice
coalesce into one pending job that syncs its latest state.

Claiming sets a lease. A worker that dies leaves its jobs ``running`` with a lease
that runs out, and the next :func:`claim` takes them back. Every transition out of
``running`` (:func:`complete`, :func:`retry_later`, :func:`park`, :func:`skip`) only
acts while the caller still holds the lease (same worker, same attempt number), so a
worker whose lease ran out cannot overwrite the new owner; each writes an ``attempts``
row.

No object is ever claimed while another job for it runs under a live lease. On
PostgreSQL, claims take a transaction-level advisory lock, so that check and the
claim happen as one step across processes (a claim is one short SELECT + UPDATE),
and ``FOR UPDATE SKIP LOCKED`` passes over rows another transaction is finishing.
On SQLite, ``BEGIN IMMEDIATE`` makes every claim the single writer.

Every time the queue writes or compares comes from the database's clock
(:func:`database_now`), never the host's: two hosts whose clocks disagree still agree
on whether a lease has run out, so neither takes the other's live job.

An attempt is counted when the job is claimed. A job whose lease runs out (its worker
died mid-run) is recorded as ``lost`` when it is taken back, and once it has used up
its attempts it is parked ("worker lost N times; lease expired") instead of being
claimed again: a job that kills its process every time stops there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from stripe_netsuite import redaction
from stripe_netsuite.store import db, driver, inbox
from stripe_netsuite.store import queue_statements as statements
from stripe_netsuite.store.job_states import JobState as JobState
from stripe_netsuite.store.job_states import Outcome as Outcome
from stripe_netsuite.store.tables import ERROR_TEXT_LIMIT, attempts, jobs

#: PostgreSQL advisory lock key held while claiming.
CLAIM_LOCK_KEY = 0x534E5302


#: The error class recorded for a run whose worker was lost.
LEASE_EXPIRED = "LeaseExpired"


@dataclass(frozen=True)
class Job:
    """A job row as a worker or the console sees it."""

    id: int
    account: str
    kind: str
    object_id: str
    state: JobState
    attempts: int
    run_after: datetime
    lease_until: datetime | None
    leased_by: str | None
    claimed_at: datetime | None
    last_error: str | None
    skip_rule: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Attempt:
    """One run of a job and how it ended."""

    id: int
    job_id: int
    started_at: datetime
    finished_at: datetime
    outcome: Outcome
    error_class: str | None
    error_message: str | None


def _job(row: sa.Row[Any]) -> Job:
    values = dict(row._mapping)
    values["state"] = JobState(values["state"])
    return Job(**values)


def error_text(error: BaseException) -> str:
    """``"ClassName: message"`` with values redacted, cut to the length the store keeps."""
    return capped(redaction.error_text(error))


def error_message(error: BaseException) -> str:
    """The message of an ``attempts`` row: values redacted, cut to the length kept."""
    return capped(redaction.error_message(error))


def lost_text(times: int) -> str:
    """The ``last_error`` of a job parked because its worker kept dying."""
    return f"{LEASE_EXPIRED}: worker lost {times} time{'' if times == 1 else 's'}; lease expired"


def capped(text: str) -> str:
    """``text``, cut to the length the store keeps."""
    if len(text) <= ERROR_TEXT_LIMIT:
        return text
    return text[: ERROR_TEXT_LIMIT - 1] + "…"


def database_now(conn: sa.Connection) -> datetime:
    """The database's current time, in UTC (sub-second; PostgreSQL's ``clock_timestamp()``).

    Leases are compared with this clock only, so a host whose own clock is off can
    neither take a live lease nor give itself a lease that has already run out.
    """
    if db.is_postgres(conn):
        value = conn.execute(_PG_NOW).scalar_one()
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
    # SQLite has no server: its ``'now'`` is read from this host's clock by the library
    # in this process, and every process sharing the file runs on this host (WAL needs
    # shared memory). So the host's clock is the database's clock, without a query.
    return datetime.now(UTC)


_PG_NOW = sa.select(sa.func.clock_timestamp())


def _same_object(table: Any, account: str, kind: str, object_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.account == account, table.c.kind == kind, table.c.object_id == object_id)


# --- enqueue -------------------------------------------------------------------------


def enqueue(
    conn: sa.Connection | sa.Engine,
    *,
    account: str,
    kind: str,
    object_id: str,
    run_after: datetime | None = None,
) -> bool:
    """Ask for an object to be synced; True when a new pending job was created.

    When the object already has a pending job nothing is added (its ``run_after`` is
    pulled earlier if this one is earlier). Pass the webhook's connection so that the
    inbox row and the job commit together.
    """
    for field, value in (("account", account), ("kind", kind), ("object_id", object_id)):
        if not value:
            raise ValueError(f"enqueue: {field} is empty (kind={kind!r}, object_id={object_id!r})")
    with db.connection(conn) as c:
        # "Due now" by the clock the claims compare with, whatever this host's says.
        now = database_now(c)
        when = now if run_after is None else run_after
        at, stamp = (driver.bind_value(c.dialect, jobs.c.run_after, t) for t in (when, now))
        if driver.fetch_one(c, _ENQUEUE, (account, kind, object_id, at, stamp, stamp)):
            return True
        driver.execute(c, _EARLIER, (at, stamp, account, kind, object_id, at))
    return False


#: Through `driver` (one per webhook). The partial index's predicate is a literal, which
#: PostgreSQL must see to match ``uq_jobs_pending_object`` when planning.
_ENQUEUE = (
    "INSERT INTO jobs (account, kind, object_id, state, attempts, run_after, created_at, "
    "updated_at) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?) "
    "ON CONFLICT (account, kind, object_id) WHERE state = 'pending' DO NOTHING RETURNING id"
)
#: The object's pending job is due no later than the new ask.
_EARLIER = (
    "UPDATE jobs SET run_after = ?, updated_at = ? WHERE account = ? AND kind = ? "
    "AND object_id = ? AND state = 'pending' AND run_after > ?"
)


# --- claim and lease -----------------------------------------------------------------


def claim(
    database: sa.Engine,
    *,
    worker_id: str,
    lease_seconds: float,
    limit: int = 1,
    max_attempts: int | None = None,
) -> list[Job]:
    """Lease up to ``limit`` jobs that are due (or whose lease ran out) to ``worker_id``.

    Due and expired are judged by the database's clock. A job taken back from a lost
    worker gets a ``lost`` attempts row; one that has had ``max_attempts`` attempts
    already is parked with `lost_text` instead of being claimed again.
    """
    if limit < 1:
        return []
    if lease_seconds <= 0:
        raise ValueError(f"claim: lease_seconds must be positive, got {lease_seconds}")
    with db.write_transaction(database) as conn:
        if db.is_postgres(conn):
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(CLAIM_LOCK_KEY)))
        # Read after the lock: a claim that waited for it must not judge by an old time.
        now = database_now(conn)
        chosen: list[int] = []
        lost: list[Job] = []
        seen: set[tuple[str, str, str]] = set()
        for row in _due(conn, now, limit):
            key = (row.account, row.kind, row.object_id)
            if key in seen:
                continue
            if row.state == JobState.RUNNING:
                if max_attempts is not None and row.attempts >= max_attempts:
                    _park_lost(conn, row, now)
                    continue  # parked, so another job of its object may run
                lost.append(row)
            seen.add(key)
            chosen.append(row.id)
            if len(chosen) == limit:
                break
        for row in lost:
            conn.execute(sa.insert(attempts).values(**_lost_attempt(row, now, Outcome.LOST)))
        if not chosen:
            return []
        lease, stamp = (
            driver.bind_value(conn.dialect, jobs.c.lease_until, t)
            for t in (now + timedelta(seconds=lease_seconds), now)
        )
        params = (lease, worker_id, stamp, stamp, *chosen)
        taken = driver.fetch_all(conn, statements.claim_sql(len(chosen)), params)
        claimed = {job.id: job for job in _jobs(conn.dialect, taken)}
    return [claimed[job_id] for job_id in chosen]


def _due(conn: sa.Connection, now: datetime, limit: int) -> list[Job]:
    """The jobs a claim may take, oldest ``run_after`` first, with a few spare rows.

    Two queries, each walking the ``(state, run_after)`` index in order and stopping at
    its limit: one ``OR`` of the two states would sort every due job on each claim, a
    cost that grows with the backlog.
    """
    # A few spare rows: two due jobs of one object yield only one claim.
    at = driver.bind_value(conn.dialect, jobs.c.run_after, now)
    params = (at, at, limit * 2 + 8)
    postgres = db.is_postgres(conn)
    rows = [
        *driver.fetch_all(conn, statements.due_sql(JobState.RUNNING, postgres=postgres), params),
        *driver.fetch_all(conn, statements.due_sql(JobState.PENDING, postgres=postgres), params),
    ]
    found = _jobs(conn.dialect, rows)
    found.sort(key=lambda job: (job.run_after, job.id))
    return found


_JOB_PROCESSORS: dict[str, list[driver.Processor | None]] = {}


def _jobs(dialect: sa.Dialect, rows: list[tuple[Any, ...]]) -> list[Job]:
    """Rows of `statements.JOB_COLUMNS`, through the columns' type processors."""
    results = _JOB_PROCESSORS.get(dialect.name)
    if results is None:
        results = _JOB_PROCESSORS[dialect.name] = driver.processors(dialect, list(jobs.c))[1]
    found = []
    for row in rows:
        values = [v if f is None else f(v) for f, v in zip(results, row, strict=True)]
        values[4] = JobState(values[4])
        found.append(Job(*values))
    return found


def _lost_attempt(row: Job, now: datetime, outcome: Outcome) -> dict[str, Any]:
    return {
        "job_id": row.id,
        "started_at": row.claimed_at or now,
        "finished_at": now,
        "outcome": outcome,
        "error_class": LEASE_EXPIRED,
        "error_message": f"lease expired; worker {row.leased_by} lost",
    }


def _park_lost(conn: sa.Connection, row: Job, now: datetime) -> None:
    # Count the lost runs among this round of attempts (a requeue starts a new round).
    earlier = conn.execute(
        sa.select(attempts.c.outcome)
        .where(attempts.c.job_id == row.id)
        .order_by(attempts.c.id.desc())
        .limit(max(row.attempts - 1, 0))
    ).scalars()
    times = 1 + sum(1 for outcome in earlier if outcome == Outcome.LOST)
    conn.execute(sa.insert(attempts).values(**_lost_attempt(row, now, Outcome.PARKED)))
    conn.execute(
        sa.update(jobs)
        .where(jobs.c.id == row.id)
        .values(
            state=JobState.PARKED,
            lease_until=None,
            last_error=lost_text(times),
            updated_at=now,
        )
    )


def _leased(job: Job, worker_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        jobs.c.id == job.id,
        jobs.c.state == JobState.RUNNING,
        jobs.c.leased_by == worker_id,
        jobs.c.attempts == job.attempts,
    )


def extend_lease(database: sa.Engine, job: Job, worker_id: str, lease_seconds: float) -> bool:
    """Push the lease of a running job forward; False when ``worker_id`` no longer holds it.

    The lease is this claim's (same worker, same attempt): a worker that lost the job
    and claimed it again does not keep its old run alive.
    """
    with db.write_transaction(database) as conn:
        now = database_now(conn)
        stmt = (
            sa.update(jobs)
            .where(_leased(job, worker_id))
            .values(lease_until=now + timedelta(seconds=lease_seconds), updated_at=now)
        )
        return conn.execute(stmt).rowcount == 1


# --- finishing a run -----------------------------------------------------------------


def _record_attempt(
    conn: sa.Connection,
    job: Job,
    now: datetime,
    outcome: Outcome,
    error: BaseException | None = None,
) -> None:
    started, finished = (
        driver.bind_value(conn.dialect, attempts.c.started_at, t)
        for t in (job.claimed_at or now, now)
    )
    driver.execute(
        conn,
        statements.RECORD_ATTEMPT,
        (job.id, started, finished, str(outcome),
         None if error is None else type(error).__name__,
         None if error is None else error_message(error)),
    )  # fmt: skip


def _finish(
    database: sa.Engine,
    job: Job,
    worker_id: str,
    outcome: Outcome,
    values: dict[str, Any],
    error: BaseException | None = None,
    *,
    stamp_events: bool = False,
) -> bool:
    with db.write_transaction(database) as conn:
        now = database_now(conn)
        stamp = driver.bind_value(conn.dialect, jobs.c.updated_at, now)
        extra = tuple(values[name] for name in statements.FINISH_COLUMNS[outcome])
        state = str(statements.FINISHED_STATE[outcome])
        params = (state, stamp, *extra, job.id, worker_id, job.attempts)
        if driver.execute(conn, statements.finish_sql(outcome), params) != 1:
            return False
        _record_attempt(conn, job, now, outcome, error)
        if stamp_events:
            inbox.mark_object_handled(
                conn, account=job.account, object_id=job.object_id, received_before=job.claimed_at
            )
    return True


def finish(database: sa.Engine, job: Job, worker_id: str, *, skip_rule: str | None = None) -> bool:
    """Mark a leased job done (or skipped by *skip_rule*) and stamp the inbox events it
    covered (those received before its claim) handled, in one transaction; False (and
    nothing written) when the lease was lost."""
    if skip_rule is None:
        return _finish(database, job, worker_id, Outcome.DONE, {}, stamp_events=True)
    values = {"skip_rule": skip_rule}
    return _finish(database, job, worker_id, Outcome.SKIPPED, values, stamp_events=True)


def complete(database: sa.Engine, job: Job, worker_id: str) -> bool:
    """Mark a leased job done; False (and nothing written) when the lease was lost."""
    return _finish(database, job, worker_id, Outcome.DONE, {})


def park(database: sa.Engine, job: Job, worker_id: str, *, error: BaseException) -> bool:
    """Park a leased job with ``last_error`` for a person; False if the lease was lost."""
    values = {"last_error": error_text(error)}
    return _finish(database, job, worker_id, Outcome.PARKED, values, error)


def skip(database: sa.Engine, job: Job, worker_id: str, *, rule: str) -> bool:
    """Record that a named rule skipped a leased job; False if the lease was lost."""
    return _finish(database, job, worker_id, Outcome.SKIPPED, {"skip_rule": rule})


def retry_later(
    database: sa.Engine,
    job: Job,
    worker_id: str,
    *,
    error: BaseException,
    delay_seconds: float,
) -> bool:
    """Send a leased job back to pending after ``delay_seconds``; False if the lease was lost.

    If the object got a new pending job meanwhile, the two merge: the pending job keeps
    the earlier ``run_after`` and this job's attempts, and this row is dropped.
    """
    with db.write_transaction(database) as conn:
        now = database_now(conn)
        row = _lock(conn, sa.select(jobs).where(_leased(job, worker_id)))
        if row is None:
            return False
        _record_attempt(conn, job, now, Outcome.RETRY, error)
        _to_pending(
            conn,
            row,
            now=now,
            run_after=now + timedelta(seconds=max(0.0, delay_seconds)),
            attempt_count=job.attempts,
            last_error=error_text(error),
        )
    return True


def _lock(conn: sa.Connection, stmt: sa.Select[Any]) -> sa.Row[Any] | None:
    if db.is_postgres(conn):
        stmt = stmt.with_for_update()
    return conn.execute(stmt).first()


def _to_pending(
    conn: sa.Connection,
    row: sa.Row[Any],
    *,
    now: datetime,
    run_after: datetime,
    attempt_count: int,
    last_error: str | None,
) -> None:
    """Make ``row`` the object's pending job, or fold it into the pending job it has."""
    try:
        with conn.begin_nested():
            conn.execute(
                sa.update(jobs)
                .where(jobs.c.id == row.id)
                .values(
                    state=JobState.PENDING,
                    run_after=run_after,
                    attempts=attempt_count,
                    last_error=last_error,
                    lease_until=None,
                    leased_by=None,
                    skip_rule=None,
                    updated_at=now,
                )
            )
        return
    except sa.exc.IntegrityError:
        pass  # the object has a pending job already: merge into it
    pending = _lock(
        conn,
        sa.select(jobs).where(
            _same_object(jobs, row.account, row.kind, row.object_id),
            jobs.c.state == JobState.PENDING,
        ),
    )
    if pending is None:  # pragma: no cover - the unique index said it exists
        raise RuntimeError(f"job {row.id}: conflicting pending job vanished")
    conn.execute(sa.update(attempts).where(attempts.c.job_id == row.id).values(job_id=pending.id))
    conn.execute(
        sa.update(jobs)
        .where(jobs.c.id == pending.id)
        .values(
            run_after=min(pending.run_after, run_after),
            attempts=max(pending.attempts, attempt_count),
            last_error=last_error if last_error is not None else pending.last_error,
            updated_at=now,
        )
    )
    conn.execute(sa.delete(jobs).where(jobs.c.id == row.id))


# --- operators -----------------------------------------------------------------------


def requeue(database: sa.Engine, *, job_id: int | None = None, account: str | None = None) -> int:
    """Send parked jobs back to pending, due now; returns how many.

    With ``job_id``, that one job (parked or skipped); otherwise every parked job, of
    one ``account`` when given. A requeued job starts its attempts afresh and merges
    into the object's pending job if it has one.
    """
    states: Iterable[str] = (JobState.PARKED,)
    stmt = sa.select(jobs)
    if job_id is not None:
        states = (JobState.PARKED, JobState.SKIPPED)
        stmt = stmt.where(jobs.c.id == job_id)
    if account is not None:
        stmt = stmt.where(jobs.c.account == account)
    stmt = stmt.where(jobs.c.state.in_(list(states))).order_by(jobs.c.id)
    with db.write_transaction(database) as conn:
        now = database_now(conn)
        if db.is_postgres(conn):
            stmt = stmt.with_for_update(skip_locked=True)
        rows = conn.execute(stmt).all()
        for row in rows:
            _to_pending(
                conn, row, now=now, run_after=now, attempt_count=0, last_error=row.last_error
            )
    return len(rows)


# --- reading -------------------------------------------------------------------------


def list_jobs(
    database: sa.Engine | sa.Connection,
    *,
    state: JobState | str | None = None,
    limit: int = 100,
    account: str | None = None,
    kind: str | None = None,
    offset: int = 0,
) -> list[Job]:
    """Jobs, most recently changed first, optionally of one state, account and kind."""
    stmt = sa.select(jobs)
    if state is not None:
        stmt = stmt.where(jobs.c.state == JobState(state))
    if account is not None:
        stmt = stmt.where(jobs.c.account == account)
    if kind is not None:
        stmt = stmt.where(jobs.c.kind == kind)
    stmt = stmt.order_by(jobs.c.updated_at.desc(), jobs.c.id.desc()).limit(limit).offset(offset)
    with db.connection(database) as conn:
        return [_job(row) for row in conn.execute(stmt)]


def counts(database: sa.Engine | sa.Connection) -> dict[tuple[str, str], int]:
    """Jobs per (kind, state); only pairs that occur."""
    stmt = sa.select(jobs.c.kind, jobs.c.state, sa.func.count()).group_by(jobs.c.kind, jobs.c.state)
    with db.connection(database) as conn:
        return {(kind, state): n for kind, state, n in conn.execute(stmt)}


def is_idle(database: sa.Engine | sa.Connection) -> bool:
    """True when no job is pending or running."""
    stmt = sa.select(jobs.c.id).where(jobs.c.state.in_([JobState.PENDING, JobState.RUNNING]))
    with db.connection(database) as conn:
        return conn.execute(stmt.limit(1)).first() is None
