"""Only the engine's own write-back, with the id it stored, is an echo; every other change syncs.

Through `engine.intake.accept` on each store backend, with the links a sync leaves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from stripe_netsuite import kinds
from stripe_netsuite.engine.intake import Intake, accept
from stripe_netsuite.store import db, inbox, links, queue, tables
from stripe_netsuite.stripe_api.webhooks import event_ref

ACCOUNT = "main"
ALL = kinds.names()


@pytest.fixture
def database(database_url: str) -> Iterator[sa.Engine]:
    database = db.make_database(database_url)
    db.migrate(database)
    yield database
    database.dispose()


def link(
    database: sa.Engine,
    stripe_id: str = "cus_1",
    *,
    role: str = "customer",
    record_type: str = "customer",
    internal_id: str = "42",
    account: str = ACCOUNT,
) -> None:
    links.put(
        database,
        account=account,
        stripe_id=stripe_id,
        role=role,
        record_type=record_type,
        internal_id=internal_id,
        external_id=f"acct_1:{stripe_id}",
        body_hash="h" * 64,
    )


def updated(
    previous: dict[str, Any],
    metadata: dict[str, str],
    *,
    obj: str = "cus_1",
    object_type: str = "customer",
    event_id: str = "evt_1",
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": f"{object_type}.updated",
        "created": 1_700_000_000,
        "data": {
            "object": {"id": obj, "object": object_type, "metadata": metadata},
            "previous_attributes": previous,
        },
    }


def take(database: sa.Engine, event: dict[str, Any]) -> Intake:
    return accept(database, account=ACCOUNT, ref=event_ref(event), kinds=ALL)


def test_the_engines_own_write_back_is_recorded_and_queues_nothing(database: sa.Engine) -> None:
    link(database)
    event = updated({"metadata": {"netsuite_customer_id": None}}, {"netsuite_customer_id": "42"})
    assert take(database, event) is Intake.IGNORED
    assert inbox.counts(database)["ignored"] == 1
    assert queue.counts(database) == {}


@pytest.mark.parametrize(
    ("previous", "metadata"),
    [
        # A person points the customer at another NetSuite record ...
        ({"netsuite_customer_id": "42"}, {"netsuite_customer_id": "77"}),
        # ... or removes the id the engine wrote.
        ({"netsuite_customer_id": "42"}, {}),
        # The user's steering, and any other metadata.
        ({"netsuite_block_integration": None}, {"netsuite_block_integration": "true"}),
        ({"netsuite_allow_integration": None}, {"netsuite_allow_integration": "true"}),
        ({"crm_segment": None}, {"crm_segment": "smb"}),
        # The engine's id, but beside a change of something else.
        (
            {"netsuite_customer_id": None, "crm_segment": None},
            {"netsuite_customer_id": "42", "crm_segment": "smb"},
        ),
    ],
    ids=["other-id", "removed", "block", "allow", "other-key", "mixed"],
)
def test_operator_changes_queue_the_object(
    database: sa.Engine, previous: dict[str, Any], metadata: dict[str, str]
) -> None:
    link(database)
    assert take(database, updated({"metadata": previous}, metadata)) is Intake.QUEUED
    assert queue.counts(database) == {("customer", "pending"): 1}


def test_a_write_back_key_set_before_any_link_queues_the_object(database: sa.Engine) -> None:
    # Nothing was synced yet: the id names a record of the user's choosing.
    event = updated({"metadata": {"netsuite_customer_id": None}}, {"netsuite_customer_id": "42"})
    assert take(database, event) is Intake.QUEUED
    assert queue.counts(database) == {("customer", "pending"): 1}


def test_another_accounts_link_does_not_make_an_echo(database: sa.Engine) -> None:
    link(database, account="other")
    event = updated({"metadata": {"netsuite_customer_id": None}}, {"netsuite_customer_id": "42"})
    assert take(database, event) is Intake.QUEUED


@pytest.mark.parametrize(
    ("record_type", "outcome"),
    [("serviceSaleItem", Intake.IGNORED), ("nonInventorySaleItem", Intake.QUEUED)],
)
def test_an_item_echo_needs_the_item_type_the_engine_posted(
    database: sa.Engine, record_type: str, outcome: Intake
) -> None:
    link(database, "price_1", role="item", record_type=record_type, internal_id="9")
    event = updated(
        {"metadata": {"netsuite_service_sale_item_id": None}},
        {"netsuite_service_sale_item_id": "9"},
        obj="price_1",
        object_type="price",
    )
    assert take(database, event) is outcome


def test_an_echo_is_decided_per_event_as_the_links_stand(database: sa.Engine) -> None:
    link(database, internal_id="42")
    own = updated({"metadata": {"netsuite_customer_id": None}}, {"netsuite_customer_id": "42"})
    assert take(database, own) is Intake.IGNORED
    changed = updated(
        {"metadata": {"netsuite_customer_id": "42"}},
        {"netsuite_customer_id": "43"},
        event_id="evt_2",
    )
    assert take(database, changed) is Intake.QUEUED
    assert inbox.counts(database) == {"pending": 1, "handled": 0, "ignored": 1}


def test_an_echo_check_waits_for_another_writer_instead_of_failing(
    sqlite_url: str,
) -> None:
    """The echo check reads links before the inbox row is written; while another process
    holds SQLite's write lock, the intake waits its turn and then records and queues."""
    database = db.make_database(sqlite_url)
    db.migrate(database)
    link(database)
    other = db.make_database(sqlite_url)
    holding = threading.Event()

    def writer() -> None:
        with db.write_transaction(other) as conn:
            conn.execute(
                sa.insert(tables.cursors).values(
                    name="elsewhere", value="1", updated_at=db.utcnow()
                )
            )
            holding.set()
            time.sleep(0.5)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        # A person points the customer at another record: read links, then queue.
        event = updated({"netsuite_customer_id": "42"}, {"netsuite_customer_id": "77"})
        assert take(database, event) is Intake.QUEUED
        thread.join()
        assert queue.counts(database) == {("customer", "pending"): 1}
    finally:
        thread.join()
        other.dispose()
        database.dispose()
