from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from stripe_netsuite.store import db, queue, tables
from stripe_netsuite.store.queue import JobState, Outcome


def _enqueue(database: sa.Engine, object_id: str = "in_1", **kw: object) -> bool:
    with database.begin() as conn:
        return queue.enqueue(conn, account="acct_1", kind="invoice", object_id=object_id, **kw)  # type: ignore[arg-type]


def _claim_one(database: sa.Engine, worker: str = "w1", **kw: object) -> queue.Job:
    jobs = queue.claim(database, worker_id=worker, lease_seconds=60, **kw)  # type: ignore[arg-type]
    assert len(jobs) == 1
    return jobs[0]


def _find(database: sa.Engine, job_id: int) -> queue.Job | None:
    return next((j for j in queue.list_jobs(database, limit=1000) if j.id == job_id), None)


def _job(database: sa.Engine, job_id: int) -> queue.Job:
    job = _find(database, job_id)
    assert job is not None
    return job


def _attempts(database: sa.Engine, job_id: int) -> list[queue.Attempt]:
    """The rows the queue wrote to ``attempts`` for one job, oldest first."""
    stmt = (
        sa.select(tables.attempts)
        .where(tables.attempts.c.job_id == job_id)
        .order_by(tables.attempts.c.id)
    )
    with database.connect() as conn:
        return [
            queue.Attempt(**{**row._mapping, "outcome": Outcome(row.outcome)})
            for row in conn.execute(stmt)
        ]


def _later(database: sa.Engine, seconds: float) -> None:
    """As if the database's clock moved on by *seconds*: the jobs' stored times move back."""
    shift = timedelta(seconds=seconds)
    jobs = tables.jobs
    with database.begin() as conn:
        for row in conn.execute(sa.select(jobs)).all():
            times = {
                name: getattr(row, name) - shift
                for name in ("run_after", "lease_until", "claimed_at")
                if getattr(row, name) is not None
            }
            conn.execute(sa.update(jobs).where(jobs.c.id == row.id).values(**times))


def _now() -> datetime:
    """This host's time, to compare with the queue's (SQLite's clock ends its millisecond)."""
    return db.utcnow() + timedelta(milliseconds=1)


def _pending(database: sa.Engine) -> int:
    return sum(n for (_, state), n in queue.counts(database).items() if state == "pending")


def test_enqueue_coalesces_one_pending_job_per_object(database: sa.Engine) -> None:
    assert _enqueue(database) is True
    assert _enqueue(database) is False
    assert _enqueue(database, "in_2") is True
    with database.begin() as conn:
        assert queue.enqueue(conn, account="acct_1", kind="customer", object_id="in_1")
        assert queue.enqueue(conn, account="acct_2", kind="invoice", object_id="in_1")
    assert _pending(database) == 4
    assert queue.counts(database) == {("invoice", "pending"): 3, ("customer", "pending"): 1}


def test_enqueue_pulls_run_after_earlier_never_later(database: sa.Engine) -> None:
    now = db.utcnow()
    _enqueue(database, run_after=now + timedelta(hours=2))
    _enqueue(database, run_after=now + timedelta(hours=1))
    _enqueue(database, run_after=now + timedelta(hours=3))
    [job] = queue.list_jobs(database)
    assert abs(job.run_after - (now + timedelta(hours=1))) < timedelta(milliseconds=1)
    _enqueue(database)
    [job] = queue.list_jobs(database)
    assert job.run_after <= _now()


def test_enqueue_accepts_an_engine_and_refuses_empty_ids(database: sa.Engine) -> None:
    assert queue.enqueue(database, account="acct_1", kind="payout", object_id="po_1")
    with pytest.raises(ValueError, match="object_id is empty"):
        queue.enqueue(database, account="acct_1", kind="payout", object_id="")


