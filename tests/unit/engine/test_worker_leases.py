"""The worker and its leases: a lost lease cancels the job, a crash loop is parked.

Waits are bounded (``asyncio.timeout``) and nothing is asserted about speed: each test
waits for a state to be reached, never for a time to pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from stripe_netsuite.engine.job_store import SqlJobStore
from stripe_netsuite.engine.worker import Worker
from stripe_netsuite.retry import RetryPolicy
from stripe_netsuite.store import db, queue, tables
from stripe_netsuite.store.queue import Job, JobState, Outcome
from stripe_netsuite.testing import InMemoryJobStore, ManualClock

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=4, base_seconds=2.0, cap_seconds=5.0, unexpected_attempts=3)


@pytest.fixture
def database(database_url: str) -> Iterator[sa.Engine]:
    engine = db.make_database(database_url)
    db.migrate(engine)
    yield engine
    engine.dispose()


async def until(condition: Callable[[], bool], *, within: float = 20.0) -> None:
    """Wait until *condition* is true; fail after *within* seconds."""
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(0.005)


def _expire(database: sa.Engine) -> None:
    with database.begin() as conn:
        conn.execute(
            sa.update(tables.jobs)
            .where(tables.jobs.c.state == JobState.RUNNING)
            .values(lease_until=db.utcnow() - timedelta(minutes=10))
        )


def _take_over(database: sa.Engine) -> list[Job]:
    # The old owner's renewals did not reach the database in time: the lease ran out
    # and another worker claims the job. A renewal may land between the two steps, so
    # the caller tries again until the claim succeeds.
    _expire(database)
    return queue.claim(database, worker_id="w2", lease_seconds=60)


async def test_a_worker_whose_lease_was_taken_over_cancels_its_job(database: sa.Engine) -> None:
    queue.enqueue(database, account="acct_1", kind="invoice", object_id="in_1")
    started = asyncio.Event()
    seen: list[str] = []

    async def slow_flow(account: str, kind: str, object_id: str) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        seen.append("finished")

    worker = Worker(
        store=SqlJobStore(database),
        handler=slow_flow,
        concurrency=1,  # the running job fills it: w1 does not claim the job back itself
        lease_seconds=0.3,
        poll_seconds=0.01,
        name="w1",
    )
    runner = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(20):
            await started.wait()
        taken: list[Job] = []

        async def claimed_by_w2() -> None:
            while not taken:
                taken.extend(await asyncio.to_thread(_take_over, database))

        async with asyncio.timeout(20):
            await claimed_by_w2()
        await until(lambda: seen == ["cancelled"])
        [new] = taken
        assert await asyncio.to_thread(queue.complete, database, new, "w2")
    finally:
        worker.stop()
        async with asyncio.timeout(20):
            await runner
    [job] = queue.list_jobs(database)
    assert (job.state, job.leased_by, job.attempts, job.last_error) == (
        JobState.DONE,
        "w2",
        2,
        None,
    )
    with database.connect() as conn:
        rows = conn.execute(
            sa.select(tables.attempts.c.outcome, tables.attempts.c.error_message).order_by(
                tables.attempts.c.id
            )
        ).all()
    # w1's run is recorded as lost (by w2's claim); w1 itself wrote nothing.
    assert [tuple(r) for r in rows] == [
        (Outcome.LOST, "lease expired; worker w1 lost"),
        (Outcome.DONE, None),
    ]


async def test_the_worker_parks_a_job_whose_worker_was_lost_too_often() -> None:
    clock = ManualClock(START)
    store = InMemoryJobStore(clock=clock)
    job = store.enqueue(account="acct_1", kind="invoice", object_id="in_1")
    for n in range(POLICY.max_attempts):
        # A process claims the job and dies with it, again and again.
        assert store.claim(worker_id=f"gone{n}", lease_seconds=60, limit=1)
        clock.now += timedelta(minutes=2)
    runs: list[str] = []

    async def flow(account: str, kind: str, object_id: str) -> None:
        runs.append(object_id)

    worker = Worker(store=store, handler=flow, retry=POLICY, poll_seconds=0.001, name="w1")
    runner = asyncio.create_task(worker.run())
    try:
        await until(lambda: store.job(job.id).state is JobState.PARKED)
    finally:
        worker.stop()
        await runner
    assert runs == []
    parked = store.job(job.id)
    assert parked.last_error == "LeaseExpired: worker lost 4 times; lease expired"
    assert [a.outcome for a in store.attempts_of(job.id)] == [Outcome.LOST] * 3 + [Outcome.PARKED]


class FlakyRenewals(InMemoryJobStore):
    """Renewing a lease fails the first *failures* times, as a database restarting would."""

    def __init__(self, *, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.renewals = 0

    def extend_lease(self, job: Job, *, worker_id: str, lease_seconds: float) -> bool:
        self.renewals += 1
        if self.renewals <= self.failures:
            raise sa.exc.OperationalError("UPDATE jobs", {}, Exception("server closed"))
        return super().extend_lease(job, worker_id=worker_id, lease_seconds=lease_seconds)


async def test_a_failed_lease_renewal_is_tried_again_and_the_job_finishes() -> None:
    store = FlakyRenewals(failures=2)
    job = store.enqueue(account="acct_1", kind="invoice", object_id="in_1")

    async def long_flow(account: str, kind: str, object_id: str) -> None:
        await until(lambda: store.renewals >= 4)

    # One slot: the worker does not claim its own job back while the renewals fail.
    worker = Worker(
        store=store, handler=long_flow, concurrency=1, lease_seconds=0.03, poll_seconds=0.001
    )
    runner = asyncio.create_task(worker.run())
    try:
        await until(lambda: store.job(job.id).state is JobState.DONE)
    finally:
        worker.stop()
        await runner
    assert [a.outcome for a in store.attempts_of(job.id)] == [Outcome.DONE]
