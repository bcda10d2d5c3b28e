"""The worker: claims jobs with a lease, runs their flow, and settles each outcome.

Outcomes are decided by the error's class alone (exceptions.py): `Skip` is recorded
as skipped, `RetriableError` goes back to the queue with exponential backoff and
jitter, `NeedsAttention` is parked with its message. Anything unclassified is a bug:
it is retried a few times (it may have been transient) and then parked.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from stripe_netsuite import exceptions
from stripe_netsuite.store import inbox, queue

log = logging.getLogger(__name__)

#: Runs one job: (account name, kind, object id) → awaitable.
Handler = Callable[[str, str, str], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing job is tried again."""

    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 600.0
    #: Unclassified errors get this many attempts before they are parked.
    unexpected_attempts: int = 3


def worker_id() -> str:
    """A name unique to this process, shown as the lease holder."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Claims and runs jobs until stopped."""

    def __init__(
        self,
        *,
        database: sa.Engine,
        handler: Handler,
        concurrency: int = 8,
        lease_seconds: float = 60.0,
        poll_seconds: float = 0.2,
        retry: RetryPolicy | None = None,
        name: str | None = None,
    ) -> None:
        self.database = database
        self.handler = handler
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.retry = retry or RetryPolicy()
        self.name = name or worker_id()
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Look for work now (called after a webhook queued a job)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Claim and run jobs until `stop` is called; running jobs are finished first."""
        while not self._stopping.is_set():
            free = self.concurrency - len(self._running)
            claimed: list[queue.Job] = []
            if free > 0:
                claimed = await asyncio.to_thread(
                    queue.claim,
                    self.database,
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

    async def run_until_idle(self, *, timeout: float = 60.0) -> None:
        """Run until nothing is pending or running (tests, the demo, ``--once``)."""
        runner = asyncio.create_task(self.run())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                await asyncio.sleep(self.poll_seconds)
                idle = await asyncio.to_thread(queue.is_idle, self.database)
                if idle and not self._running:
                    return
                if loop.time() > deadline:
                    raise TimeoutError("the queue did not drain in time")
        finally:
            self.stop()
            await runner

    async def _run_one(self, job: queue.Job) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(job))
        try:
            await self.handler(job.account, job.kind, job.object_id)
        except exceptions.Skip as exc:
            log.info("job skipped job_id=%s kind=%s rule=%s", job.id, job.kind, exc.rule)
            if await asyncio.to_thread(queue.skip, self.database, job, self.name, rule=exc.rule):
                await asyncio.to_thread(self._events_handled, job)
        except exceptions.NeedsAttention as exc:
            log.warning("job parked job_id=%s kind=%s error=%s", job.id, job.kind, exc)
            await asyncio.to_thread(queue.park, self.database, job, self.name, error=exc)
        except exceptions.RetriableError as exc:
            await self._retry_or_park(job, exc, self.retry.max_attempts, exc.retry_after)
        except Exception as exc:
            log.exception("job failed unexpectedly job_id=%s kind=%s", job.id, job.kind)
            await self._retry_or_park(job, exc, self.retry.unexpected_attempts, None)
        else:
            if await asyncio.to_thread(queue.complete, self.database, job, self.name):
                await asyncio.to_thread(self._events_handled, job)
        finally:
            heartbeat.cancel()

    def _events_handled(self, job: queue.Job) -> None:
        inbox.mark_object_handled(
            self.database,
            account=job.account,
            object_id=job.object_id,
            received_before=job.claimed_at,
        )

    async def _retry_or_park(
        self, job: queue.Job, exc: BaseException, attempts: int, retry_after: float | None
    ) -> None:
        if job.attempts >= attempts:
            log.warning(
                "job parked after %s attempts job_id=%s error=%s", job.attempts, job.id, exc
            )
            await asyncio.to_thread(queue.park, self.database, job, self.name, error=exc)
            return
        delay = queue.backoff_delay(
            job.attempts, base=self.retry.base_seconds, cap=self.retry.cap_seconds
        )
        if retry_after is not None:
            delay = max(delay, retry_after)
        log.info("job retry job_id=%s in=%.1fs error=%s", job.id, delay, exc)
        await asyncio.to_thread(
            queue.retry_later, self.database, job, self.name, error=exc, delay_seconds=delay
        )

    async def _heartbeat(self, job: queue.Job) -> None:
        # Keeps a long job's lease alive; a killed process stops renewing it.
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            await asyncio.to_thread(
                queue.extend_lease, self.database, job.id, self.name, self.lease_seconds
            )


def dispatch(flows: Mapping[str, Handler]) -> Handler:
    """One handler that routes on the job's kind."""

    async def handle(account: str, kind: str, object_id: str) -> None:
        try:
            flow = flows[kind]
        except KeyError:
            raise exceptions.Skip("no_flow", f"no flow handles {kind!r}") from None
        await flow(account, kind, object_id)

    return handle