def test_claim_respects_run_after(database: sa.Engine) -> None:
    _enqueue(database, run_after=db.utcnow() + timedelta(minutes=5))
    assert queue.claim(database, worker_id="w1", lease_seconds=60) == []
    _later(database, 5 * 60)
    job = _claim_one(database)
    assert job.state is JobState.RUNNING
    assert job.attempts == 1
    assert job.leased_by == "w1"
    assert job.claimed_at is not None
    assert job.lease_until == job.claimed_at + timedelta(minutes=1)
    assert queue.claim(database, worker_id="w2", lease_seconds=60) == []


def test_claim_takes_the_oldest_first_up_to_limit(database: sa.Engine) -> None:
    now = db.utcnow()
    for i, minutes in enumerate([3, 1, 2, 4]):
        _enqueue(database, f"in_{i}", run_after=now - timedelta(minutes=minutes))
    claimed = queue.claim(database, worker_id="w1", lease_seconds=60, limit=3)
    assert [j.object_id for j in claimed] == ["in_3", "in_0", "in_2"]
    assert queue.counts(database) == {("invoice", "running"): 3, ("invoice", "pending"): 1}
    assert queue.claim(database, worker_id="w1", lease_seconds=60, limit=0) == []


def test_complete_marks_done_and_records_the_attempt(database: sa.Engine) -> None:
    _enqueue(database)
    job = _claim_one(database)
    assert queue.complete(database, job, "w1") is True
    done = _job(database, job.id)
    assert done.state is JobState.DONE
    assert done.lease_until is None
    [attempt] = _attempts(database, job.id)
    assert attempt.outcome is Outcome.DONE
    assert attempt.error_class is None
    assert attempt.started_at == job.claimed_at
    assert attempt.finished_at >= attempt.started_at
    assert queue.complete(database, job, "w1") is False
    assert len(_attempts(database, job.id)) == 1
    assert queue.is_idle(database)


def test_an_expired_lease_is_reclaimed_and_the_old_worker_is_refused(database: sa.Engine) -> None:
    _enqueue(database)
    old = queue.claim(database, worker_id="w1", lease_seconds=30)[0]
    _later(database, 25)
    assert queue.claim(database, worker_id="w2", lease_seconds=30) == []
    _later(database, 6)
    new = _claim_one(database, "w2")
    assert new.id == old.id
    assert new.attempts == 2
    assert queue.complete(database, old, "w1") is False
    assert queue.park(database, old, "w1", error=RuntimeError("late")) is False
    assert (
        queue.retry_later(database, old, "w1", error=RuntimeError("late"), delay_seconds=1) is False
    )
    assert queue.skip(database, old, "w1", rule="late") is False
    assert queue.extend_lease(database, old, "w1", 60) is False
    assert _job(database, old.id).leased_by == "w2"
    [lost] = _attempts(database, old.id)
    assert (lost.outcome, lost.error_class) == (Outcome.LOST, "LeaseExpired")
    assert lost.error_message == "lease expired; worker w1 lost"
    assert queue.complete(database, new, "w2") is True
    assert _job(database, new.id).state is JobState.DONE


def test_the_same_worker_reclaiming_its_own_expired_job_gets_a_new_token(
    database: sa.Engine,
) -> None:
    _enqueue(database)
    first = queue.claim(database, worker_id="w1", lease_seconds=1)[0]
    _later(database, 2)
    second = _claim_one(database, "w1")
    assert queue.extend_lease(database, first, "w1", 60) is False
    assert queue.complete(database, first, "w1") is False
    assert queue.complete(database, second, "w1") is True


def test_extend_lease(database: sa.Engine) -> None:
    _enqueue(database)
    job = queue.claim(database, worker_id="w1", lease_seconds=1)[0]
    assert queue.extend_lease(database, job, "w1", 3600) is True
    renewed = _job(database, job.id)
    assert renewed.lease_until is not None
    assert renewed.lease_until > db.utcnow() + timedelta(minutes=59)
    _later(database, 5)
    assert queue.claim(database, worker_id="w2", lease_seconds=1) == []


