"""The running engine for every configured account: clients, flows, worker, scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from stripe_netsuite import exceptions, flows
from stripe_netsuite.engine import intake
from stripe_netsuite.engine.job_store import SqlJobStore
from stripe_netsuite.engine.worker import Worker
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.netsuite.client import NetSuiteClient
from stripe_netsuite.netsuite.governor import governor_for
from stripe_netsuite.settings import AccountConfig, Config, Settings
from stripe_netsuite.store import queue
from stripe_netsuite.stripe_api import events
from stripe_netsuite.stripe_api.client import make_client

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Clients per account and the handler the worker runs jobs with."""

    settings: Settings
    config: Config
    database: sa.Engine
    contexts: dict[str, FlowContext] = field(default_factory=dict)
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
        return FlowContext(
            name=name,
            account=account,
            stripe=make_client(account),
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
        }
        options.update(overrides)
        return Worker(**options)

    async def catch_up(self) -> None:
        """Poll each account's Stripe events list once, through the same intake as webhooks."""
        for name, ctx in self.contexts.items():
            accept = functools.partial(
                intake.accept, self.database, account=name, kinds=self.kinds(name)
            )
            try:
                await events.catch_up(ctx.stripe, self.database, account=name, accept=accept)
            except exceptions.SyncError as exc:
                log.warning("events poll failed account=%s error=%s", name, exc)

    async def scheduler(self, worker: Worker | None = None) -> None:
        """Periodic work: events catch-up and automatic retry of parked jobs."""
        poll = self.settings.events_poll_seconds
        retry = self.settings.auto_retry_seconds
        loop = asyncio.get_running_loop()
        next_poll = loop.time()
        next_retry = loop.time() + retry
        while True:
            now = loop.time()
            if poll > 0 and now >= next_poll:
                await self.catch_up()
                next_poll = now + poll
                if worker is not None:
                    worker.wake()
            if retry > 0 and now >= next_retry:
                count = await asyncio.to_thread(queue.requeue, self.database)
                if count:
                    log.info("parked jobs requeued count=%s", count)
                next_retry = now + retry
            await asyncio.sleep(1.0)


@contextlib.asynccontextmanager
async def running(runtime: Runtime, *, with_scheduler: bool = True) -> AsyncIterator[Worker]:
    """Run a worker (and the scheduler) in the background for the duration of the block."""
    async with runtime:
        worker = runtime.worker()
        tasks = [asyncio.create_task(worker.run(), name="worker")]
        if with_scheduler:
            tasks.append(asyncio.create_task(runtime.scheduler(worker), name="scheduler"))
        try:
            yield worker
        finally:
            worker.stop()
            for task in tasks[1:]:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
