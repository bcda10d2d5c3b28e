"""The worker's outcome policy: a real `Worker` over the in-memory job store.

The clock stands still and jitter is pinned, so every next-run time is exact: a job
retried after its first failure falls due ``base_seconds`` later, then twice that, up to
the cap, unless the error carried a longer ``retry_after``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from stripe_netsuite import exceptions
from stripe_netsuite.engine.worker import Handler, Worker
from stripe_netsuite.retry import RetryPolicy
from stripe_netsuite.store.queue import Job, JobState, Outcome
from stripe_netsuite.testing import Handled, InMemoryJobStore, ManualClock

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=4, base_seconds=2.0, cap_seconds=5.0, unexpected_attempts=3)


def exact(delay: float) -> float:
    return delay


@dataclass
class Scripted:
    """Fails with the next scripted error each run (``None`` succeeds); counts the runs."""

    script: list[Callable[[], BaseException] | None]
    runs: list[tuple[str, str, str]] = field(default_factory=list)

    async def __call__(self, account: str, kind: str, object_id: str) -> None:
        self.runs.append((account, kind, object_id))
        make = self.script[min(len(self.runs), len(self.script)) - 1]
        if make is not None:
            raise make()


@dataclass
class Bench:
    clock: ManualClock = field(default_factory=lambda: ManualClock(START))
    store: InMemoryJobStore = field(init=False)

    def __post_init__(self) -> None:
        self.store = InMemoryJobStore(clock=self.clock)

    def enqueue(self, object_id: str = "in_1") -> Job:
        return self.store.enqueue(account="acct_1", kind="invoice", object_id=object_id)

    async def settle(self, handler: Handler, policy: RetryPolicy = POLICY) -> None:
        """Run a worker until no job is running or due at the clock's (standing) time."""
        worker = Worker(
            store=self.store,
            handler=handler,
            retry=policy,
            jitter=exact,
            poll_seconds=0.001,
            name="w1",
        )
        runner = asyncio.create_task(worker.run())
        try:
            async with asyncio.timeout(5):
                while self.store.due():
                    await asyncio.sleep(0.001)
        finally:
            worker.stop()
            await runner

    async def run_until_final(self, handler: Scripted, job_id: int) -> list[tuple[str, int, float]]:
        """Settle, move the clock to the job's next run, again until it stays put.

        Returns (state, attempts, seconds from START to run_after) after each run.
        """
        seen: list[tuple[str, int, float]] = []
        while True:
            await self.settle(handler)
            job = self.store.job(job_id)
            seen.append((job.state, job.attempts, (job.run_after - START).total_seconds()))
            if job.state is not JobState.PENDING:
                return seen
            self.clock.now = job.run_after


def fails(error: Callable[[], BaseException]) -> Scripted:
    return Scripted([error])


@pytest.mark.parametrize(
    ("error", "state", "outcome"),
    [
        (None, JobState.DONE, Outcome.DONE),
        (lambda: exceptions.Skip("netsuite_block_integration"), JobState.SKIPPED, Outcome.SKIPPED),
        (lambda: exceptions.RetriableError("busy"), JobState.PENDING, Outcome.RETRY),
        (lambda: exceptions.StripeUnavailable("down"), JobState.PENDING, Outcome.RETRY),
        (lambda: exceptions.NetSuiteRetriable(status_code=503), JobState.PENDING, Outcome.RETRY),
        (lambda: exceptions.NeedsAttention("no item"), JobState.PARKED, Outcome.PARKED),
        (lambda: exceptions.NetSuiteRejected(error_code="X"), JobState.PARKED, Outcome.PARKED),
        (lambda: exceptions.MappingError("odd"), JobState.PARKED, Outcome.PARKED),
        (lambda: exceptions.ConfigError("no bank account"), JobState.PARKED, Outcome.PARKED),
        (lambda: RuntimeError("bug"), JobState.PENDING, Outcome.RETRY),
    ],
    ids=[
        "success",
        "skip",
        "retriable",
        "stripe-unavailable",
        "netsuite-retriable",
        "needs-attention",
        "netsuite-rejected",
        "mapping-error",
        "config-error",
        "unexpected",
    ],
)
async def test_the_first_run_settles_by_the_class_of_its_error(
    error: Callable[[], BaseException] | None, state: JobState, outcome: Outcome
) -> None:
    bench = Bench()
    job = bench.enqueue()
    handler = Scripted([error])
    await bench.settle(handler)
    settled = bench.store.job(job.id)
    assert handler.runs == [("acct_1", "invoice", "in_1")]
    assert settled.state is state
    assert settled.attempts == 1
    assert settled.lease_until is None
    [attempt] = bench.store.attempts_of(job.id)
    assert attempt.outcome is outcome
    assert attempt.started_at == attempt.finished_at == START


async def test_success_marks_the_job_done_and_its_events_handled() -> None:
    bench = Bench()
    job = bench.enqueue()
    await bench.settle(Scripted([None]))
    assert bench.store.job(job.id).last_error is None
    assert bench.store.handled == [Handled("acct_1", "in_1", START)]


async def test_skip_records_the_rule_and_handles_the_events() -> None:
    bench = Bench()
    job = bench.enqueue()
    await bench.settle(fails(lambda: exceptions.Skip("before_sync_start")))
    skipped = bench.store.job(job.id)
    assert skipped.skip_rule == "before_sync_start"
    assert skipped.last_error is None
    assert bench.store.handled == [Handled("acct_1", "in_1", START)]


