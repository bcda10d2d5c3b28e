"""The queue's hot statements, as plain SQL for `store.driver`: they run for every claim and
every finished job. `store.queue` holds what they mean.
"""

from __future__ import annotations

from stripe_netsuite.store.job_states import JobState, Outcome
from stripe_netsuite.store.tables import jobs

#: Every column of ``jobs``, in the order `Job` takes them.
JOB_COLUMNS = ", ".join(column.name for column in jobs.c)


def due_sql(state: JobState, *, postgres: bool) -> str:
    """Jobs of *state* that are due (pending, ``run_after`` passed) or lost (running, lease
    run out), no other job of their object running under a live lease; oldest first.

    Parameters: the time (twice), then the limit. The state is a literal, so the planner
    walks the ``(state, run_after)`` index of that state alone and stops at the limit.
    """
    ready = "run_after <= ?" if state == JobState.PENDING else "lease_until <= ?"
    sql = (
        f"SELECT {JOB_COLUMNS} FROM jobs WHERE state = '{state}' AND {ready} AND NOT EXISTS ("
        "SELECT 1 FROM jobs AS other WHERE other.account = jobs.account "
        "AND other.kind = jobs.kind AND other.object_id = jobs.object_id "
        "AND other.id != jobs.id AND other.state = 'running' AND other.lease_until > ?) "
        "ORDER BY run_after, id LIMIT ?"
    )
    return sql + " FOR UPDATE OF jobs SKIP LOCKED" if postgres else sql


def claim_sql(count: int) -> str:
    """The lease of *count* chosen jobs, returning their rows (no re-read). Parameters: lease
    end, worker, time (twice), then the ids."""
    ids = ", ".join("?" * count)
    return (
        f"UPDATE jobs SET state = '{JobState.RUNNING}', attempts = attempts + 1, "
        "lease_until = ?, leased_by = ?, claimed_at = ?, updated_at = ? "
        f"WHERE id IN ({ids}) RETURNING {JOB_COLUMNS}"
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
