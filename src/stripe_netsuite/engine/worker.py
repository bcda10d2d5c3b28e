"""The worker: claims jobs with a lease, runs their flow, and settles each outcome.

Outcomes are decided by the error's class alone (exceptions.py): `Skip` is recorded
as skipped, `RetriableError` goes back to the queue with exponential backoff and
jitter (`retry.RetryPolicy`) until its attempts run out, `NeedsAttention` and
`ConfigError` are parked with their message. Anything unclassified is a bug: it is
retried a few times (it may have been transient) and then parked.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

from stripe_netsuite import exceptions
from stripe_netsuite.engine.job_store import JobStore
from stripe_netsuite.retry import Jitter, RetryPolicy, equal_jitter
from stripe_netsuite.store import queue

log = logging.getLogger(__name__)

#: Runs one job: (account name, kind, object id) → awaitable.
Handler = Callable[[str, str, str], Awaitable[None]]


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
        poll_seconds: float = 0.2,
        retry: RetryPolicy | None = None,
        jitter: Jitter = equal_jitter,
        name: str | None = None,
    ) -> None:
        self.store = store
        self.handler = handler
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.retry = retry or RetryPolicy()
        self.jitter = jitter
        self.name = name or worker_id()
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
        while not self._stopping.is_set():
            free = self.concurrency - len(self._running)
            claimed: list[queue.Job] = []
            if free > 0:
                claimed = await asyncio.to_thread(
                    self.store.claim,
                    worker_id=self.name,
                    lease_seconds=self.lease_seconds,
                    limit=free,
                )
            for job in claimed:
                task = asyncio.create_task(self._run_one(job), name=f"job-{job.id}")
                self._running.add(task)
                task.add_done_callback(self._finished)
            if not claimed:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    pass
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()

    async def _run_one(self, job: queue.Job) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(job))
        try:
            await self.handler(job.account, job.kind, job.object_id)
        except exceptions.Skip as exc:
            log.info("job skipped job_id=%s kind=%s rule=%s", job.id, job.kind, exc.rule)
            if await asyncio.to_thread(self.store.skip, job, worker_id=self.name, rule=exc.rule):
                await asyncio.to_thread(self.store.events_handled, job)
        except (exceptions.NeedsAttention, exceptions.ConfigError) as exc:
            # A wrong configuration stays wrong however often the job runs: a person acts.
            log.warning("job parked job_id=%s kind=%s error=%s", job.id, job.kind, exc)
            await asyncio.to_thread(self.store.park, job, worker_id=self.name, error=exc)
        except exceptions.RetriableError as exc:
            await self._retry_or_park(job, exc, self.retry.max_attempts, exc.retry_after)
        except Exception as exc:
            log.exception("job failed unexpectedly job_id=%s kind=%s", job.id, job.kind)
            await self._retry_or_park(job, exc, self.retry.unexpected_attempts, None)
        else:
            if await asyncio.to_thread(self.store.complete, job, worker_id=self.name):
                await asyncio.to_thread(self.store.events_handled, job)
        finally:
            heartbeat.cancel()

    async def _retry_or_park(
        self, job: queue.Job, exc: BaseException, attempts: int, retry_after: float | None
    ) -> None:
        if job.attempts >= attempts:
            log.warning(
                "job parked after %s attempts job_id=%s error=%s", job.attempts, job.id, exc
            )
            await asyncio.to_thread(self.store.park, job, worker_id=self.name, error=exc)
            return
        delay = self.retry.delay(job.attempts, retry_after=retry_after, jitter=self.jitter)
        log.info("job retry job_id=%s in=%.1fs error=%s", job.id, delay, exc)
        await asyncio.to_thread(
            self.store.retry_later, job, worker_id=self.name, error=exc, delay_seconds=delay
        )

    async def _heartbeat(self, job: queue.Job) -> None:
        # Keeps a long job's lease alive; a killed process stops renewing it.
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            await asyncio.to_thread(
                self.store.extend_lease,
                job.id,
                worker_id=self.name,
                lease_seconds=self.lease_seconds,
            )
