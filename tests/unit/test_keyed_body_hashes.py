"""What posting stores is a keyed hash: not the body's SHA-256, different on another install,
the same for every process of one install, and an unchanged object still costs no call."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy as sa
import stripe

from stripe_netsuite.flows import posting
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.mapping.records import NetSuiteRecord
from stripe_netsuite.netsuite.client import NetSuiteClient
from stripe_netsuite.settings import AccountConfig
from stripe_netsuite.store import db, links

RECORD = NetSuiteRecord(
    record_type="invoice",
    external_id="acct_1:in_1",
    body={"entity": {"id": "7"}, "total": Decimal("12.50"), "memo": "Jane Doe"},
    stripe_id="in_1",
    role="invoice",
)
#: The body as canonical JSON, which is what a plain hash would be taken of.
CANONICAL = b'{"entity":{"id":"7"},"memo":"Jane Doe","total":12.5}'


class FakeNetSuite:
    """Counts upserts; the posting path needs nothing else here."""

    def __init__(self) -> None:
        self.upserts: list[str] = []

    async def upsert(
        self,
        record_type: str,
        external_id: str,
        body: dict[str, Any],
        *,
        replace: tuple[str, ...] = (),
    ) -> str:
        self.upserts.append(external_id)
        return "101"


def _database(path: Path) -> sa.Engine:
    database = db.make_database(f"sqlite:///{path}")
    db.migrate(database)
    return database


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[tuple[sa.Engine, sa.Engine]]:
    """Two installs: each its own database."""
    first, second = _database(tmp_path / "one.db"), _database(tmp_path / "two.db")
    yield first, second
    first.dispose()
    second.dispose()


def _ctx(database: sa.Engine, netsuite: FakeNetSuite) -> FlowContext:
    # A new context is what a new process builds: it has not read the key yet.
    return FlowContext(
        name="acct_1",
        account=cast(AccountConfig, None),
        stripe=cast(stripe.StripeClient, None),
        netsuite=cast(NetSuiteClient, netsuite),
        database=database,
    )


def _stored(database: sa.Engine) -> str | None:
    link = links.get(database, account="acct_1", stripe_id="in_1", role="invoice")
    assert link is not None
    return link.body_hash


async def test_the_stored_hash_is_keyed_per_install(
    databases: tuple[sa.Engine, sa.Engine],
) -> None:
    first, second = databases
    netsuite = FakeNetSuite()
    await posting.post(_ctx(first, netsuite), RECORD)
    await posting.post(_ctx(second, netsuite), RECORD)
    assert netsuite.upserts == ["acct_1:in_1", "acct_1:in_1"]
    one, two = _stored(first), _stored(second)
    assert one is not None and len(one) == 64
    assert one != hashlib.sha256(CANONICAL).hexdigest()
    assert one != two


async def test_an_unchanged_object_costs_no_call_in_any_process_of_the_install(
    databases: tuple[sa.Engine, sa.Engine],
) -> None:
    first, _ = databases
    netsuite = FakeNetSuite()
    await posting.post(_ctx(first, netsuite), RECORD)
    stored = _stored(first)
    # Another process (a new context, a new connection pool) hashes alike.
    other = db.make_database(str(first.url))
    try:
        await posting.post(_ctx(other, netsuite), RECORD)
    finally:
        other.dispose()
    assert netsuite.upserts == ["acct_1:in_1"]
    assert _stored(first) == stored


async def test_a_plain_hash_from_before_is_posted_again_once(
    databases: tuple[sa.Engine, sa.Engine],
) -> None:
    first, _ = databases
    links.put(
        first,
        account="acct_1",
        stripe_id="in_1",
        role="invoice",
        record_type="invoice",
        internal_id="101",
        external_id="acct_1:in_1",
        body_hash=hashlib.sha256(CANONICAL).hexdigest(),
    )
    netsuite = FakeNetSuite()
    ctx = _ctx(first, netsuite)
    assert await posting.post(ctx, RECORD) == "101"
    assert await posting.post(ctx, RECORD) == "101"
    # One upsert by the same externalId: the same NetSuite record, never a second one.
    assert netsuite.upserts == ["acct_1:in_1"]
