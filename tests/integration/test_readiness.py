"""The probes: ``/healthz`` says the process answers, ``/readyz`` that it does its work.

A stall is made for real: the worker's claims and the scheduler's automatic retry need
the ``jobs`` table, which another connection holds (SQLite ``BEGIN EXCLUSIVE``,
PostgreSQL ``LOCK TABLE``). Waits are bounded; nothing is asserted about how fast.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from stripe_netsuite.engine.runtime import Runtime, running
from stripe_netsuite.settings import Settings, parse_config
from stripe_netsuite.store import db
from stripe_netsuite.web.app import create_app, worker_lifespan
from stripe_netsuite_sandbox.serving import serve_in_thread

CONFIG = parse_config(
    {
        "accounts": {
            "main": {
                "stripe_account_id": "acct_1",
                "stripe_api_key": "sk_test_1",
                # Never called: no job runs and Stripe is not polled.
                "netsuite": {
                    "account_id": "1234567_SB1",
                    "auth": "tba",
                    "consumer_key": "ck",
                    "consumer_secret": "cs",
                    "token_id": "ti",
                    "token_secret": "ts",
                },
            }
        }
    }
)


def settings_for(url: str) -> Settings:
    # Short thresholds so that a stall shows within a second or so; no Stripe polling.
    return Settings(
        database_url=url, events_poll_seconds=0, auto_retry_seconds=0.02, ready_stall_seconds=0.3
    )


def wait_for(probe: Callable[[], httpx.Response], status: int, within: float = 60.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        response = probe()
        if response.status_code == status:
            return response.json()
        assert time.monotonic() < deadline, f"/readyz stayed {response.status_code}"
        time.sleep(0.02)


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, sa.Engine]]:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT", 0.05)  # a locked claim gives up quickly
    engine = db.make_database(database_url)
    db.migrate(engine)
    yield database_url, engine
    engine.dispose()


def hold_jobs_table(url: str, engine: sa.Engine) -> Callable[[], None]:
    """Lock the jobs table from another connection; returns the release."""
    if engine.dialect.name == "sqlite":
        path = sa.engine.make_url(url).database
        assert path is not None
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")

        def release_sqlite() -> None:
            holder.execute("COMMIT")
            holder.close()

        return release_sqlite
    conn = sa.create_engine(db.normalize_url(url), poolclass=sa.NullPool).connect()
    conn.execute(sa.text("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE"))

    def release_postgres() -> None:
        conn.commit()
        conn.close()

    return release_postgres


def test_readyz_fails_while_the_loops_are_stalled_and_recovers_after(
    database: tuple[str, sa.Engine],
) -> None:
    url, engine = database
    settings = settings_for(url)
    app = create_app(
        config=CONFIG,
        database=engine,
        lifespan=worker_lifespan(
            lambda: Runtime(settings=settings, config=CONFIG, database=engine, tick_seconds=0.02)
        ),
    )
    server = serve_in_thread(app)
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as http:

            def probe() -> httpx.Response:
                return http.get("/readyz")

            ready = wait_for(probe, 200)
            assert ready == {
                "status": "ready",
                "checks": {"database": "ok", "worker": "ok", "scheduler": "ok"},
            }
            release = hold_jobs_table(url, engine)
            try:
                stalled = wait_for(probe, 503)
                assert stalled["status"] == "unavailable"
                assert stalled["checks"]["database"] == "ok"
                assert stalled["checks"]["scheduler"].startswith("scheduler made no progress for")
                assert "scheduler made no progress" in stalled["reason"]
                # Liveness does not follow: restarting would not free the table.
                assert http.get("/healthz").status_code == 200
            finally:
                release()
            assert wait_for(probe, 200)["checks"]["scheduler"] == "ok"
    finally:
        server.stop()


async def test_readyz_fails_once_the_scheduler_has_died(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/sns.db"
    engine = db.make_database(url)
    db.migrate(engine)
    runtime = Runtime(settings=settings_for(url), config=CONFIG, database=engine)
    app = create_app(config=CONFIG, database=engine)
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            running(runtime),
            httpx.AsyncClient(transport=transport, base_url="http://engine") as http,
        ):
            app.state.heartbeats = runtime.heartbeats
            assert (await http.get("/readyz")).status_code == 200
            [scheduler] = [t for t in asyncio.all_tasks() if t.get_name() == "scheduler"]
            scheduler.cancel()
            with pytest.raises(asyncio.CancelledError):
                await scheduler
            response = await http.get("/readyz")
            assert response.status_code == 503
            assert response.json()["reason"] == "scheduler is not running"
            assert response.json()["checks"]["worker"] == "ok"
    finally:
        engine.dispose()


async def test_readyz_fails_when_the_database_is_unreachable_and_healthz_does_not() -> None:
    # Nothing listens on port 1: every connection is refused at once.
    engine = db.make_database("postgresql://sns@127.0.0.1:1/sns")
    app = create_app(config=CONFIG, database=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engine") as http:
        response = await http.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "reason": "database unreachable (OperationalError)",
            "checks": {"database": "database unreachable (OperationalError)"},
        }
        assert (await http.get("/healthz")).json() == {"status": "ok"}
    engine.dispose()


async def test_a_web_app_without_a_worker_is_ready_when_its_database_answers(
    tmp_path: Path,
) -> None:
    engine = db.make_database(f"sqlite:///{tmp_path}/sns.db")
    app = create_app(config=CONFIG, database=engine)  # no lifespan: webhooks only
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engine") as http:
        response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}
    engine.dispose()
