"""The running engine for every configured account: clients, flows, worker, scheduler.

The scheduler runs the periodic tasks (the events poll, the automatic retry of parked
jobs) and, like the worker's claim loop, is never ended by an error. A remote service
failing (Stripe answering 500 on some page of the events list) is logged and its task
tried again after a backoff; the pass still counts as progress, since waiting for
Stripe is not being stuck. A failure of our own (the database, a bug) is logged and
backed off too, but that pass does not beat the scheduler's heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from stripe_netsuite import exceptions, flows
from stripe_netsuite.engine import health, intake, netsuite_intake
from stripe_netsuite.engine.job_store import SqlJobStore
from stripe_netsuite.engine.worker import POLL_SECONDS, Worker
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.netsuite import changes
from stripe_netsuite.netsuite.client import NetSuiteClient
from stripe_netsuite.netsuite.governor import governor_for
from stripe_netsuite.settings import AccountConfig, Config, Settings
from stripe_netsuite.store import heartbeats as stored_beats
from stripe_netsuite.store import queue
from stripe_netsuite.stripe_api import events
from stripe_netsuite.stripe_api.client import EngineHTTPClient, make_client

log = logging.getLogger(__name__)

#: Seconds between two passes of the scheduler.
TICK_SECONDS = 1.0
#: Seconds a Stripe request may take.
STRIPE_TIMEOUT_SECONDS = 30.0
#: The longest a failed periodic task waits before it is tried again (its own period
#: when that is shorter).
TASK_BACKOFF_CAP_SECONDS = 60.0


@dataclass
class Runtime:
    """Clients per account and the handler the worker runs jobs with."""

    settings: Settings
    config: Config
    database: sa.Engine
    contexts: dict[str, FlowContext] = field(default_factory=dict)
    #: Seconds between the scheduler's passes.
    tick_seconds: float = TICK_SECONDS
    #: The loops `running` started, by name: what ``/readyz`` checks.
    heartbeats: dict[str, health.Heartbeat] = field(default_factory=dict)
    #: This process in the store's heartbeat rows (``host:pid``).
    process: str = field(default_factory=stored_beats.process_name)
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def __aenter__(self) -> Runtime:
        for name, account in self.config.accounts.items():
            self.contexts[name] = await self._context(name, account)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def _context(self, name: str, account: AccountConfig) -> FlowContext:
        governor = governor_for(
            self.settings.database_url,
            account.netsuite.account_id,
            account.netsuite.concurrency,
        )
        closer = getattr(governor, "aclose", None)
        if closer is not None:
            # The PostgreSQL governor holds connections of its own.
            self._stack.push_async_callback(closer)
        client = NetSuiteClient.from_config(account.netsuite, governor=governor)
        netsuite = await self._stack.enter_async_context(client)
        stripe_http = EngineHTTPClient(
            timeout=STRIPE_TIMEOUT_SECONDS,
            reads_per_second=self.settings.stripe_reads_per_second,
            stripe_account_id=account.stripe_account_id,
        )
        self._stack.push_async_callback(stripe_http.close_async)
        return FlowContext(
            name=name,
            account=account,
            stripe=make_client(account, http_client=stripe_http),
            netsuite=netsuite,
            database=self.database,
        )

    def kinds(self, account: str) -> frozenset[str]:
        """The job kinds this account's enabled flows handle."""
        return flows.enabled_kinds(self.config.accounts[account])

    async def handle(self, account: str, kind: str, object_id: str) -> None:
        """Run the flow for one job, then queue the follow-up jobs the flows' hooks ask for."""
        ctx = self.contexts.get(account)
        if ctx is None:
            raise exceptions.NeedsAttention(f"account {account!r} is no longer configured")
        flow = flows.REGISTRY.get(kind)
        if flow is None or kind not in self.kinds(account):
            raise exceptions.Skip("flow_disabled", f"the {kind} flow is not enabled")
        async with flows.registry.object_lock(ctx, object_id):
            await flow(ctx, object_id)
        for follow_kind, follow_id in await flows.registry.follow_ups(ctx, kind, object_id):
            await asyncio.to_thread(
                queue.enqueue, self.database, account=account, kind=follow_kind, object_id=follow_id
            )

    def worker(self, **overrides: Any) -> Worker:
        """A worker wired to this runtime's handler and the settings."""
        options: dict[str, Any] = {
            "store": SqlJobStore(self.database),
            "handler": self.handle,
            "concurrency": self.settings.worker_concurrency,
            "lease_seconds": self.settings.lease_seconds,
            "retry": self.settings.retry_policy,
            "waiting": self.waiting_for_netsuite,
        }
        options.update(overrides)
        options.setdefault(
            "heartbeat",
            health.Heartbeat(
                "worker",
                interval=options.get("poll_seconds", POLL_SECONDS),
                at_least=self.settings.ready_stall_seconds,
            ),
        )
        return Worker(**options)

    def waiting_for_netsuite(self) -> int:
        """Requests of this process waiting for a NetSuite slot, over every account."""
        return sum(ctx.netsuite.governor.waiting for ctx in self.contexts.values())

    def scheduler_heartbeat(self) -> health.Heartbeat:
        """A heartbeat for `scheduler`, stalled after the settings' threshold."""
        return health.Heartbeat(
            "scheduler", interval=self.tick_seconds, at_least=self.settings.ready_stall_seconds
        )

    async def catch_up(self, *, progress: Callable[[], None] | None = None) -> bool:
        """Poll each account's Stripe events list once, through the same intake as webhooks.

        False when some account's poll failed on Stripe's side (logged); a failure of
        our own (the database) is raised. *progress* is called after each page read.
        """
        went_through = True
        for name, ctx in self.contexts.items():
            accept = functools.partial(
                intake.accept, self.database, account=name, kinds=self.kinds(name)
            )
            try:
                await events.catch_up(
                    ctx.stripe, self.database, account=name, accept=accept, progress=progress
                )
            except exceptions.SyncError as exc:
                log.warning("events poll failed account=%s error=%s", name, exc)
                went_through = False
        return went_through

    async def poll_netsuite(self) -> bool:
        """Poll NetSuite for changes, for each account with a NetSuite → Stripe flow on.

        False when some account's poll failed on NetSuite's side (logged).
        """
        went_through = True
        for name, ctx in self.contexts.items():
            wanted = self.kinds(name) & set(changes.RECORD_TYPES)
            if not wanted:
                continue
            try:
                await netsuite_intake.poll(ctx, wanted)
            except exceptions.SyncError as exc:
                log.warning("netsuite poll failed account=%s error=%s", name, exc)
                went_through = False
        return went_through

    async def scheduler(
        self, worker: Worker | None = None, *, heartbeat: health.Heartbeat | None = None
    ) -> None:
        """Periodic work: events catch-up and automatic retry of parked jobs, until cancelled.

        Each pass beats *heartbeat* (as does each page of a long catch-up) unless one of
        the tasks is failing on our side, until it succeeds again. A failed task is tried
        again after a backoff (from 1 s, doubling, with jitter, up to its own period or
        `TASK_BACKOFF_CAP_SECONDS`).
        """
        beat = heartbeat or self.scheduler_heartbeat()
        loop = asyncio.get_running_loop()

        def progress() -> None:
            if not any(task.broken for task in tasks):
                beat.beat()

        async def poll() -> bool:
            went_through = await self.catch_up(progress=progress)
            if worker is not None:
                worker.wake()
            return went_through

        async def auto_retry() -> bool:
            count = await asyncio.to_thread(queue.requeue, self.database)
            if count:
                log.info("parked jobs requeued count=%s", count)
            return True

        async def netsuite_poll() -> bool:
            went_through = await self.poll_netsuite()
            if worker is not None:
                worker.wake()
            return went_through

        retry_every = self.settings.auto_retry_seconds
        ns_every = self.settings.netsuite_poll_seconds
        tasks = [
            _Periodic("events_poll", self.settings.events_poll_seconds, poll, loop.time()),
            _Periodic("netsuite_poll", ns_every, netsuite_poll, loop.time()),
            _Periodic("auto_retry", retry_every, auto_retry, loop.time() + retry_every),
        ]
        try:
            while True:
                for task in tasks:
                    await task.run_if_due(loop.time())
                progress()
                await asyncio.sleep(self.tick_seconds)
        finally:
            beat.stop()


