from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from stripe_netsuite.store import db, inbox, queue, tables


def _record(conn: sa.Connection, event_id: str, **overrides: object) -> bool:
    values: dict[str, object] = {
        "account": "acct_1",
        "event_id": event_id,
        "event_type": "invoice.paid",
        "object_type": "invoice",
        "object_id": "in_1",
    }
    values.update(overrides)
    return inbox.record_event(conn, **values)  # type: ignore[arg-type]


def test_a_redelivered_event_is_recorded_once(database: sa.Engine) -> None:
    with database.begin() as conn:
        assert _record(conn, "evt_1") is True
    with database.begin() as conn:
        assert _record(conn, "evt_1") is False
        assert _record(conn, "evt_1", account="acct_2") is True
    with database.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.inbox)).scalar() == 2
    assert inbox.counts(database) == {"pending": 2, "handled": 0, "ignored": 0}


def test_ignored_events_are_kept_for_dedupe(database: sa.Engine) -> None:
    with database.begin() as conn:
        assert _record(conn, "evt_x", event_type="radar.early_fraud_warning", ignored=True)
        assert not _record(conn, "evt_x", ignored=True)
    assert inbox.counts(database) == {"pending": 0, "handled": 0, "ignored": 1}


def test_event_and_job_commit_together_or_not_at_all(database: sa.Engine) -> None:
    with pytest.raises(RuntimeError), database.begin() as conn:
        _record(conn, "evt_1")
        queue.enqueue(conn, account="acct_1", kind="invoice", object_id="in_1")
        raise RuntimeError("the request failed after both inserts")
    assert inbox.counts(database)["pending"] == 0
    assert queue.counts(database) == {}
    with database.begin() as conn:
        assert _record(conn, "evt_1")
        assert queue.enqueue(conn, account="acct_1", kind="invoice", object_id="in_1")
    assert inbox.counts(database)["pending"] == 1
    assert queue.counts(database) == {("invoice", "pending"): 1}


def test_mark_object_handled_covers_every_event_of_the_object(database: sa.Engine) -> None:
    with database.begin() as conn:
        _record(conn, "evt_1")
        _record(conn, "evt_2", event_type="invoice.updated")
        _record(conn, "evt_3", object_id="in_2")
    assert inbox.mark_object_handled(database, account="acct_1", object_id="in_1") == 2
    assert inbox.counts(database) == {"pending": 1, "handled": 2, "ignored": 0}
    with database.connect() as conn:
        stamped = conn.execute(
            sa.select(tables.inbox.c.event_id, tables.inbox.c.handled_at).order_by(
                tables.inbox.c.event_id
            )
        ).all()
    assert [(event_id, at is not None) for event_id, at in stamped] == [
        ("evt_1", True),
        ("evt_2", True),
        ("evt_3", False),
    ]
    assert inbox.mark_object_handled(database, account="acct_1", object_id="in_1") == 0


def test_events_that_arrive_while_the_job_runs_stay_pending(database: sa.Engine) -> None:
    with database.begin() as conn:
        _record(conn, "evt_1")
    claimed_at = db.utcnow()
    time.sleep(0.01)
    with database.begin() as conn:
        _record(conn, "evt_2", event_type="invoice.updated")
    handled = inbox.mark_object_handled(
        database, account="acct_1", object_id="in_1", received_before=claimed_at
    )
    assert handled == 1
    assert inbox.counts(database) == {"pending": 1, "handled": 1, "ignored": 0}


def test_empty_ids_are_refused(database: sa.Engine) -> None:
    with database.begin() as conn, pytest.raises(ValueError, match="event_id is empty"):
        _record(conn, "")
