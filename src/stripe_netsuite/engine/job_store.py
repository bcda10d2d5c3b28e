"""What the worker needs from the job queue, and the database-backed implementation.

The worker sees jobs only through `JobStore`, so its outcome policy can be driven over
an in-memory store (`stripe_netsuite.testing`) as well as over SQL. The methods block
(the worker calls them in a thread) but `finish` and `claim_async`, which every job goes
through and which the store runs where they cost least; every transition out of
``running`` acts only while the caller still holds the job's lease and answers False
otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa

from stripe_netsuite.store import db, queue


class JobStore(Protocol):
    """The job operations one worker performs."""

    def claim(
        self, *, worker_id: str, lease_seconds: float, limit: int, max_attempts: int | None = None
    ) -> list[queue.Job]:
        """Lease up to *limit* due jobs to *worker_id*.

        A job whose lease ran out with *max_attempts* attempts made is parked instead
        ("worker lost N times; lease expired"): its run keeps killing the worker.
        """
        ...

    async def claim_async(
        self, *, worker_id: str, lease_seconds: float, limit: int, max_attempts: int | None = None
    ) -> list[queue.Job]:
        """`claim`, awaited by the worker: the store runs it where it costs least."""
        ...

    def extend_lease(self, job: queue.Job, *, worker_id: str, lease_seconds: float) -> bool:
        """Push this claim's lease forward; False once *worker_id* no longer holds it."""
        ...

    async def finish(self, job: queue.Job, *, worker_id: str, skip_rule: str | None = None) -> bool:
        """Mark the job done (or skipped by the named *skip_rule*) and stamp the inbox events
        it covered (those received before its claim) handled, as one step. Awaited (every
        job ends here): the store decides where it runs."""
        ...

    def park(self, job: queue.Job, *, worker_id: str, error: BaseException) -> bool:
        """Park the job with *error* as its ``last_error`` until a person acts."""
        ...

    def retry_later(
        self, job: queue.Job, *, worker_id: str, error: BaseException, delay_seconds: float
    ) -> bool:
        """Send the job back to pending, due after *delay_seconds*."""
        ...


@dataclass(frozen=True)
class SqlJobStore:
    """`JobStore` over the database: the queue in ``store.queue``, the inbox in ``store.inbox``."""

    database: sa.Engine

    def claim(
        self, *, worker_id: str, lease_seconds: float, limit: int, max_attempts: int | None = None
    ) -> list[queue.Job]:
        """See `JobStore.claim`."""
        return queue.claim(
            self.database,
            worker_id=worker_id,
            lease_seconds=lease_seconds,
            limit=limit,
            max_attempts=max_attempts,
        )

    async def claim_async(
        self, *, worker_id: str, lease_seconds: float, limit: int, max_attempts: int | None = None
    ) -> list[queue.Job]:
        """See `JobStore.claim_async`: `db.run_write` (on SQLite, the event loop when it can)."""
        return await db.run_write(
            self.database, queue.claim, worker_id=worker_id, lease_seconds=lease_seconds,
            limit=limit, max_attempts=max_attempts,
        )  # fmt: skip

    def extend_lease(self, job: queue.Job, *, worker_id: str, lease_seconds: float) -> bool:
        """See `JobStore.extend_lease`."""
        return queue.extend_lease(self.database, job, worker_id, lease_seconds)

    async def finish(self, job: queue.Job, *, worker_id: str, skip_rule: str | None = None) -> bool:
        """See `JobStore.finish`: one transaction (`db.run_write`)."""
        return await db.run_write(self.database, queue.finish, job, worker_id, skip_rule=skip_rule)

    def park(self, job: queue.Job, *, worker_id: str, error: BaseException) -> bool:
        """See `JobStore.park`."""
        return queue.park(self.database, job, worker_id, error=error)

    def retry_later(
        self, job: queue.Job, *, worker_id: str, error: BaseException, delay_seconds: float
    ) -> bool:
        """See `JobStore.retry_later`."""
        return queue.retry_later(
            self.database, job, worker_id, error=error, delay_seconds=delay_seconds
        )