def test_an_object_is_never_claimed_twice_at_once(database: sa.Engine) -> None:
    _enqueue(database)
    running = _claim_one(database)
    assert _enqueue(database) is True  # a new event while it runs: one pending job more
    assert queue.claim(database, worker_id="w2", lease_seconds=60) == []
    assert queue.complete(database, running, "w1")
    follow_up = _claim_one(database, "w2")
    assert follow_up.id != running.id
    assert follow_up.object_id == running.object_id


def test_an_expired_job_and_a_pending_job_of_one_object_yield_one_claim(
    database: sa.Engine,
) -> None:
    _enqueue(database)
    queue.claim(database, worker_id="w1", lease_seconds=10)
    _enqueue(database)
    _later(database, 11)
    claimed = queue.claim(database, worker_id="w2", lease_seconds=10, limit=5)
    assert len(claimed) == 1
    assert queue.claim(database, worker_id="w3", lease_seconds=10, limit=5) == []


def test_retry_later_sends_the_job_back_with_a_delay(database: sa.Engine) -> None:
    _enqueue(database)
    job = _claim_one(database)
    error = ConnectionError("reset by peer")
    before = db.utcnow()
    assert queue.retry_later(database, job, "w1", error=error, delay_seconds=120) is True
    again = _job(database, job.id)
    assert again.state is JobState.PENDING
    assert again.leased_by is None and again.lease_until is None
    assert again.last_error == "ConnectionError: reset by peer"
    assert again.attempts == 1
    assert again.run_after >= before + timedelta(seconds=120)
    assert queue.claim(database, worker_id="w1", lease_seconds=60) == []
    [attempt] = _attempts(database, job.id)
    assert (attempt.outcome, attempt.error_class, attempt.error_message) == (
        Outcome.RETRY,
        "ConnectionError",
        "reset by peer",
    )
    _later(database, 120)
    retried = _claim_one(database)
    assert retried.attempts == 2


def test_retry_later_merges_into_a_job_coalesced_since(database: sa.Engine) -> None:
    _enqueue(database)
    job = _claim_one(database)
    _enqueue(database, run_after=db.utcnow() + timedelta(hours=1))
    assert queue.retry_later(database, job, "w1", error=TimeoutError("slow"), delay_seconds=10)
    assert _find(database, job.id) is None
    [pending] = queue.list_jobs(database)
    assert pending.state is JobState.PENDING
    assert pending.run_after < db.utcnow() + timedelta(minutes=1)
    assert pending.attempts == 1
    assert pending.last_error == "TimeoutError: slow"
    assert [a.outcome for a in _attempts(database, pending.id)] == [Outcome.RETRY]


def test_retry_later_keeps_the_earlier_run_after_of_the_coalesced_job(database: sa.Engine) -> None:
    _enqueue(database)
    job = _claim_one(database)
    _enqueue(database)
    queue.retry_later(database, job, "w1", error=TimeoutError("slow"), delay_seconds=3600)
    [pending] = queue.list_jobs(database)
    assert pending.run_after <= _now()


def test_park_keeps_the_error_for_a_person(database: sa.Engine) -> None:
    _enqueue(database)
    job = _claim_one(database)
    assert queue.park(database, job, "w1", error=ValueError("x" * 5000)) is True
    parked = _job(database, job.id)
    assert parked.state is JobState.PARKED
    assert parked.last_error is not None
    assert parked.last_error.startswith("ValueError: xxx")
    assert len(parked.last_error) == 2000
    [attempt] = _attempts(database, job.id)
    assert attempt.outcome is Outcome.PARKED
    assert attempt.error_message is not None and len(attempt.error_message) == 2000
    assert queue.is_idle(database)
    assert queue.list_jobs(database, state="parked") == [parked]


