"""Real failures the worker's claim loop and the scheduler must come through.

A SQLite file held by another connection's ``BEGIN EXCLUSIVE``, a PostgreSQL backend
terminated under the worker with ``pg_terminate_backend``, and the Stripe sandbox
answering 500 to the second page of ``GET /v1/events``: each loop logs the failure,
backs off and goes on, and the jobs that come afterwards still complete. Waits are
bounded; nothing is asserted about how fast.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
import stripe

from stripe_netsuite.engine.job_store import SqlJobStore
from stripe_netsuite.engine.runtime import Runtime, running
from stripe_netsuite.engine.worker import Worker
from stripe_netsuite.settings import Settings, parse_config
from stripe_netsuite.store import db, queue
from stripe_netsuite.store.queue import JobState
from stripe_netsuite.stripe_api import events
from stripe_netsuite_sandbox.netsuite import chart
from stripe_netsuite_sandbox.netsuite.app import SandboxConfig
from stripe_netsuite_sandbox.netsuite.app import create_app as create_netsuite
from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig
from stripe_netsuite_sandbox.stripe.app import create_app as create_stripe


async def until(condition: Callable[[], bool], *, within: float = 60.0) -> None:
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(0.01)


async def nothing(account: str, kind: str, object_id: str) -> None:
    """A flow that succeeds at once: these tests are about the loop, not the flow."""


def state(database: sa.Engine, object_id: str) -> JobState | None:
    found = [j.state for j in queue.list_jobs(database) if j.object_id == object_id]
    return found[0] if found else None


def claim_failures(caplog: pytest.LogCaptureFixture) -> int:
    return sum(r.getMessage().startswith("worker claim failed") for r in caplog.records)


async def test_the_worker_survives_a_locked_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A short busy timeout, so a claim gives up on the lock quickly instead of in 30 s.
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT", 0.05)
    path = tmp_path / "sns.db"
    database = db.make_database(f"sqlite:///{path}")
    db.migrate(database)
    worker = Worker(store=SqlJobStore(database), handler=nothing, poll_seconds=0.01)
    runner = asyncio.create_task(worker.run())
    try:
        queue.enqueue(database, account="main", kind="customer", object_id="cus_before")
        await until(lambda: state(database, "cus_before") is JobState.DONE)

        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            await until(lambda: claim_failures(caplog) >= 3)
            beats = worker.heartbeat.beats
            await until(lambda: claim_failures(caplog) >= 4)
            assert worker.heartbeat.beats == beats  # a failed pass is no progress
            assert not runner.done()
        finally:
            holder.execute("COMMIT")
            holder.close()

        queue.enqueue(database, account="main", kind="customer", object_id="cus_after")
        await until(lambda: state(database, "cus_after") is JobState.DONE)
        assert worker.heartbeat.beats > beats
    finally:
        worker.stop()
        await asyncio.wait_for(runner, 30)
        database.dispose()
    failure = next(r for r in caplog.records if r.getMessage().startswith("worker claim failed"))
    assert failure.exc_info is not None
    assert "database is locked" in str(failure.exc_info[1])


@pytest.mark.postgres
async def test_the_worker_survives_a_terminated_postgres_connection(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    database = db.make_database(postgres_url)
    backends: list[int] = []

    @sa.event.listens_for(database, "connect")
    def remember(dbapi_connection: Any, _record: Any) -> None:
        backends.append(dbapi_connection.info.backend_pid)

    db.migrate(database)

    worker = Worker(store=SqlJobStore(database), handler=nothing, poll_seconds=0.01)
    runner = asyncio.create_task(worker.run())
    # Its own connection, closed for real at the end: a session's advisory lock goes with it.
    holder = sa.create_engine(postgres_url, poolclass=sa.NullPool).connect()
    try:
        queue.enqueue(database, account="main", kind="customer", object_id="cus_before")
        await until(lambda: state(database, "cus_before") is JobState.DONE)

        # Hold the claim lock so that the worker's next claim waits inside its transaction,
        # then terminate that connection: the claim fails mid-statement, as in a failover.
        holder.execute(sa.select(sa.func.pg_advisory_lock(queue.CLAIM_LOCK_KEY)))
        holder.commit()
        waiting: list[int] = []

        def worker_waits() -> bool:
            rows = holder.execute(
                sa.text(
                    "select pid from pg_stat_activity where pid = any(:pids) "
                    "and wait_event_type = 'Lock'"
                ),
                {"pids": backends},
            ).scalars()
            waiting[:] = list(rows)
            holder.commit()
            return bool(waiting)

        await until(worker_waits)
        holder.execute(sa.select(sa.func.pg_terminate_backend(waiting[0])))
        holder.commit()
        await until(lambda: claim_failures(caplog) >= 1)
        assert not runner.done()
        holder.close()  # releases the claim lock

        queue.enqueue(database, account="main", kind="customer", object_id="cus_after")
        await until(lambda: state(database, "cus_after") is JobState.DONE)
    finally:
        holder.close()
        worker.stop()
        await asyncio.wait_for(runner, 30)
        database.dispose()
    failure = next(r for r in caplog.records if r.getMessage().startswith("worker claim failed"))
    assert failure.exc_info is not None
    assert isinstance(failure.exc_info[1], sa.exc.OperationalError)


class FailEventsPageTwo:
    """Wraps the Stripe sandbox: ``GET /v1/events`` after the first page answers 500.

    Stripe's own 500 body and ``Stripe-Should-Retry`` header; the SDK retries it, so
    *failures* counts requests, not polls.
    """

    def __init__(self, app: Any, *, failures: int) -> None:
        self.app = app
        self.failures = failures
        self.failed = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == "/v1/events"
            and "starting_after" in parse_qs(scope["query_string"].decode())
            and self.failed < self.failures
        ):
            self.failed += 1
            body = b'{"error": {"type": "api_error", "message": "An unknown error occurred"}}'
            headers = [(b"content-type", b"application/json"), (b"stripe-should-retry", b"true")]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


@pytest.fixture
def sandboxes() -> Iterator[tuple[RunningServer, FailEventsPageTwo, RunningServer]]:
    netsuite = serve_in_thread(create_netsuite(SandboxConfig()))
    faulty = FailEventsPageTwo(create_stripe(StripeSandboxConfig()), failures=3)
    stripe_server = serve_in_thread(faulty)
    yield stripe_server, faulty, netsuite
    stripe_server.stop()
    netsuite.stop()


async def test_the_scheduler_survives_a_stripe_500_on_page_two_of_the_events_list(
    sandboxes: tuple[RunningServer, FailEventsPageTwo, RunningServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stripe_server, faulty, netsuite = sandboxes
    stripe_cfg, ns_cfg = StripeSandboxConfig(), SandboxConfig()
    monkeypatch.setattr(events, "PAGE_SIZE", 2)  # five customers make three pages
    client = stripe.StripeClient(stripe_cfg.api_key, base_addresses={"api": stripe_server.base_url})
    customers = [client.v1.customers.create(params={"name": f"Page Co {n}"}).id for n in range(5)]
    config = parse_config(
        {"accounts": {"main": {
            "stripe_account_id": stripe_cfg.account_id,
            "stripe_api_key": stripe_cfg.api_key,
            "stripe_api_base": stripe_server.base_url,
            "subsidiary": chart.SUBSIDIARY_US,
            "currencies": {"usd": chart.CURRENCIES["usd"]},
            "netsuite": {"account_id": ns_cfg.account_id, "auth": "tba",
                         "base_url": netsuite.base_url,
                         "consumer_key": ns_cfg.consumer_key,
                         "consumer_secret": ns_cfg.consumer_secret,
                         "token_id": ns_cfg.token_id, "token_secret": ns_cfg.token_secret},
        }}}
    )  # fmt: skip
    database = db.make_database(f"sqlite:///{tmp_path / 'sns.db'}")
    db.migrate(database)
    settings = Settings(
        database_url=str(database.url), events_poll_seconds=0.2, auto_retry_seconds=0
    )
    runtime = Runtime(settings=settings, config=config, database=database, tick_seconds=0.02)
    try:
        async with running(runtime):
            await until(
                lambda: all(state(database, c) is JobState.DONE for c in customers), within=120
            )
            scheduler = runtime.heartbeats["scheduler"]
            assert not scheduler.stopped
            assert scheduler.problem() is None
    finally:
        database.dispose()
    assert faulty.failed == 3  # one poll's page two, with the SDK's two retries
    polls = [r for r in caplog.records if r.getMessage().startswith("events poll failed")]
    assert len(polls) == 1
    assert "Stripe error 500" in polls[0].getMessage()
