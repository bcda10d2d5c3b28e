"""Link reads and writes through `store.driver`, on SQLite: one statement each, no BEGIN."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from stripe_netsuite.store import db, links


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = db.make_database(f"sqlite:///{tmp_path}/sns.db")
    db.migrate(engine)
    yield engine
    engine.dispose()


def _put(bind: sa.Connection | sa.Engine, internal_id: str) -> None:
    links.put(
        bind,
        account="acct",
        stripe_id="ch_1",
        role="payment",
        record_type="customerPayment",
        internal_id=internal_id,
        external_id="acct:ch_1",
        body_hash="h",
    )


def _traced(database: sa.Engine) -> list[str]:
    """Every statement SQLite runs on the pool's connections from now on."""
    sent: list[str] = []
    database.dispose()

    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(sent.append)

    sa.event.listen(database, "connect", trace)
    return sent


def test_a_read_sends_no_begin_and_sees_what_is_committed(database: sa.Engine) -> None:
    sent = _traced(database)
    assert links.get(database, account="acct", stripe_id="ch_1", role="payment") is None
    reads = [s for s in sent if not s.startswith("PRAGMA")]
    assert len(reads) == 1 and reads[0].startswith("SELECT")
    _put(database, "7")
    found = links.get(database, account="acct", stripe_id="ch_1", role="payment")
    assert found is not None and found.internal_id == "7"


def test_a_read_does_not_see_another_writer_before_it_commits(database: sa.Engine) -> None:
    _put(database, "7")
    with db.write_transaction(database) as conn:
        _put(conn, "8")
        # In the writer's own transaction the new id shows; outside, the committed one.
        inside = links.get(conn, account="acct", stripe_id="ch_1", role="payment")
        assert inside is not None and inside.internal_id == "8"
        outside = links.get(database, account="acct", stripe_id="ch_1", role="payment")
        assert outside is not None and outside.internal_id == "7"
    after = links.get(database, account="acct", stripe_id="ch_1", role="payment")
    assert after is not None and after.internal_id == "8"


def test_a_write_is_one_statement_and_waits_for_the_process_writer(
    database: sa.Engine,
) -> None:
    sent = _traced(database)
    _put(database, "7")
    writes = [s for s in sent if not s.startswith("PRAGMA")]
    assert len(writes) == 1 and writes[0].startswith("INSERT INTO links")
    # A write queues behind a transaction of this process that holds the writers' lock.
    done: list[float] = []
    with db.write_transaction(database) as conn:
        _put(conn, "8")
        thread = threading.Thread(target=lambda: (_put(database, "9"), done.append(1.0)))
        thread.start()
        time.sleep(0.2)
        assert done == []
    thread.join(timeout=10)
    assert done == [1.0]
    found = links.get(database, account="acct", stripe_id="ch_1", role="payment")
    assert found is not None and found.internal_id == "9"
