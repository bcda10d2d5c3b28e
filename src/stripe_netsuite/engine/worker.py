"""The worker: claims jobs with a lease, runs their flow, and settles each outcome.

Outcomes are decided by the error's class alone (exceptions.py): `Skip` is recorded
as skipped, `RetriableError` goes back to the queue with exponential backoff and
jitter (`retry.RetryPolicy`) until its attempts run out, `NeedsAttention` and
`ConfigError` are parked with their message. Anything unclassified is a bug: it is
retried a few times (it may have been transient) and then parked.

The claim loop is supervised: a pass that fails (the database restarting, a locked
SQLite file) is logged and retried after a backoff, and each pass that goes through
beats the worker's `health.Heartbeat`. While a job runs its lease is renewed; when a
renewal finds that the lease is no longer ours (it ran out and another worker took the
job), the job is cancelled and writes nothing, so the new owner's outcome stands.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

from stripe_netsuite import exceptions, logs, redaction
from stripe_netsuite.engine import health
from stripe_netsuite.engine.job_store import JobStore
from stripe_netsuite.retry import Jitter, RetryPolicy, equal_jitter
from stripe_netsuite.store import queue

log = logging.getLogger(__name__)

#: Runs one job: (account name, kind, object id) → awaitable.
Handler = Callable[[str, str, str], Awaitable[None]]

#: Seconds an idle worker waits before it looks for due jobs again (a webhook wakes it).
POLL_SECONDS = 0.2
#: The longest the claim loop waits after failed passes before it tries again.
CLAIM_BACKOFF_CAP_SECONDS = 30.0
#: With jobs waiting for NetSuite not counted, a worker holds at most this many times
#: its concurrency in jobs.
WAITING_JOBS_FACTOR = 4


def worker_id() -> str:
    """A name unique to this process, shown as the lease holder."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Claims and runs jobs until stopped."""

    def __init__(
        self,
        *,
        store: JobStore,
        handler: Handler,
        concurrency: int = 8,
        lease_seconds: float = 60.0,
        poll_seconds: float = POLL_SECONDS,
        retry: RetryPolicy | None = None,
        jitter: Jitter = equal_jitter,
        name: str | None = None,
        heartbeat: health.Heartbeat | None = None,
        claim_batch: int | None = None,
        waiting: Callable[[], int] | None = None,
    ) -> None:
        self.store = store
        self.handler = handler
        self.concurrency = concurrency
        #: While jobs run, a claim waits until this many slots are free: one claim (one
        #: write transaction) then starts several jobs instead of one.
        self.claim_batch = claim_batch or max(1, concurrency // 4)
        #: How many running jobs only wait (for a NetSuite slot). Those do not count
        #: against `concurrency`, so that enough jobs are ready to keep every slot of
        #: NetSuite busy; `max_jobs` caps the jobs held in all.
        self.waiting = waiting
        self.max_jobs = concurrency * WAITING_JOBS_FACTOR
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.retry = retry or RetryPolicy()
        self.jitter = jitter
        self.name = name or worker_id()
        #: Beaten after every claim-loop pass that did not fail.
        self.heartbeat = heartbeat or health.Heartbeat("worker", interval=poll_seconds)
        self._backoff = health.Backoff(
            base=poll_seconds, cap=CLAIM_BACKOFF_CAP_SECONDS, jitter=jitter
        )
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Look for work now (called after a webhook queued a job)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming; `run` returns once the running jobs are finished."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Claim and run jobs until `stop` is called; running jobs are finished first."""
        try:
            while not self._stopping.is_set():
                # Cleared before the claim: a wake-up that comes while it runs is kept.
                self._wake.clear()
                try:
                    claimed, asked = await self._claim()
                except Exception:
                    delay = self._backoff.failed()
                    log.exception(
                        "worker claim failed worker=%s failures=%s retry_in=%.2fs",
                        self.name,
                        self._backoff.failures,
                        delay,
                    )
                    await self._pause(delay)
                    continue
                self._backoff.succeeded()
                self.heartbeat.beat()
                for job in claimed:
                    task = asyncio.create_task(self._run_one(job), name=f"job-{job.id}")
                    self._running.add(task)
                    task.add_done_callback(self._finished)
                if len(claimed) < asked or not asked:
                    # Nothing more is due, or no room: wait for a webhook, a finished job
                    # or the poll, instead of asking the database again at once.
                    await self._idle(self.poll_seconds)
            if self._running:
                await asyncio.gather(*self._running, return_exceptions=True)
        finally:
            self.heartbeat.stop()

    def free_slots(self) -> int:
        """Jobs this worker may start now: `concurrency` less the jobs at work."""
        running = len(self._running)
        waiting = min(max(self.waiting(), 0), running) if self.waiting is not None else 0
        return min(self.concurrency - (running - waiting), self.max_jobs - running)

    async def _claim(self) -> tuple[list[queue.Job], int]:
        """The jobs claimed, and how many were asked for (0: not worth a claim now)."""
        free = self.free_slots()
        if free <= 0 or (self._running and free < self.claim_batch):
            return [], 0
        claimed = await self.store.claim_async(
            worker_id=self.name,
            lease_seconds=self.lease_seconds,
            limit=free,
            max_attempts=self.retry.max_attempts,
        )
        return claimed, free

    async def _idle(self, seconds: float) -> None:
        # Until a webhook (or a finished job) wakes the loop, `stop` is called, or time is up;
        # at once when one of them came since the loop's last claim.
        if self._stopping.is_set() or self._wake.is_set():
            return
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _pause(self, seconds: float) -> None:
        # A backoff: only `stop` cuts it short, not a webhook's wake-up.
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()

    async def _run_one(self, job: queue.Job) -> None:
        logs.job_id.set(job.id)  # this task's own context: every line it logs names the job
        work = asyncio.create_task(self._flow(job), name=f"job-{job.id}-flow")
        lease = _Lease()
        keeper = asyncio.create_task(self._keep_lease(job, work, lease))
        try:
            error: Exception | None = None
            try:
                await work
            except asyncio.CancelledError:
                if not lease.lost:
                    raise
            except Exception as exc:
                error = exc
            if lease.lost:
                log.warning(
                    "job cancelled: lease lost job_id=%s kind=%s worker=%s",
                    job.id,
                    job.kind,
                    self.name,
                )
                return
            await self._settle(job, error)
        except Exception:
            # The outcome could not be stored (the database is away): the lease runs out
            # and the job is claimed again, so it is not lost.
            log.exception("job outcome not stored job_id=%s kind=%s", job.id, job.kind)
        finally:
            keeper.cancel()
            if not work.done():
                work.cancel()

    async def _flow(self, job: queue.Job) -> None:
        await self.handler(job.account, job.kind, job.object_id)

    async def _settle(self, job: queue.Job, error: Exception | None) -> None:
        if error is None:
            await self.store.finish(job, worker_id=self.name)
        elif isinstance(error, exceptions.Skip):
            log.info("job skipped job_id=%s kind=%s rule=%s", job.id, job.kind, error.rule)
            await self.store.finish(job, worker_id=self.name, skip_rule=error.rule)
        elif isinstance(error, exceptions.NeedsAttention | exceptions.ConfigError):
            # A wrong configuration stays wrong however often the job runs: a person acts.
            log.warning("job parked job_id=%s kind=%s error=%s", job.id, job.kind, _text(error))
            await asyncio.to_thread(self.store.park, job, worker_id=self.name, error=error)
        elif isinstance(error, exceptions.RetriableError):
            await self._retry_or_park(job, error, self.retry.max_attempts, error.retry_after)
        else:
            log.error("job failed unexpectedly job_id=%s kind=%s", job.id, job.kind, exc_info=error)
            await self._retry_or_park(job, error, self.retry.unexpected_attempts, None)

    async def _retry_or_park(
        self, job: queue.Job, exc: BaseException, attempts: int, retry_after: float | None
    ) -> None:
        if job.attempts >= attempts:
            log.warning(
                "job parked after %s attempts job_id=%s error=%s",
                job.attempts,
                job.id,
                _text(exc),
            )
            await asyncio.to_thread(self.store.park, job, worker_id=self.name, error=exc)
            return
        delay = self.retry.delay(job.attempts, retry_after=retry_after, jitter=self.jitter)
        log.info("job retry job_id=%s in=%.1fs error=%s", job.id, delay, _text(exc))
        await asyncio.to_thread(
            self.store.retry_later, job, worker_id=self.name, error=exc, delay_seconds=delay
        )

    async def _keep_lease(self, job: queue.Job, work: asyncio.Task[None], lease: _Lease) -> None:
        # Keeps a long job's lease alive; a killed process stops renewing it. A renewal
        # that fails is tried again at the next beat: the lease outlasts two of them.
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                held = await asyncio.to_thread(
                    self.store.extend_lease,
                    job,
                    worker_id=self.name,
                    lease_seconds=self.lease_seconds,
                )
            except Exception:
                log.warning("lease renewal failed job_id=%s", job.id, exc_info=True)
                continue
            if not held:
                lease.lost = True
                work.cancel()
                return


def _text(error: BaseException) -> str:
    # Logs are kept too: they carry the same redacted text as the store.
    return redaction.error_text(error)


class _Lease:
    """Whether a running job's lease was found taken (set once, by its keeper)."""

    lost = False
