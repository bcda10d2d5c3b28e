"""Where a job stands, and how one attempt at it ended (the values the queue stores)."""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    """Where a job stands."""

    #: Waiting for ``run_after``; at most one per object.
    PENDING = "pending"
    #: Claimed by a worker until ``lease_until``.
    RUNNING = "running"
    #: Synced.
    DONE = "done"
    #: Failed permanently; waits for a person (``requeue``) with ``last_error``.
    PARKED = "parked"
    #: Not synced by a named rule (``skip_rule``); not an error.
    SKIPPED = "skipped"


class Outcome(StrEnum):
    """How one attempt at a job ended."""

    #: The job finished.
    DONE = "done"
    #: A transient failure; the job went back to pending with a delay.
    RETRY = "retry"
    #: A permanent failure; the job was parked.
    PARKED = "parked"
    #: A rule skipped the job.
    SKIPPED = "skipped"
    #: The worker was lost mid-run (its lease ran out); recorded when the job is taken back.
    LOST = "lost"
