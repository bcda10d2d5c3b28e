"""Worker processes: a SIGKILL loses and duplicates nothing; two workers never share a job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from stripe_netsuite.store import queue, tables
from stripe_netsuite_sandbox import books, demo

StackFactory = Callable[..., demo.Stack]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[[demo.Stack], subprocess.Popen[bytes]]]:
    """Start ``stripe-netsuite worker`` processes for a stack; all are stopped afterwards."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(stack: demo.Stack) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "SNS_CONFIG": str(stack.settings.config),
            "SNS_DATABASE_URL": stack.database_url,
            "SNS_LEASE_SECONDS": "3",
            "SNS_EVENTS_POLL_SECONDS": "0",
            "SNS_WORKER_CONCURRENCY": "4",
            "SNS_LOG_LEVEL": "WARNING",
        }
        log = open(tmp_path / f"worker{len(procs)}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "stripe_netsuite", "worker"], env=env, stdout=log, stderr=log
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def flush(stack: demo.Stack) -> None:
    httpx.post(
        stack.stripe.base_url + "/__sandbox/webhooks/flush",
        headers={"Authorization": f"Bearer {stack.api_key}"},
        timeout=60,
    ).raise_for_status()


def wait_idle(stack: demo.Stack, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    calm = 0
    while calm < 4:
        assert time.monotonic() < deadline, f"queue not idle: {queue.counts(stack.engine)}"
        flush(stack)
        time.sleep(0.5)
        calm = calm + 1 if queue.is_idle(stack.database) else 0


def create(stack: demo.Stack, n: int) -> list[str]:
    client = stack.stripe_client()
    return [
        client.v1.customers.create(params={"name": f"Worker Co {i}", "email": f"w{i}@x.example"}).id
        for i in range(n)
    ]


def customers(stack: demo.Stack) -> list[dict[str, object]]:
    return books.synced(books.netsuite_records(stack.netsuite.base_url), "customer")


def test_worker_killed_mid_job_loses_nothing_and_duplicates_nothing(
    make_stack: StackFactory, spawn: Callable[[demo.Stack], subprocess.Popen[bytes]]
) -> None:
    stack = make_stack(run_worker=False, netsuite_options={"latency_ms": 3000})
    ids = create(stack, 3)
    flush(stack)
    victim = spawn(stack)
    deadline = time.monotonic() + 60
    while not queue.list_jobs(stack.database, state="running"):
        assert time.monotonic() < deadline, "the worker never claimed a job"
        time.sleep(0.05)
    time.sleep(0.7)  # mid-request: NetSuite is still answering
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    assert queue.list_jobs(stack.database, state="running"), "the killed job should still be leased"

    spawn(stack)
    wait_idle(stack)
    records = books.netsuite_records(stack.netsuite.base_url)
    assert {c["externalId"] for c in customers(stack)} == {f"acct_sandbox:{i}" for i in ids}
    assert books.duplicate_external_ids(records) == {}
    jobs = queue.list_jobs(stack.database, limit=1000)
    assert {job.state for job in jobs} == {"done"}
    assert max(job.attempts for job in jobs) >= 2  # the killed job ran again


@pytest.mark.postgres
def test_two_workers_on_postgres_never_run_one_job_at_once(
    make_stack: StackFactory,
    spawn: Callable[[demo.Stack], subprocess.Popen[bytes]],
    postgres_url: str,
) -> None:
    stack = make_stack(
        run_worker=False, database_url=postgres_url, netsuite_options={"latency_ms": 50}
    )
    ids = create(stack, 24)
    flush(stack)
    spawn(stack)
    spawn(stack)
    wait_idle(stack)
    assert len(customers(stack)) == len(ids)
    assert books.duplicate_external_ids(books.netsuite_records(stack.netsuite.base_url)) == {}
    with stack.database.connect() as conn:
        rows = conn.execute(
            sa.select(
                tables.jobs.c.object_id,
                tables.attempts.c.started_at,
                tables.attempts.c.finished_at,
                tables.attempts.c.job_id,
            )
            .join(tables.jobs, tables.jobs.c.id == tables.attempts.c.job_id)
            .order_by(tables.jobs.c.object_id, tables.attempts.c.started_at)
        ).all()
    assert rows, "no attempts were recorded"
    per_job: dict[int, int] = {}
    last_end: dict[str, object] = {}
    for object_id, started, finished, job_id in rows:
        per_job[job_id] = per_job.get(job_id, 0) + 1
        previous = last_end.get(object_id)
        assert previous is None or previous <= started, f"{object_id} ran twice at once"
        last_end[object_id] = finished
    assert set(per_job.values()) == {1}
    leased_by = {job.leased_by for job in queue.list_jobs(stack.database, limit=1000)}
    assert len(leased_by - {None}) == 2, "both workers should have taken jobs"
