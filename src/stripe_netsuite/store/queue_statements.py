"""The queue's hot statements, built once per dialect (`db.prebuilt`) and run with bound values.

Building a statement costs more CPU than running it; these run for every claim and every
finished job. `store.queue` holds what they mean.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from stripe_netsuite.store import db
from stripe_netsuite.store.job_states import JobState, Outcome
from stripe_netsuite.store.tables import jobs


def due(conn: sa.Connection, state: JobState) -> Any:
    """Pending jobs that are due, or running jobs whose lease ran out (by ``b_now``)."""

    def build() -> sa.Select[Any]:
        now = sa.bindparam("b_now", type_=jobs.c.run_after.type)
        other = jobs.alias("other")
        busy = (
            sa.select(other.c.id)
            .where(
                other.c.account == jobs.c.account,
                other.c.kind == jobs.c.kind,
                other.c.object_id == jobs.c.object_id,
                other.c.id != jobs.c.id,
                other.c.state == JobState.RUNNING,
                other.c.lease_until > now,
            )
            .exists()
        )
        ready = jobs.c.run_after <= now if state == JobState.PENDING else jobs.c.lease_until <= now
        # A literal state, so the planner walks the index of that state alone.
        stmt = (
            sa.select(jobs)
            .where(jobs.c.state == sa.literal_column(f"'{state}'"), ready, ~busy)
            .order_by(jobs.c.run_after, jobs.c.id)
            .limit(sa.bindparam("b_limit", type_=sa.Integer()))
        )
        if db.is_postgres(conn):
            stmt = stmt.with_for_update(skip_locked=True, of=jobs)
        return stmt

    return db.prebuilt(conn, f"queue.claim.due.{state}", build)


def claim_update(conn: sa.Connection) -> Any:
    """The lease of the chosen jobs, returning their rows (one statement, no re-read)."""
    return db.prebuilt(
        conn,
        "queue.claim.update",
        lambda: (
            sa.update(jobs)
            .where(jobs.c.id.in_(sa.bindparam("b_ids", expanding=True)))
            .values(
                state=JobState.RUNNING,
                lease_until=sa.bindparam("b_lease_until", type_=jobs.c.lease_until.type),
                leased_by=sa.bindparam("b_worker"),
                claimed_at=sa.bindparam("b_now", type_=jobs.c.claimed_at.type),
                attempts=jobs.c.attempts + 1,
                updated_at=sa.bindparam("b_now", type_=jobs.c.updated_at.type),
            )
            .returning(*jobs.c)
        ),
    )


#: The columns each way out of ``running`` sets besides the lease and the time.
FINISH_COLUMNS: dict[Outcome, tuple[str, ...]] = {
    Outcome.DONE: (),
    Outcome.PARKED: ("last_error",),
    Outcome.SKIPPED: ("skip_rule",),
}


def finish_sql(outcome: Outcome) -> str:
    """The UPDATE that ends a leased run with *outcome* (for `driver`): parameters are the
    new state, the time, the values of `FINISH_COLUMNS`, then id, worker and attempts."""
    sets = "".join(f", {name} = ?" for name in FINISH_COLUMNS[outcome])
    return (
        f"UPDATE jobs SET state = ?, lease_until = NULL, updated_at = ?{sets} "
        "WHERE id = ? AND state = 'running' AND leased_by = ? AND attempts = ?"
    )


#: The state each way out of ``running`` leaves a job in (retries go back to pending).
FINISHED_STATE: dict[Outcome, JobState] = {
    Outcome.DONE: JobState.DONE,
    Outcome.PARKED: JobState.PARKED,
    Outcome.SKIPPED: JobState.SKIPPED,
}

#: One row per run of a job, whatever its outcome.
RECORD_ATTEMPT = (
    "INSERT INTO attempts (job_id, started_at, finished_at, outcome, error_class, "
    "error_message) VALUES (?, ?, ?, ?, ?, ?)"
)
