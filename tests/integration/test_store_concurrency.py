"""Several workers claiming from one queue: every job is claimed exactly once, and no
object is ever held by two workers at once. PostgreSQL with 4 processes, SQLite with 2
threads."""

from __future__ import annotations

import multiprocessing
import queue as stdqueue
import random
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from stripe_netsuite.store import db, queue, tables
from stripe_netsuite.store.queue import JobState

JOBS = 200
#: Long enough that no lease runs out during a test; expiry is tested in unit tests.
LEASE = 600.0


def _claim_loop(url: str, name: str, finish: bool, start: Any) -> list[int]:
    """Claim until nothing is claimable; complete each job when ``finish`` is set."""
    database = db.make_database(url)
    try:
        with database.connect() as conn:
            conn.execute(sa.text("select 1"))
        start.wait(60)
        rng = random.Random(name)
        claimed: list[int] = []
        while True:
            jobs = queue.claim(
                database, worker_id=name, lease_seconds=LEASE, limit=rng.randint(1, 5)
            )
            if not jobs:
                return claimed
            for job in jobs:
                claimed.append(job.id)
                if finish:
                    assert queue.complete(database, job, name), f"{name} lost job {job.id}"
    finally:
        database.dispose()


def _process_main(url: str, name: str, finish: bool, start: Any, results: Any) -> None:
    try:
        results.put((name, _claim_loop(url, name, finish, start), None))
    except BaseException as exc:
        results.put((name, [], f"{type(exc).__name__}: {exc}"))


def _in_processes(url: str, workers: int, *, finish: bool) -> dict[str, list[int]]:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_process_main, args=(url, f"p{i}", finish, start, results))
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    start.set()
    collected: dict[str, list[int]] = {}
    errors: list[str] = []
    try:
        for _ in procs:
            name, ids, error = results.get(timeout=120)
            collected[name] = ids
            if error:
                errors.append(f"{name}: {error}")
    finally:
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
    assert errors == []
    return collected


def _in_threads(url: str, workers: int, *, finish: bool) -> dict[str, list[int]]:
    start = threading.Event()
    results: stdqueue.Queue[tuple[str, list[int], str | None]] = stdqueue.Queue()

    def run(name: str) -> None:
        try:
            results.put((name, _claim_loop(url, name, finish, start), None))
        except BaseException as exc:
            results.put((name, [], f"{type(exc).__name__}: {exc}"))

    threads = [threading.Thread(target=run, args=(f"t{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join(120)
    collected: dict[str, list[int]] = {}
    errors: list[str] = []
    while not results.empty():
        name, ids, error = results.get()
        collected[name] = ids
        if error:
            errors.append(f"{name}: {error}")
    assert errors == []
    assert len(collected) == workers
    return collected


def _fill(database: sa.Engine, objects: int) -> set[int]:
    with database.begin() as conn:
        for i in range(objects):
            assert queue.enqueue(conn, account="acct_1", kind="invoice", object_id=f"in_{i}")
        return set(conn.execute(sa.select(tables.jobs.c.id)).scalars())


def _fill_with_stale_leases(database: sa.Engine, objects: int) -> None:
    """Per object: one job whose worker died (lease run out) and one pending job."""
    _fill(database, objects)
    past = db.utcnow() - timedelta(minutes=5)
    with database.begin() as conn:
        conn.execute(
            sa.update(tables.jobs).values(
                state=JobState.RUNNING, leased_by="dead", lease_until=past, attempts=1
            )
        )
        for i in range(objects):
            assert queue.enqueue(conn, account="acct_1", kind="invoice", object_id=f"in_{i}")


def _assert_exactly_once(database: sa.Engine, ids: set[int], claims: dict[str, list[int]]) -> None:
    everything = [job_id for claimed in claims.values() for job_id in claimed]
    assert [job_id for job_id, n in Counter(everything).items() if n > 1] == []
    assert set(everything) == ids
    assert queue.counts(database) == {("invoice", "done"): len(ids)}
    with database.connect() as conn:
        outcomes = conn.execute(
            sa.select(tables.attempts.c.outcome, sa.func.count()).group_by(
                tables.attempts.c.outcome
            )
        ).all()
    assert outcomes == [("done", len(ids))]


def _assert_one_holder_per_object(
    database: sa.Engine, objects: int, claims: dict[str, list[int]]
) -> None:
    everything = [job_id for claimed in claims.values() for job_id in claimed]
    assert len(everything) == len(set(everything))
    with database.connect() as conn:
        rows = conn.execute(
            sa.select(tables.jobs.c.object_id, tables.jobs.c.id).where(
                tables.jobs.c.state == JobState.RUNNING, tables.jobs.c.leased_by != "dead"
            )
        ).all()
    held = Counter(object_id for object_id, _ in rows)
    assert len(held) == objects
    assert set(held.values()) == {1}
    assert {job_id for _, job_id in rows} == set(everything)


@pytest.mark.postgres
def test_four_processes_claim_every_job_exactly_once(postgres_url: str) -> None:
    database = db.make_database(postgres_url)
    db.migrate(database)
    ids = _fill(database, JOBS)
    claims = _in_processes(postgres_url, 4, finish=True)
    _assert_exactly_once(database, ids, claims)
    database.dispose()


@pytest.mark.postgres
def test_four_processes_never_hold_one_object_twice(postgres_url: str) -> None:
    database = db.make_database(postgres_url)
    db.migrate(database)
    _fill_with_stale_leases(database, JOBS // 2)
    claims = _in_processes(postgres_url, 4, finish=False)
    _assert_one_holder_per_object(database, JOBS // 2, claims)
    database.dispose()


def test_two_threads_claim_every_job_exactly_once_on_sqlite(sqlite_url: str) -> None:
    database = db.make_database(sqlite_url)
    db.migrate(database)
    ids = _fill(database, JOBS)
    claims = _in_threads(sqlite_url, 2, finish=True)
    _assert_exactly_once(database, ids, claims)
    database.dispose()


def test_two_threads_never_hold_one_object_twice_on_sqlite(sqlite_url: str) -> None:
    database = db.make_database(sqlite_url)
    db.migrate(database)
    _fill_with_stale_leases(database, JOBS // 2)
    claims = _in_threads(sqlite_url, 2, finish=False)
    _assert_one_holder_per_object(database, JOBS // 2, claims)
    database.dispose()