class _Periodic:
    """One task of the scheduler: when it is due next, and its failures so far.

    `broken` is set while the task fails on our side (the database, a bug); a remote
    service failing (Stripe's outage, told by a `SyncError`) leaves it unset.
    """

    def __init__(
        self, name: str, every: float, work: Callable[[], Awaitable[bool]], first: float
    ) -> None:
        self.name = name
        self.every = every
        self.work = work
        self.next_at = first
        base = min(1.0, every) if every > 0 else 1.0
        self.backoff = health.Backoff(
            base=base, cap=min(max(every, base), TASK_BACKOFF_CAP_SECONDS)
        )
        self.broken = False

    async def run_if_due(self, now: float) -> None:
        """Run the task when it is due; log and back off when it fails."""
        if self.every <= 0 or now < self.next_at:
            return
        try:
            went_through = await self.work()
        except Exception:
            self.broken = True
            delay = self.backoff.failed()
            log.exception(
                "scheduler task failed task=%s failures=%s retry_in=%.1fs",
                self.name,
                self.backoff.failures,
                delay,
            )
            self.next_at = now + delay
            return
        self.broken = False
        if went_through:
            self.backoff.succeeded()
            self.next_at = now + self.every
        else:
            self.next_at = now + self.backoff.failed()


@contextlib.asynccontextmanager
async def running(runtime: Runtime, *, with_scheduler: bool = True) -> AsyncIterator[Worker]:
    """Run a worker (and the scheduler) in the background for the duration of the block."""
    async with runtime:
        worker = runtime.worker()
        runtime.heartbeats["worker"] = worker.heartbeat
        tasks = [asyncio.create_task(worker.run(), name="worker")]
        if with_scheduler:
            beat = runtime.heartbeats["scheduler"] = runtime.scheduler_heartbeat()
            scheduler = runtime.scheduler(worker, heartbeat=beat)
            tasks.append(asyncio.create_task(scheduler, name="scheduler"))
        tasks.append(asyncio.create_task(publish_heartbeats(runtime), name="heartbeats"))
        try:
            yield worker
        finally:
            worker.stop()
            for task in tasks[1:]:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            try:
                await asyncio.to_thread(stored_beats.forget, runtime.database, runtime.process)
            except Exception:
                log.exception("heartbeat rows not removed process=%s", runtime.process)


async def publish_heartbeats(runtime: Runtime, every: float = stored_beats.WRITE_SECONDS) -> None:
    """Copy the running loops' last beats to the store every *every* seconds, until cancelled.

    A loop that has ended is not written, so its row ages and the monitor sees it down.
    """
    started = datetime.now(UTC)
    while True:
        beats = {n: b.beat_at() for n, b in runtime.heartbeats.items() if not b.stopped}
        try:
            await asyncio.to_thread(
                stored_beats.record, runtime.database, runtime.process, beats, started_at=started
            )
        except Exception:
            log.exception("heartbeats not written process=%s", runtime.process)
        await asyncio.sleep(every)
