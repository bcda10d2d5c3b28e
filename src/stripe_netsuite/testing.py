"""Test doubles that ship with the engine: a job store in memory and a clock tests move.

`InMemoryJobStore` implements the worker's `JobStore` with plain dictionaries and
follows the SQL queue's rules (one pending job per object, no object claimed twice
under a live lease, every transition guarded by the lease, a lost run recorded when its
job is taken back and a job whose worker keeps dying parked), so a real `Worker` can be
driven without a database and its outcomes read back exactly. Its *clock* plays the
database's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from stripe_netsuite.store import db
from stripe_netsuite.store.queue import (
    LEASE_EXPIRED,
    Attempt,
    Job,
    JobState,
    Outcome,
    error_message,
    error_text,
    lost_text,
)


@dataclass
class ManualClock:
    """A clock that stands still until a test sets `now`."""

    now: datetime = field(default_factory=db.utcnow)

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Handled:
    """One call of `InMemoryJobStore.events_handled`: whose inbox events were stamped."""

    account: str
    object_id: str
    received_before: datetime | None


class InMemoryJobStore:
    """The job queue in memory, behind the worker's `JobStore` protocol.

    Jobs, attempts and the inbox stamps live in dictionaries and lists; a lock keeps
    them whole when the worker calls in from several threads. *clock* says what time it
    is (a `ManualClock` lets a test decide when a retried job falls due).
    """

    def __init__(self, *, clock: Callable[[], datetime] = db.utcnow) -> None:
        self.clock = clock
        self.jobs: dict[int, Job] = {}
        self.attempts: list[Attempt] = []
        self.handled: list[Handled] = []
        self._ids = itertools.count(1)
        self._attempt_ids = itertools.count(1)
        self._lock = threading.Lock()

    # -- what tests set up and read back ----------------------------------------------

    def enqueue(
        self, *, account: str, kind: str, object_id: str, run_after: datetime | None = None
    ) -> Job:
        """Queue an object (due now unless *run_after*); its pending job if it has one."""
        with self._lock:
            now = self.clock()
            when = now if run_after is None else run_after
            pending = self._pending_of(account, kind, object_id)
            if pending is not None:
                if when < pending.run_after:
                    pending = self._save(pending, run_after=when, updated_at=now)
                return pending
            job = Job(
                id=next(self._ids),
                account=account,
                kind=kind,
                object_id=object_id,
                state=JobState.PENDING,
                attempts=0,
                run_after=when,
                lease_until=None,
                leased_by=None,
                claimed_at=None,
                last_error=None,
                skip_rule=None,
                created_at=now,
                updated_at=now,
            )
            self.jobs[job.id] = job
            return job

    def job(self, job_id: int) -> Job:
        """The job as it stands now."""
        with self._lock:
            return self.jobs[job_id]

    def attempts_of(self, job_id: int) -> list[Attempt]:
        """The attempts recorded for one job, oldest first."""
        with self._lock:
            return [a for a in self.attempts if a.job_id == job_id]

    def due(self) -> bool:
        """True while a job is running or a pending job is due at the clock's time."""
        with self._lock:
            now = self.clock()
            return any(
                job.state is JobState.RUNNING
                or (job.state is JobState.PENDING and job.run_after <= now)
                for job in self.jobs.values()
            )

    # -- the JobStore protocol -------------------------------------------------------

    async def claim_async(
        self, *, worker_id: str, lease_seconds: float, limit: int, max_attempts: int | None = None
    ) -> list[Job]:
        """See `JobStore.claim_async`: `claim` in a thread, as a database's would run."""
        return await asyncio.to_thread(
            self.claim, worker_id=worker_id, lease_seconds=lease_seconds, limit=limit,
            max_attempts=max_attempts,
        )  # fmt: skip

    def claim(
        self, *, worker_id: str, lease_seconds: float, limit: int, max_attempts: int | None = None
    ) -> list[Job]:
        """See `JobStore.claim`; a lost job is recorded, and parked past *max_attempts*."""
        if limit < 1:
            return []
        with self._lock:
            now = self.clock()
            busy = {
                (j.account, j.kind, j.object_id)
                for j in self.jobs.values()
                if j.state is JobState.RUNNING and j.lease_until is not None and j.lease_until > now
            }
            due = sorted(
                (
                    j
                    for j in self.jobs.values()
                    if (j.state is JobState.PENDING and j.run_after <= now)
                    or (
                        j.state is JobState.RUNNING
                        and j.lease_until is not None
                        and j.lease_until <= now
                    )
                ),
                key=lambda j: (j.run_after, j.id),
            )
            claimed: list[Job] = []
            for job in due:
                key = (job.account, job.kind, job.object_id)
                if key in busy:
                    continue
                if job.state is JobState.RUNNING:
                    if max_attempts is not None and job.attempts >= max_attempts:
                        self._park_lost(job, now)
                        continue
                    self._record_lost(job, now, Outcome.LOST)
                busy.add(key)
                claimed.append(
                    self._save(
                        job,
                        state=JobState.RUNNING,
                        lease_until=now + timedelta(seconds=lease_seconds),
                        leased_by=worker_id,
                        claimed_at=now,
                        attempts=job.attempts + 1,
                        updated_at=now,
                    )
                )
                if len(claimed) == limit:
                    break
            return claimed

    def extend_lease(self, job: Job, *, worker_id: str, lease_seconds: float) -> bool:
        """See `JobStore.extend_lease`."""
        with self._lock:
            if not self._holds(job, worker_id):
                return False
            now = self.clock()
            self._save(
                self.jobs[job.id],
                lease_until=now + timedelta(seconds=lease_seconds),
                updated_at=now,
            )
            return True

    def complete(self, job: Job, *, worker_id: str) -> bool:
        """See `JobStore.complete`."""
        return self._finish(job, worker_id, Outcome.DONE, {"state": JobState.DONE})

    def skip(self, job: Job, *, worker_id: str, rule: str) -> bool:
        """See `JobStore.skip`."""
        values = {"state": JobState.SKIPPED, "skip_rule": rule}
        return self._finish(job, worker_id, Outcome.SKIPPED, values)

    def park(self, job: Job, *, worker_id: str, error: BaseException) -> bool:
        """See `JobStore.park`."""
        values = {"state": JobState.PARKED, "last_error": error_text(error)}
        return self._finish(job, worker_id, Outcome.PARKED, values, error)

    def retry_later(
        self, job: Job, *, worker_id: str, error: BaseException, delay_seconds: float
    ) -> bool:
        """See `JobStore.retry_later`; like SQL, merges into a pending job the object got."""
        with self._lock:
            if not self._holds(job, worker_id):
                return False
            now = self.clock()
            self._record(job, now, Outcome.RETRY, error)
            run_after = now + timedelta(seconds=max(0.0, delay_seconds))
            pending = self._pending_of(job.account, job.kind, job.object_id)
            if pending is None:
                self._save(
                    self.jobs[job.id],
                    state=JobState.PENDING,
                    run_after=run_after,
                    attempts=job.attempts,
                    last_error=error_text(error),
                    lease_until=None,
                    leased_by=None,
                    skip_rule=None,
                    updated_at=now,
                )
                return True
            self.attempts = [
                dataclasses.replace(a, job_id=pending.id) if a.job_id == job.id else a
                for a in self.attempts
            ]
            self._save(
                pending,
                run_after=min(pending.run_after, run_after),
                attempts=max(pending.attempts, job.attempts),
                last_error=error_text(error),
                updated_at=now,
            )
            del self.jobs[job.id]
            return True

    async def finish(self, job: Job, *, worker_id: str, skip_rule: str | None = None) -> bool:
        """See `JobStore.finish`; the events stamped are recorded in `handled`."""
        if skip_rule is None:
            finished = self.complete(job, worker_id=worker_id)
        else:
            finished = self.skip(job, worker_id=worker_id, rule=skip_rule)
        if finished:
            self.events_handled(job)
        return finished

    def events_handled(self, job: Job) -> None:
        """Stamp the job's inbox events handled; recorded in `handled`."""
        with self._lock:
            self.handled.append(Handled(job.account, job.object_id, job.claimed_at))

    # -- inside ---------------------------------------------------------------------

    def _finish(
        self,
        job: Job,
        worker_id: str,
        outcome: Outcome,
        values: dict[str, Any],
        error: BaseException | None = None,
    ) -> bool:
        with self._lock:
            if not self._holds(job, worker_id):
                return False
            now = self.clock()
            self._save(self.jobs[job.id], lease_until=None, updated_at=now, **values)
            self._record(job, now, outcome, error)
            return True

    def _holds(self, job: Job, worker_id: str) -> bool:
        # The lease token of the SQL queue: same worker, same attempt, still running.
        current = self.jobs.get(job.id)
        return (
            current is not None
            and current.state is JobState.RUNNING
            and current.leased_by == worker_id
            and current.attempts == job.attempts
        )

    def _pending_of(self, account: str, kind: str, object_id: str) -> Job | None:
        for job in self.jobs.values():
            if job.state is JobState.PENDING and (job.account, job.kind, job.object_id) == (
                account,
                kind,
                object_id,
            ):
                return job
        return None

    def _record_lost(self, job: Job, now: datetime, outcome: Outcome) -> None:
        self.attempts.append(
            Attempt(
                id=next(self._attempt_ids),
                job_id=job.id,
                started_at=job.claimed_at or now,
                finished_at=now,
                outcome=outcome,
                error_class=LEASE_EXPIRED,
                error_message=f"lease expired; worker {job.leased_by} lost",
            )
        )

    def _park_lost(self, job: Job, now: datetime) -> None:
        # As the SQL queue: the lost runs among this round of attempts, this one included.
        earlier = [a.outcome for a in self.attempts if a.job_id == job.id]
        recent = earlier[-(job.attempts - 1) :] if job.attempts > 1 else []
        times = 1 + recent.count(Outcome.LOST)
        self._record_lost(job, now, Outcome.PARKED)
        self._save(
            job,
            state=JobState.PARKED,
            lease_until=None,
            last_error=lost_text(times),
            updated_at=now,
        )

    def _save(self, job: Job, **changes: Any) -> Job:
        saved = dataclasses.replace(job, **changes)
        self.jobs[saved.id] = saved
        return saved

    def _record(
        self, job: Job, now: datetime, outcome: Outcome, error: BaseException | None
    ) -> None:
        self.attempts.append(
            Attempt(
                id=next(self._attempt_ids),
                job_id=job.id,
                started_at=job.claimed_at or now,
                finished_at=now,
                outcome=outcome,
                error_class=None if error is None else type(error).__name__,
                error_message=None if error is None else error_message(error),
            )
        )
