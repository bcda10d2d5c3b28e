"""The payout release hook looks up only kinds a deposit can wait for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
import sqlalchemy as sa

from stripe_netsuite import kinds
from stripe_netsuite.flows import payout as payout_flow
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.store import db, links


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = db.make_database(f"sqlite:///{tmp_path}/sns.db")
    db.migrate(engine)
    yield engine
    engine.dispose()


def _await(database: sa.Engine, stripe_id: str) -> None:
    links.put(
        database,
        account="acct",
        stripe_id=stripe_id,
        role=payout_flow.AWAITED,
        record_type="stripe_payout",
        internal_id="po_9",
        external_id="po_9",
        body_hash="",
    )


def test_the_awaitable_kinds_are_the_sources_of_balance_transactions() -> None:
    awaitable = {k.name for k in kinds.KINDS if k.reporting_categories}
    assert awaitable == {"charge", "refund", "dispute"}


@pytest.mark.parametrize("kind", ["charge", "refund", "dispute"])
async def test_an_awaited_source_releases_its_payout(database: sa.Engine, kind: str) -> None:
    ctx = cast(FlowContext, SimpleNamespace(name="acct", database=database))
    _await(database, "obj_1")
    assert await payout_flow.release(ctx, kind, "obj_1") == [("payout", "po_9")]
    assert links.get(database, account="acct", stripe_id="obj_1", role=payout_flow.AWAITED) is None


async def test_other_kinds_never_touch_the_store(database: sa.Engine) -> None:
    # No database at all: a lookup would fail on None.
    ctx = cast(FlowContext, SimpleNamespace(name="acct", database=None))
    for kind in ("customer", "invoice", "payout", "credit_note"):
        assert await payout_flow.release(ctx, kind, "obj_1") == []
