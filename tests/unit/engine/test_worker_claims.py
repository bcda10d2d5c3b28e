"""How often the worker asks the store for jobs: in batches while it is busy, once when idle.

Each claim is a write transaction on the real store, so a worker that claimed one job per
finished job, or asked again right after a claim that found less than it wanted, paid a
transaction for nothing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from stripe_netsuite.engine.worker import Worker
from stripe_netsuite.store.queue import Job, JobState
from stripe_netsuite.testing import InMemoryJobStore, ManualClock

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class CountingStore(InMemoryJobStore):
    """The in-memory store, recording the limit of every claim and what it returned."""

    def __init__(self) -> None:
        super().__init__(clock=ManualClock(START))
        self.claims: list[tuple[int, int]] = []

    def claim(self, **kwargs: Any) -> list[Job]:
        found = super().claim(**kwargs)
        self.claims.append((kwargs["limit"], len(found)))
        return found


async def drain(store: CountingStore, worker: Worker, handler_done: asyncio.Event) -> None:
    runner = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(5):
            await handler_done.wait()
            while store.due() or any(j.state == JobState.RUNNING for j in store.jobs.values()):
                await asyncio.sleep(0.001)
    finally:
        worker.stop()
        await runner


async def test_a_busy_worker_claims_in_batches_and_runs_every_job() -> None:
    store = CountingStore()
    for n in range(40):
        store.enqueue(account="acct_1", kind="invoice", object_id=f"in_{n}")
    ran: list[str] = []
    done = asyncio.Event()

    async def handler(account: str, kind: str, object_id: str) -> None:
        await asyncio.sleep(0.002)
        ran.append(object_id)
        if len(ran) == 40:
            done.set()

    worker = Worker(store=store, handler=handler, concurrency=8, poll_seconds=0.05, name="w1")
    await drain(store, worker, done)

    assert sorted(ran) == sorted(f"in_{n}" for n in range(40))
    assert all(job.state == JobState.DONE for job in store.jobs.values())
    assert worker.claim_batch == 2
    # With jobs running, a claim waits for two free slots: never one job per claim.
    busy_claims = [(limit, got) for limit, got in store.claims[1:] if got]
    assert busy_claims and all(limit >= 2 for limit, _ in busy_claims)
    assert len([got for _, got in store.claims if got]) <= 20


async def test_a_claim_that_finds_less_than_it_asked_for_is_not_repeated_at_once() -> None:
    store = CountingStore()
    store.enqueue(account="acct_1", kind="invoice", object_id="in_1")
    done = asyncio.Event()

    async def handler(account: str, kind: str, object_id: str) -> None:
        done.set()

    # The poll is long: only a wake-up (the finished job) may cause a second claim.
    worker = Worker(store=store, handler=handler, concurrency=8, poll_seconds=30, name="w1")
    await drain(store, worker, done)

    assert store.claims[0] == (8, 1)
    # One more claim at most: after the job finished (it wakes the loop), none in between.
    assert len(store.claims) <= 2


async def test_a_wake_up_during_a_claim_is_not_lost() -> None:
    store = CountingStore()
    claimed_once = asyncio.Event()
    original = store.claim

    def claim_then_queue(**kwargs: Any) -> list[Job]:
        found = original(**kwargs)
        if not claimed_once.is_set():
            # A webhook queues a job (and wakes the worker) while this claim runs.
            store.enqueue(account="acct_1", kind="invoice", object_id="in_late")
            worker.wake()
            claimed_once.set()
        return found

    store.claim = claim_then_queue  # type: ignore[method-assign]
    done = asyncio.Event()

    async def handler(account: str, kind: str, object_id: str) -> None:
        done.set()

    worker = Worker(store=store, handler=handler, concurrency=4, poll_seconds=30, name="w1")
    # With a 30 s poll, the late job runs within the timeout only if the wake-up was kept.
    await drain(store, worker, done)
    assert [job.state for job in store.jobs.values()] == [JobState.DONE]


async def test_jobs_waiting_for_netsuite_leave_room_for_more_up_to_a_cap() -> None:
    store = CountingStore()
    for n in range(30):
        store.enqueue(account="acct_1", kind="invoice", object_id=f"in_{n}")
    queued = 0  # jobs parked on the (pretend) NetSuite governor
    peak = 0
    release = asyncio.Event()

    async def handler(account: str, kind: str, object_id: str) -> None:
        nonlocal queued, peak
        queued += 1
        peak = max(peak, len(worker._running))
        await release.wait()
        queued -= 1

    worker = Worker(
        store=store, handler=handler, concurrency=2, poll_seconds=0.01, name="w1",
        waiting=lambda: queued,
    )  # fmt: skip
    runner = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(5):
            while len(worker._running) < worker.max_jobs:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)  # a few more polls: still no more than the cap
            assert len(worker._running) == worker.max_jobs == 8
    finally:
        release.set()
        worker.stop()
        await runner
    assert peak == 8
    assert all(job.state == JobState.DONE for job in store.jobs.values() if job.attempts)


async def test_without_a_waiting_count_concurrency_is_the_cap() -> None:
    store = CountingStore()
    for n in range(10):
        store.enqueue(account="acct_1", kind="invoice", object_id=f"in_{n}")
    release = asyncio.Event()

    async def handler(account: str, kind: str, object_id: str) -> None:
        await release.wait()

    worker = Worker(store=store, handler=handler, concurrency=2, poll_seconds=0.01, name="w1")
    runner = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.1)
        assert len(worker._running) == 2
    finally:
        release.set()
        worker.stop()
        await runner