def test_skip_records_the_rule(database: sa.Engine) -> None:
    _enqueue(database)
    job = _claim_one(database)
    assert queue.skip(database, job, "w1", rule="zero_amount_invoice") is True
    skipped = _job(database, job.id)
    assert (skipped.state, skipped.skip_rule) == (JobState.SKIPPED, "zero_amount_invoice")
    assert [a.outcome for a in _attempts(database, job.id)] == [Outcome.SKIPPED]


def _parked(database: sa.Engine, object_id: str, account: str = "acct_1") -> queue.Job:
    with database.begin() as conn:
        queue.enqueue(conn, account=account, kind="invoice", object_id=object_id)
    [job] = queue.claim(database, worker_id="w", lease_seconds=60, limit=10)
    queue.park(database, job, "w", error=RuntimeError("rejected"))
    return job


def test_requeue_all_parked_jobs_of_an_account(database: sa.Engine) -> None:
    a = _parked(database, "in_1")
    b = _parked(database, "in_2", account="acct_2")
    assert queue.requeue(database, account="acct_1") == 1
    assert _job(database, a.id).state is JobState.PENDING
    assert _job(database, a.id).attempts == 0
    assert _job(database, b.id).state is JobState.PARKED
    assert queue.requeue(database) == 1
    assert _job(database, b.id).state is JobState.PENDING
    assert queue.requeue(database) == 0


def test_requeue_one_job_also_takes_skipped_but_not_done(database: sa.Engine) -> None:
    _enqueue(database)
    job = _claim_one(database)
    queue.skip(database, job, "w1", rule="r")
    assert queue.requeue(database) == 0
    assert queue.requeue(database, job_id=job.id) == 1
    again = _job(database, job.id)
    assert (again.state, again.skip_rule) == (JobState.PENDING, None)
    done = _claim_one(database)
    queue.complete(database, done, "w1")
    assert queue.requeue(database, job_id=job.id) == 0
    assert queue.requeue(database, job_id=999_999) == 0


def test_requeue_coalesces_with_a_pending_job(database: sa.Engine) -> None:
    parked = _parked(database, "in_1")
    _enqueue(database, run_after=db.utcnow() + timedelta(hours=1))
    assert queue.requeue(database, job_id=parked.id) == 1
    assert _find(database, parked.id) is None
    [pending] = queue.list_jobs(database)
    assert pending.run_after <= _now()
    assert [a.outcome for a in _attempts(database, pending.id)] == [Outcome.PARKED]


def test_attempts_rows_go_with_their_job(database: sa.Engine) -> None:
    parked = _parked(database, "in_1")
    with database.begin() as conn:
        conn.execute(sa.delete(tables.jobs).where(tables.jobs.c.id == parked.id))
    with database.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.attempts)).scalar() == 0


def test_listing_and_idleness(database: sa.Engine) -> None:
    assert queue.is_idle(database)
    _enqueue(database, "in_1")
    _enqueue(database, "in_2")
    with database.begin() as conn:
        queue.enqueue(conn, account="acct_1", kind="customer", object_id="cus_1")
    assert not queue.is_idle(database)
    assert len(queue.list_jobs(database, limit=2)) == 2
    assert [j.object_id for j in queue.list_jobs(database, kind="customer")] == ["cus_1"]
    assert queue.list_jobs(database, state=JobState.RUNNING) == []
    with pytest.raises(ValueError, match="'nope' is not a valid JobState"):
        queue.list_jobs(database, state="nope")


def test_coalescing_survives_prepared_statements(database: sa.Engine) -> None:
    # PostgreSQL drivers prepare a statement after a few runs; the partial-index
    # conflict target must still match then.
    with database.begin() as conn:
        created = [
            queue.enqueue(conn, account="acct_1", kind="invoice", object_id=f"in_{i % 3}")
            for i in range(12)
        ]
    assert created == [True, True, True] + [False] * 9
    assert _pending(database) == 3
