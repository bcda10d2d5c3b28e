"""After-sync hooks: flows ask for follow-up jobs without the runtime knowing which flow."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
import sqlalchemy as sa

from stripe_netsuite.flows import payout as payout_flow
from stripe_netsuite.flows import registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.store import db, links


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = db.make_database(f"sqlite:///{tmp_path}/sns.db")
    db.migrate(engine)
    yield engine
    engine.dispose()


def _ctx(database: sa.Engine | None = None) -> FlowContext:
    # The hooks here read only the account name and the store.
    return cast(FlowContext, SimpleNamespace(name="acct", database=database))


async def test_follow_ups_gathers_every_hook_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []

    async def first(ctx: FlowContext, kind: str, object_id: str) -> Iterable[tuple[str, str]]:
        seen.append((kind, object_id))
        return [("payout", "po_1")]

    async def second(ctx: FlowContext, kind: str, object_id: str) -> Iterable[tuple[str, str]]:
        return iter([("invoice", "in_1"), ("invoice", "in_2")])

    async def quiet(ctx: FlowContext, kind: str, object_id: str) -> Iterable[tuple[str, str]]:
        return ()

    monkeypatch.setattr(registry, "HOOKS", [])
    assert registry.after_sync(first) is first
    registry.after_sync(quiet)
    registry.after_sync(second)
    found = await registry.follow_ups(_ctx(), "charge", "ch_1")
    assert found == [("payout", "po_1"), ("invoice", "in_1"), ("invoice", "in_2")]
    assert seen == [("charge", "ch_1")]


async def test_payout_release_asks_once_for_the_waiting_deposit(database: sa.Engine) -> None:
    ctx = _ctx(database)
    assert await payout_flow.release(ctx, "charge", "ch_1") == []
    links.put(
        database,
        account="acct",
        stripe_id="ch_1",
        role=payout_flow.AWAITED,
        record_type="stripe_payout",
        internal_id="po_9",
        external_id="po_9",
        body_hash="",
    )
    assert await payout_flow.release(ctx, "charge", "ch_1") == [("payout", "po_9")]
    assert await payout_flow.release(ctx, "charge", "ch_1") == []