@pytest.mark.parametrize(
    ("retry_after", "due_in"),
    [
        (None, 2.0),  # the policy's first backoff
        (0.5, 2.0),  # a shorter hint does not hurry the retry
        (30.0, 30.0),  # a longer hint wins, past the cap
    ],
)
async def test_a_retriable_error_goes_back_to_pending_with_backoff(
    retry_after: float | None, due_in: float
) -> None:
    bench = Bench()
    job = bench.enqueue()
    await bench.settle(fails(lambda: exceptions.RetriableError("busy", retry_after=retry_after)))
    pending = bench.store.job(job.id)
    assert pending.state is JobState.PENDING
    assert pending.attempts == 1
    assert pending.run_after == START + timedelta(seconds=due_in)
    assert pending.leased_by is None
    assert pending.last_error == "RetriableError: busy"
    assert bench.store.handled == []


async def test_a_netsuite_retry_after_reaches_the_queue() -> None:
    bench = Bench()
    job = bench.enqueue()
    await bench.settle(fails(lambda: exceptions.NetSuiteRetriable(status_code=429, retry_after=9)))
    assert bench.store.job(job.id).run_after == START + timedelta(seconds=9)


async def test_a_retriable_error_backs_off_to_the_cap_then_parks_after_max_attempts() -> None:
    bench = Bench()
    job = bench.enqueue()
    handler = fails(lambda: exceptions.RetriableError("still busy"))
    seen = await bench.run_until_final(handler, job.id)
    # Waits of 2 s, 4 s, then 5 s (capped): due at +2, +6, +11; the fourth run parks.
    assert seen == [
        (JobState.PENDING, 1, 2.0),
        (JobState.PENDING, 2, 6.0),
        (JobState.PENDING, 3, 11.0),
        (JobState.PARKED, 4, 11.0),
    ]
    assert len(handler.runs) == POLICY.max_attempts
    parked = bench.store.job(job.id)
    assert parked.last_error == "RetriableError: still busy"
    outcomes = [a.outcome for a in bench.store.attempts_of(job.id)]
    assert outcomes == [Outcome.RETRY] * 3 + [Outcome.PARKED]


async def test_a_retriable_error_that_clears_ends_done() -> None:
    bench = Bench()
    job = bench.enqueue()
    handler = Scripted([lambda: exceptions.RetriableError("busy"), None])
    seen = await bench.run_until_final(handler, job.id)
    assert seen == [(JobState.PENDING, 1, 2.0), (JobState.DONE, 2, 2.0)]
    assert bench.store.job(job.id).last_error == "RetriableError: busy"


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (
            lambda: exceptions.NeedsAttention("item price_1 has no NetSuite item"),
            "NeedsAttention: item price_1 has no NetSuite item",
        ),
        (
            lambda: exceptions.NetSuiteRejected(error_code="USER_ERROR", detail="Bad field"),
            "NetSuiteRejected: [redacted] (code=USER_ERROR)",
        ),
        (
            lambda: exceptions.ConfigError("is not set", key="gl.stripe_clearing"),
            "ConfigError: gl.stripe_clearing: is not set",
        ),
    ],
    ids=["needs-attention", "netsuite-rejected", "config-error"],
)
async def test_needs_attention_and_config_errors_park_at_once_with_their_message(
    error: Callable[[], BaseException], text: str
) -> None:
    bench = Bench()
    job = bench.enqueue()
    handler = fails(error)
    seen = await bench.run_until_final(handler, job.id)
    assert seen == [(JobState.PARKED, 1, 0.0)]
    assert len(handler.runs) == 1
    assert bench.store.job(job.id).last_error == text
    [attempt] = bench.store.attempts_of(job.id)
    assert attempt.error_class == text.split(":", 1)[0]
    assert attempt.error_message == text.split(": ", 1)[1]
    assert bench.store.handled == []


async def test_an_unexpected_error_is_retried_then_parked() -> None:
    bench = Bench()
    job = bench.enqueue()
    handler = fails(lambda: RuntimeError("list index out of range"))
    seen = await bench.run_until_final(handler, job.id)
    assert seen == [
        (JobState.PENDING, 1, 2.0),
        (JobState.PENDING, 2, 6.0),
        (JobState.PARKED, 3, 6.0),
    ]
    assert len(handler.runs) == POLICY.unexpected_attempts
    assert bench.store.job(job.id).last_error == "RuntimeError: list index out of range"


async def test_the_policy_decides_how_many_attempts() -> None:
    bench = Bench()
    job = bench.enqueue()
    handler = fails(lambda: RuntimeError("bug"))
    await bench.settle(handler, RetryPolicy(unexpected_attempts=1))
    assert bench.store.job(job.id).state is JobState.PARKED
    assert len(handler.runs) == 1


async def test_jobs_of_other_objects_settle_independently() -> None:
    bench = Bench()
    jobs = [bench.enqueue(f"in_{n}") for n in range(3)]

    async def handler(account: str, kind: str, object_id: str) -> None:
        if object_id == "in_1":
            raise exceptions.NeedsAttention("broken")

    await bench.settle(handler)
    states = [bench.store.job(j.id).state for j in jobs]
    assert states == [JobState.DONE, JobState.PARKED, JobState.DONE]
