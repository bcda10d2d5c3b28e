"""Claims over a backlog: pending and lost jobs in one order, the index walked, not sorted."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from stripe_netsuite.store import db, queue
from stripe_netsuite.store.queue import JobState, Outcome


def _enqueue(database: sa.Engine, object_id: str, minutes_ago: float) -> None:
    when = db.utcnow() - timedelta(minutes=minutes_ago)
    queue.enqueue(database, account="a", kind="invoice", object_id=object_id, run_after=when)


def test_pending_and_lost_jobs_are_claimed_oldest_first_across_both(database: sa.Engine) -> None:
    _enqueue(database, "in_lost", minutes_ago=20)
    [lost] = queue.claim(database, worker_id="w0", lease_seconds=0.05, limit=1)
    _enqueue(database, "in_old", minutes_ago=30)
    _enqueue(database, "in_new", minutes_ago=10)
    time.sleep(0.1)  # w0's lease runs out: its job is due again, by its own run_after

    first = queue.claim(database, worker_id="w1", lease_seconds=60, limit=2)
    assert [j.object_id for j in first] == ["in_old", "in_lost"]
    assert all(j.state is JobState.RUNNING and j.leased_by == "w1" for j in first)
    assert first[1].id == lost.id
    assert first[1].attempts == 2
    [rest] = queue.claim(database, worker_id="w1", lease_seconds=60, limit=5)
    assert rest.object_id == "in_new"
    with database.connect() as conn:
        outcomes = conn.execute(
            sa.select(queue.attempts.c.outcome).where(queue.attempts.c.job_id == lost.id)
        ).scalars()
        assert [Outcome(o) for o in outcomes] == [Outcome.LOST]


def test_a_claim_returns_the_rows_it_leased(database: sa.Engine) -> None:
    for n in range(5):
        _enqueue(database, f"in_{n}", minutes_ago=5 - n)
    claimed = queue.claim(database, worker_id="w1", lease_seconds=60, limit=5)
    stored = {j.id: j for j in queue.list_jobs(database, state="running", limit=10)}
    assert [j.object_id for j in claimed] == [f"in_{n}" for n in range(5)]
    assert claimed == [stored[j.id] for j in claimed]


def test_a_claim_over_a_large_backlog_takes_only_what_it_asks_for(database: sa.Engine) -> None:
    now = db.utcnow()
    with database.begin() as conn:
        for n in range(2000):
            queue.enqueue(
                conn, account="a", kind="invoice", object_id=f"in_{n:04}",
                run_after=now - timedelta(seconds=2000 - n),
            )  # fmt: skip
    claimed = queue.claim(database, worker_id="w1", lease_seconds=60, limit=3)
    assert [j.object_id for j in claimed] == ["in_0000", "in_0001", "in_0002"]
    assert queue.counts(database) == {("invoice", "running"): 3, ("invoice", "pending"): 1997}


def test_threads_of_one_process_write_without_locking_each_other_out(
    database: sa.Engine,
) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(25):
                queue.enqueue(database, account="a", kind="invoice", object_id=f"in_{n}_{i}")
                for job in queue.claim(database, worker_id=f"w{n}", lease_seconds=60, limit=2):
                    assert queue.complete(database, job, f"w{n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = queue.counts(database)
    assert sum(counts.values()) == 150
    assert counts.get(("invoice", "running"), 0) == 0
