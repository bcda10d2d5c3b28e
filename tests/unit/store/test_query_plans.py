"""The statements run on every webhook and job find their rows by the right index on SQLite.

SQLite plans without statistics; a plan that takes a low-selectivity index (the inbox's
``status``) reads the whole backlog on each call, which no functional test notices.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from stripe_netsuite.store import db, inbox, links, origins, queue
from stripe_netsuite.store import queue_statements as statements
from stripe_netsuite.store.job_states import JobState, Outcome


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = db.make_database(f"sqlite:///{tmp_path}/plans.db")
    db.migrate(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        (inbox._HANDLED, "ix_inbox_account_object_id"),
        (links._GET, "sqlite_autoindex_links_1"),
        (origins._MIRROR, "ix_origins_account_stripe_id"),
        (queue._EARLIER, "uq_jobs_pending_object"),
        (statements.finish_sql(Outcome.DONE), "INTEGER PRIMARY KEY"),
        (statements.due_sql(JobState.PENDING, postgres=False), "ix_jobs_state_run_after"),
        (statements.due_sql(JobState.RUNNING, postgres=False), "ix_jobs_state_run_after"),
        (statements.claim_sql(3), "INTEGER PRIMARY KEY"),
    ],
    ids=[
        "events handled",
        "link read",
        "mirror check",
        "earlier run",
        "finish",
        "due",
        "lost",
        "lease",
    ],
)
def test_a_hot_statement_searches_its_index(database: sa.Engine, sql: str, index: str) -> None:
    raw = database.raw_connection()
    try:
        plan = " / ".join(
            str(row[3]) for row in raw.execute("EXPLAIN QUERY PLAN " + sql, [None] * sql.count("?"))
        )
    finally:
        raw.close()
    assert "SCAN" not in plan
    assert index in plan, plan
