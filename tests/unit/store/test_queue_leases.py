"""Leases by the database's clock, and jobs whose worker keeps dying, on both backends.

Host clock skew is simulated by moving ``db.utcnow`` (what the host believes) far off;
the queue must judge leases by the database's clock alone. A worker that dies mid-run
is simulated by moving the job's stored lease into the past, as the database's clock
running past it would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from stripe_netsuite.store import db, queue, tables
from stripe_netsuite.store.queue import JobState, Outcome


def _enqueue(database: sa.Engine, object_id: str = "in_1") -> None:
    queue.enqueue(database, account="acct_1", kind="invoice", object_id=object_id)


def _expire(database: sa.Engine) -> None:
    """Every running job's lease runs out, as when its worker died and time went by."""
    past = db.utcnow() - timedelta(minutes=10)
    with database.begin() as conn:
        conn.execute(
            sa.update(tables.jobs)
            .where(tables.jobs.c.state == JobState.RUNNING)
            .values(lease_until=past)
        )


def _skew(monkeypatch: pytest.MonkeyPatch, offset: timedelta) -> Callable[[], datetime]:
    real = db.utcnow

    def skewed() -> datetime:
        return real() + offset

    monkeypatch.setattr(db, "utcnow", skewed)
    return real


def _job(database: sa.Engine, job_id: int) -> queue.Job:
    [job] = [j for j in queue.list_jobs(database, limit=1000) if j.id == job_id]
    return job


def _outcomes(database: sa.Engine, job_id: int) -> list[tuple[str, str | None]]:
    stmt = (
        sa.select(tables.attempts.c.outcome, tables.attempts.c.error_class)
        .where(tables.attempts.c.job_id == job_id)
        .order_by(tables.attempts.c.id)
    )
    with database.connect() as conn:
        return [(row.outcome, row.error_class) for row in conn.execute(stmt)]


@pytest.mark.parametrize(
    "offset", [timedelta(days=1), timedelta(hours=-3)], ids=["ahead", "behind"]
)
def test_a_host_with_a_skewed_clock_takes_no_live_lease(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch, offset: timedelta
) -> None:
    _enqueue(database)
    [held] = queue.claim(database, worker_id="host-a", lease_seconds=60)
    _skew(monkeypatch, offset)
    # Host B's clock says the lease ran out long ago (or is far from due): it takes nothing.
    assert queue.claim(database, worker_id="host-b", lease_seconds=60) == []
    assert _job(database, held.id).leased_by == "host-a"
    assert queue.complete(database, held, "host-a") is True


def test_a_host_whose_clock_is_behind_renews_a_lease_that_stays_live(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _enqueue(database)
    real = _skew(monkeypatch, timedelta(hours=-3))
    [held] = queue.claim(database, worker_id="host-a", lease_seconds=60)
    assert queue.extend_lease(database, held, "host-a", 60) is True
    monkeypatch.setattr(db, "utcnow", real)
    renewed = _job(database, held.id)
    assert renewed.lease_until is not None
    # By the database's clock the lease runs a minute from now, not three hours ago.
    assert renewed.lease_until > real() + timedelta(seconds=50)
    assert queue.claim(database, worker_id="host-b", lease_seconds=60) == []


def test_times_written_by_a_skewed_host_are_the_databases(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _skew(monkeypatch, timedelta(days=2))
    _enqueue(database)
    # Due now by the database's clock: a host two days ahead does not push it into the future.
    [job] = queue.claim(database, worker_id="host-a", lease_seconds=60)
    assert queue.retry_later(database, job, "host-a", error=TimeoutError(), delay_seconds=30)
    pending = _job(database, job.id)
    assert abs(pending.run_after - (real() + timedelta(seconds=30))) < timedelta(seconds=10)


def test_a_job_whose_lease_keeps_expiring_is_parked_after_the_limit(database: sa.Engine) -> None:
    _enqueue(database)
    runs: list[int] = []
    for attempt in range(1, 4):
        [job] = queue.claim(database, worker_id=f"w{attempt}", lease_seconds=60, max_attempts=3)
        assert job.attempts == attempt  # counted when claimed, not when finished
        runs.append(job.id)
        _expire(database)  # the worker dies with the job: no outcome is ever written
    assert queue.claim(database, worker_id="w4", lease_seconds=60, max_attempts=3) == []
    parked = _job(database, runs[0])
    assert parked.state is JobState.PARKED
    assert parked.last_error == "LeaseExpired: worker lost 3 times; lease expired"
    assert parked.lease_until is None
    assert _outcomes(database, parked.id) == [
        (Outcome.LOST, "LeaseExpired"),
        (Outcome.LOST, "LeaseExpired"),
        (Outcome.PARKED, "LeaseExpired"),
    ]
    # A person requeues it: a new round of attempts begins.
    assert queue.requeue(database, job_id=parked.id) == 1
    [again] = queue.claim(database, worker_id="w5", lease_seconds=60, max_attempts=3)
    assert again.attempts == 1


def test_a_parked_crash_loop_does_not_block_its_objects_next_job(database: sa.Engine) -> None:
    _enqueue(database)
    [first] = queue.claim(database, worker_id="w1", lease_seconds=60, max_attempts=1)
    _enqueue(database)  # a new event for the object while it ran
    _expire(database)
    [follow_up] = queue.claim(database, worker_id="w2", lease_seconds=60, max_attempts=1)
    assert follow_up.id != first.id
    assert _job(database, first.id).state is JobState.PARKED
    assert _job(database, first.id).last_error == "LeaseExpired: worker lost 1 time; lease expired"


def test_the_parked_message_counts_lost_runs_only(database: sa.Engine) -> None:
    _enqueue(database)
    [job] = queue.claim(database, worker_id="w1", lease_seconds=60, max_attempts=2)
    assert queue.retry_later(database, job, "w1", error=TimeoutError("slow"), delay_seconds=0)
    [job] = queue.claim(database, worker_id="w2", lease_seconds=60, max_attempts=2)
    _expire(database)
    assert queue.claim(database, worker_id="w3", lease_seconds=60, max_attempts=2) == []
    parked = _job(database, job.id)
    assert parked.last_error == "LeaseExpired: worker lost 1 time; lease expired"
    assert [outcome for outcome, _ in _outcomes(database, job.id)] == [
        Outcome.RETRY,
        Outcome.PARKED,
    ]


def test_without_a_limit_an_expired_job_is_taken_back_and_the_loss_recorded(
    database: sa.Engine,
) -> None:
    _enqueue(database)
    for _ in range(5):
        [job] = queue.claim(database, worker_id="w", lease_seconds=60)
        _expire(database)
    [job] = queue.claim(database, worker_id="w", lease_seconds=60)
    assert job.attempts == 6
    assert _outcomes(database, job.id) == [(Outcome.LOST, "LeaseExpired")] * 5
