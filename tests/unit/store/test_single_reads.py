"""`db.read_one`: a link read without a transaction of its own, on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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


def test_a_read_sends_no_begin_and_sees_what_is_committed(database: sa.Engine) -> None:
    sent: list[str] = []
    sa.event.listen(database, "before_cursor_execute", lambda *a: sent.append(a[2]))
    assert links.get(database, account="acct", stripe_id="ch_1", role="payment") is None
    assert [s for s in sent if s.startswith("BEGIN")] == []
    assert len(sent) == 1
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


def test_writes_still_run_in_a_transaction(database: sa.Engine) -> None:
    sent: list[str] = []
    sa.event.listen(database, "before_cursor_execute", lambda *a: sent.append(a[2]))
    _put(database, "7")
    assert any(s.startswith("BEGIN") for s in sent)
