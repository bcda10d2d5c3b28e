"""The worker's claim loop and the scheduler survive failures and say how they are doing.

Failures are injected in the store and the scheduler's tasks; each test waits (bounded)
for the loop to come through them, never for a time to pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from stripe_netsuite import exceptions
from stripe_netsuite.engine import health
from stripe_netsuite.engine.runtime import Runtime
from stripe_netsuite.engine.worker import Worker
from stripe_netsuite.settings import Settings, parse_config
from stripe_netsuite.store import db, queue
from stripe_netsuite.store.queue import Job, JobState
from stripe_netsuite.testing import InMemoryJobStore

CONFIG = {
    "accounts": {
        "main": {
            "stripe_account_id": "acct_1",
            "stripe_api_key": "sk_test_1",
            "netsuite": {"account_id": "1234567_SB1"},
        }
    }
}


async def until(condition: Callable[[], bool], *, within: float = 20.0) -> None:
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(0.002)


def locked() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))


class FlakyClaims(InMemoryJobStore):
    """Claims fail the first *failures* times, as a locked or restarting database does."""

    def __init__(self, *, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.claims = 0

    def claim(
        self, *, worker_id: str, lease_seconds: float, limit: int, max_attempts: int | None = None
    ) -> list[Job]:
        self.claims += 1
        if self.claims <= self.failures:
            raise locked()
        return super().claim(
            worker_id=worker_id, lease_seconds=lease_seconds, limit=limit, max_attempts=max_attempts
        )


async def test_the_claim_loop_survives_store_errors_and_later_jobs_complete(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FlakyClaims(failures=3)
    waits: list[float] = []

    def pinned(delay: float) -> float:
        waits.append(delay)
        return delay

    async def flow(account: str, kind: str, object_id: str) -> None:
        pass

    worker = Worker(store=store, handler=flow, poll_seconds=0.001, jitter=pinned, name="w1")
    runner = asyncio.create_task(worker.run())
    try:
        await until(lambda: store.claims > 3)
        assert not runner.done()
        job = store.enqueue(account="acct_1", kind="invoice", object_id="in_1")
        await until(lambda: store.job(job.id).state is JobState.DONE)
    finally:
        worker.stop()
        await runner
    # Logged each time, waited out with doubling backoff (through the jitter function).
    failures = [r for r in caplog.records if r.getMessage().startswith("worker claim failed")]
    assert len(failures) == 3
    assert all(r.levelno == logging.ERROR and r.exc_info for r in failures)
    assert waits == [0.001, 0.002, 0.004]
    assert worker.heartbeat.beats > 0
    assert worker.heartbeat.problem() == "worker is not running"


def test_backoff_doubles_up_to_its_cap_and_starts_over_after_a_success() -> None:
    backoff = health.Backoff(base=1.0, cap=4.0, jitter=lambda d: d)
    assert [backoff.failed() for _ in range(5)] == [1.0, 2.0, 4.0, 4.0, 4.0]
    backoff.succeeded()
    assert backoff.failed() == 1.0


def test_a_heartbeat_goes_stale_after_a_few_intervals_but_not_before_its_floor() -> None:
    now = [100.0]
    beat = health.Heartbeat("scheduler", interval=1.0, at_least=10.0, clock=lambda: now[0])
    assert beat.stale_after == 10.0
    assert health.Heartbeat("worker", interval=30.0, at_least=10.0).stale_after == 150.0
    now[0] += 10.0
    assert beat.problem() is None
    now[0] += 0.5
    assert beat.problem() == "scheduler made no progress for 10.5 s (stalled after 10 s)"
    beat.beat()
    assert beat.problem() is None
    beat.stop()
    assert beat.problem() == "scheduler is not running"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = db.make_database(f"sqlite:///{tmp_path}/sns.db")
    db.migrate(engine)
    yield engine
    engine.dispose()


def runtime_for(database: sa.Engine) -> Runtime:
    settings = Settings(
        database_url=str(database.url), events_poll_seconds=0.01, auto_retry_seconds=0.01
    )
    return Runtime(
        settings=settings, config=parse_config(CONFIG), database=database, tick_seconds=0.002
    )


async def test_the_scheduler_survives_its_own_failures_and_beats_only_when_they_stop(
    database: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = runtime_for(database)
    beat = runtime.scheduler_heartbeat()
    beats_at_call: list[int] = []

    async def catch_up(*, progress: Callable[[], None] | None = None) -> bool:
        beats_at_call.append(beat.beats)
        if len(beats_at_call) <= 3:
            raise locked()  # the database, not Stripe: the scheduler is not making progress
        return True

    runtime.catch_up = catch_up  # type: ignore[method-assign]
    task = asyncio.create_task(runtime.scheduler(heartbeat=beat))
    try:
        await until(lambda: len(beats_at_call) >= 6)
        assert not task.done()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    # No beat while the poll kept failing; beats again once it went through.
    assert beats_at_call[:4] == [0, 0, 0, 0]
    assert beats_at_call[5] > 0
    failures = [r for r in caplog.records if "scheduler task failed" in r.getMessage()]
    assert len(failures) == 3
    assert beat.problem() == "scheduler is not running"


async def test_a_remote_failure_is_backed_off_without_stalling_the_scheduler(
    database: sa.Engine,
) -> None:
    runtime = runtime_for(database)
    beat = runtime.scheduler_heartbeat()
    polls: list[int] = []

    async def catch_up(*, progress: Callable[[], None] | None = None) -> bool:
        polls.append(beat.beats)
        return False  # Stripe is down: logged inside catch_up, retried with backoff

    runtime.catch_up = catch_up  # type: ignore[method-assign]
    task = asyncio.create_task(runtime.scheduler(heartbeat=beat))
    try:
        await until(lambda: len(polls) >= 3)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert polls[2] > 0  # the passes still count: waiting for Stripe is not being stuck


async def test_the_scheduler_survives_a_failing_auto_retry(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = runtime_for(database)
    requeues: list[int] = []
    real = queue.requeue

    def requeue(engine: sa.Engine, **kw: object) -> int:
        requeues.append(1)
        if len(requeues) <= 2:
            raise locked()
        return real(engine)

    monkeypatch.setattr(queue, "requeue", requeue)
    beat = runtime.scheduler_heartbeat()
    task = asyncio.create_task(runtime.scheduler(heartbeat=beat))
    try:
        await until(lambda: len(requeues) >= 4 and beat.beats > 0)
        assert not task.done()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_the_stall_threshold_comes_from_the_environment_and_the_loops_intervals(
    database: sa.Engine,
) -> None:
    settings = Settings.from_environ(
        {"SNS_DATABASE_URL": str(database.url), "SNS_READY_STALL_SECONDS": "30"}
    )
    runtime = Runtime(settings=settings, config=parse_config(CONFIG), database=database)
    assert runtime.worker().heartbeat.stale_after == 30.0
    assert runtime.worker(poll_seconds=10.0).heartbeat.stale_after == 50.0
    assert runtime.scheduler_heartbeat().stale_after == 30.0
    with pytest.raises(exceptions.ConfigError, match="SNS_READY_STALL_SECONDS"):
        Settings.from_environ({"SNS_READY_STALL_SECONDS": "0"})
