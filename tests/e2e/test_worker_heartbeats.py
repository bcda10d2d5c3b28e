"""Every engine process's loops are watched through the store: a `stripe-netsuite worker`
killed with SIGKILL is alerted once (to a local Slack-compatible receiver) and shown stale on
the console's overview; one stopped cleanly removes its rows and is alerted never."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from stripe_netsuite.engine.monitor import Monitor
from stripe_netsuite.settings import Config, Settings, parse_config
from stripe_netsuite.store import heartbeats
from stripe_netsuite.web.console import pages
from stripe_netsuite.web.console.state import ConsoleState
from stripe_netsuite_sandbox import demo
from stripe_netsuite_sandbox.serving import serve_in_thread

StackFactory = Callable[..., demo.Stack]

#: The stall threshold the monitor and the console use here (SNS_READY_STALL_SECONDS).
STALL = 2.0


@pytest.fixture
def posts() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local Slack-compatible webhook receiver: its URL and what it was sent."""
    received: list[dict[str, Any]] = []

    async def hook(request: Request) -> JSONResponse:
        received.append(json.loads(await request.body()))
        return JSONResponse({"ok": True})

    server = serve_in_thread(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))
    try:
        yield server.base_url + "/hook", received
    finally:
        server.stop()


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[[demo.Stack], subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(stack: demo.Stack) -> subprocess.Popen[bytes]:
        env = {**os.environ, "SNS_CONFIG": str(stack.settings.config),
               "SNS_DATABASE_URL": stack.database_url, "SNS_EVENTS_POLL_SECONDS": "0",
               "SNS_LOG_LEVEL": "WARNING"}  # fmt: skip
        log = open(tmp_path / f"worker{len(procs)}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "stripe_netsuite", "worker"], env=env, stdout=log, stderr=log
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=15)


def alerting(url: str) -> Config:
    return parse_config({"accounts": {"main": {
        "stripe_account_id": "acct_1", "stripe_api_key": "sk_test_1",
        "netsuite": {"account_id": "1234567_SB1"}, "alerts": {"webhook_url": url},
    }}})  # fmt: skip


def wait_for(database: sa.Engine, process: str, loops: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len([b for b in heartbeats.list_beats(database) if b.process == process]) < loops:
        assert time.monotonic() < deadline, f"{process} never recorded {loops} heartbeats"
        time.sleep(0.1)


async def watch(stack: demo.Stack, spawn: Callable[[demo.Stack], subprocess.Popen[bytes]],
                posts: tuple[str, list[dict[str, Any]]]) -> None:  # fmt: skip
    url, received = posts
    settings = Settings(ready_stall_seconds=STALL)
    monitor = Monitor(settings=settings, config=alerting(url), database=stack.database)
    console = ConsoleState(settings=settings, config=alerting(url), database=stack.database)

    victim = spawn(stack)
    process = f"{socket.gethostname()}:{victim.pid}"
    wait_for(stack.database, process, loops=2)
    await monitor.check()
    assert received == []
    shown = [w for w in (await pages._overview(console))["workers"] if w["process"] == process]
    assert sorted(w["loop"] for w in shown) == ["scheduler", "worker"]
    assert not any(w["stale"] for w in shown)

    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    deadline = time.monotonic() + 60
    while not received:
        assert time.monotonic() < deadline, "no alert for the killed worker"
        time.sleep(0.5)
        await monitor.check()
    await monitor.check()
    await monitor.check()
    assert len(received) == 1  # once, until it is back
    subject, body = received[0]["text"].split("\n", 1)
    assert subject == f"*[stripe-netsuite main] worker {process} down*"
    assert "worker: no pass for" in body and "scheduler: no pass for" in body
    shown = [w for w in (await pages._overview(console))["workers"] if w["process"] == process]
    assert [w["stale"] for w in shown] == [True, True]
    assert all(w["age"] > STALL for w in shown)

    # A worker stopped cleanly removes its rows: nothing to alert.
    calm = spawn(stack)
    calm_process = f"{socket.gethostname()}:{calm.pid}"
    wait_for(stack.database, calm_process, loops=2)
    await monitor.check()
    calm.send_signal(signal.SIGTERM)
    assert calm.wait(timeout=30) == 0
    assert [b for b in heartbeats.list_beats(stack.database) if b.process == calm_process] == []
    time.sleep(STALL + 0.5)
    await monitor.check()
    assert len(received) == 1
    assert calm_process not in monitor.workers_down


async def test_a_killed_worker_is_alerted_once_and_a_clean_stop_never(
    make_stack: StackFactory,
    spawn: Callable[[demo.Stack], subprocess.Popen[bytes]],
    posts: tuple[str, list[dict[str, Any]]],
) -> None:
    await watch(make_stack(run_worker=False), spawn, posts)


@pytest.mark.postgres
async def test_a_killed_worker_on_postgres_is_alerted_once(
    make_stack: StackFactory,
    spawn: Callable[[demo.Stack], subprocess.Popen[bytes]],
    posts: tuple[str, list[dict[str, Any]]],
    postgres_url: str,
) -> None:
    await watch(make_stack(run_worker=False, database_url=postgres_url), spawn, posts)
