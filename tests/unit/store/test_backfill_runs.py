"""Where the jobs of a backfill run's objects stand, read from the inbox and the queue."""

from __future__ import annotations

import sqlalchemy as sa

from stripe_netsuite import exceptions
from stripe_netsuite.engine import backfill
from stripe_netsuite.store import backfill_runs, cursors, inbox, queue
from stripe_netsuite.stripe_api.listing import Listed

WORKER = "w1"


def listed(*ids: str) -> list[Listed]:
    object_type = {"cus": "customer", "prod": "product"}
    return [Listed(id=i, object_type=object_type[i.split("_")[0]], created=1_000) for i in ids]


def finish(database: sa.Engine, job: queue.Job, how: str) -> None:
    """What the worker does with a claimed job, inbox stamp included."""
    if how == "done":
        assert queue.complete(database, job, WORKER)
    elif how == "skip":
        assert queue.skip(database, job, WORKER, rule="test rule")
    elif how == "park":
        assert queue.park(database, job, WORKER, error=exceptions.NeedsAttention("no item"))
        return
    elif how == "retry":
        error = exceptions.StripeUnavailable("busy")
        assert queue.retry_later(database, job, WORKER, error=error, delay_seconds=60)
        return
    else:  # still running
        return
    inbox.mark_object_handled(
        database, account=job.account, object_id=job.object_id, received_before=job.claimed_at
    )


def test_job_counts_follow_the_runs_objects_only(database: sa.Engine) -> None:
    # Before the run: one object parked by a webhook's job, one with a job still pending.
    queue.enqueue(database, account="main", kind="customer", object_id="cus_old")
    (old,) = queue.claim(database, worker_id=WORKER, lease_seconds=60)
    finish(database, old, "park")
    queue.enqueue(database, account="main", kind="customer", object_id="cus_pre")

    state = backfill.State(run="r1", since=0, until=2_000, types=["customer", "product"])
    objects = listed("cus_1", "cus_2", "cus_3", "cus_4", "cus_5", "cus_old", "cus_pre")
    queued = backfill.accept_page(
        database, account="main", objects=objects, enabled={"customer"}, state=state
    )
    # The product flow is off: recorded, not queued.
    queued += backfill.accept_page(
        database, account="main", objects=listed("prod_1"), enabled={"customer"}, state=state,
    )  # fmt: skip
    # The object that had a pending job joined it: it is queued all the same.
    assert queued == state.queued == 7 and state.queued_by_type == {"customer": 7}
    # Another run's object, and the same ids under another account: not this run's.
    with database.begin() as conn:
        for account, event_id in (("main", "backfill.r2:cus_1"), ("eu", "backfill.r1:cus_9")):
            inbox.record_event(conn, account=account, event_id=event_id,
                               event_type="customer.backfill", object_type="customer",
                               object_id=event_id.split(":")[1])  # fmt: skip

    claimed = {job.object_id: job for job in
               queue.claim(database, worker_id=WORKER, lease_seconds=60, limit=20)}  # fmt: skip
    assert set(claimed) == {"cus_1", "cus_2", "cus_3", "cus_4", "cus_5", "cus_old", "cus_pre"}
    plan = {"cus_1": "done", "cus_2": "done", "cus_3": "skip", "cus_4": "park",
            "cus_5": "run", "cus_old": "retry", "cus_pre": "retry"}  # fmt: skip
    for object_id, how in plan.items():
        finish(database, claimed[object_id], how)

    counts = backfill_runs.job_counts(
        database, account="main", event_prefix=backfill.event_prefix("r1"), queued=state.queued
    )
    # cus_old's parked job is older than the run: its run's job is retrying, so pending.
    assert counts == backfill_runs.JobCounts(done=3, pending=3, parked=1)
    nothing = backfill_runs.job_counts(
        database, account="main", event_prefix=backfill.event_prefix("r3"), queued=0
    )
    assert nothing == backfill_runs.JobCounts(done=0, pending=0, parked=0)


def test_stored_runs_are_the_backfill_cursors_by_name(database: sa.Engine) -> None:
    cursors.put(database, backfill.cursor_name("main"), '{"run":"a"}')
    cursors.put(database, backfill.cursor_name("eu"), '{"run":"b"}')
    cursors.put(database, "stripe.events:main", "evt_1")
    found = backfill_runs.stored_runs(database, backfill.cursor_name(""))
    assert [(r.name, r.value) for r in found] == [
        ("stripe.backfill:eu", '{"run":"b"}'),
        ("stripe.backfill:main", '{"run":"a"}'),
    ]
    assert all(r.updated_at.tzinfo is not None for r in found)
