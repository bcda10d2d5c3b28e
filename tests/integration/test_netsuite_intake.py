"""Loop prevention at intake, on each store backend: what the engine wrote queues nothing.

Stripe side: events of an object made from NetSuite. NetSuite side: the stamp the engine's
own write-back left, and records the engine made from Stripe objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from stripe_netsuite import kinds
from stripe_netsuite.engine import intake, netsuite_intake
from stripe_netsuite.netsuite.changes import Change
from stripe_netsuite.settings import FromNetSuite
from stripe_netsuite.store import db, links, origins, queue
from stripe_netsuite.stripe_api.webhooks import event_ref

ACCOUNT = "main"
ALL = kinds.names()
RULES = FromNetSuite()


@pytest.fixture
def database(database_url: str) -> Iterator[sa.Engine]:
    database = db.make_database(database_url)
    db.migrate(database)
    yield database
    database.dispose()


def event(object_id: str, object_type: str, n: int, **metadata: str) -> dict[str, Any]:
    obj = {"id": object_id, "object": object_type, "metadata": metadata}
    return {"id": f"evt_{n}", "object": "event", "type": f"{object_type}.updated",
            "created": 1, "data": {"object": obj}}  # fmt: skip


def jobs(database: sa.Engine) -> list[tuple[str, str]]:
    return sorted((j.kind, j.object_id) for j in queue.list_jobs(database, limit=100))


def test_stripe_events_of_a_mirror_queue_nothing(database: sa.Engine) -> None:
    marked = event_ref(event("in_1", "invoice", 1, sns_origin="netsuite"))
    assert marked.netsuite_origin
    assert intake.accept(database, account=ACCOUNT, ref=marked, kinds=ALL) is intake.Intake.IGNORED
    origins.put(database, account=ACCOUNT, record_type="customer", internal_id="7",
                stripe_id="cus_7")  # fmt: skip
    known = event_ref(event("cus_7", "customer", 2))
    assert intake.accept(database, account=ACCOUNT, ref=known, kinds=ALL) is intake.Intake.IGNORED
    # A refund made from a credit memo still syncs: its customer refund is NetSuite's due.
    refund = event_ref(event("re_1", "refund", 3, sns_origin="netsuite"))
    assert intake.accept(database, account=ACCOUNT, ref=refund, kinds=ALL) is intake.Intake.QUEUED
    other = event_ref(event("in_2", "invoice", 4))
    assert intake.accept(database, account=ACCOUNT, ref=other, kinds=ALL) is intake.Intake.QUEUED
    assert jobs(database) == [("invoice", "in_2"), ("refund", "re_1")]


def accept(database: sa.Engine, change: Change, rules: FromNetSuite = RULES) -> intake.Intake:
    return netsuite_intake.accept(database, account=ACCOUNT, change=change, kinds=ALL, rules=rules)


def test_the_engines_own_write_back_is_not_queued_but_the_next_edit_is(
    database: sa.Engine,
) -> None:
    origins.put(database, account=ACCOUNT, record_type="invoice", internal_id="10",
                stripe_id="in_10")  # fmt: skip
    origins.stamp(database, account=ACCOUNT, record_type="invoice", internal_id="10",
                  own_stamp="2026-10-05 09:00:00|aaa")  # fmt: skip
    ours = Change("invoice", "10", "2026-10-05 09:00:00", signature="aaa")
    assert accept(database, ours) is intake.Intake.IGNORED
    # Paid in the same second: the signature differs, so it is the user's.
    paid = Change("invoice", "10", "2026-10-05 09:00:00", signature="bbb")
    assert accept(database, paid) is intake.Intake.QUEUED
    assert accept(database, paid) is intake.Intake.DUPLICATE
    assert jobs(database) == [("netsuite_invoice", "10")]


def test_records_made_from_stripe_are_left_alone(database: sa.Engine) -> None:
    links.put(database, account=ACCOUNT, stripe_id="in_9", role="invoice",
              record_type="invoice", internal_id="20", external_id="acct_1:in_9",
              body_hash="h")  # fmt: skip
    links.put(database, account=ACCOUNT, stripe_id="cus_9", role="customer",
              record_type="customer", internal_id="21", external_id="acct_1:cus_9",
              body_hash="h")  # fmt: skip
    stamp = "2026-10-05 09:00:00"
    assert accept(database, Change("invoice", "20", stamp)) is intake.Intake.IGNORED
    assert accept(database, Change("customer", "21", stamp)) is intake.Intake.IGNORED
    # NetSuite as the customers' system of record: its edits of Stripe-made ones go over.
    netsuite_rules = FromNetSuite(customer_system_of_record="netsuite")
    edited = Change("customer", "21", "2026-10-05 09:00:01")
    assert accept(database, edited, netsuite_rules) is intake.Intake.QUEUED
    # A customer no invoice took to Stripe waits, unless every customer is wanted.
    assert accept(database, Change("customer", "22", stamp)) is intake.Intake.IGNORED
    every = FromNetSuite(customers="all")
    assert accept(database, Change("customer", "23", stamp), every) is intake.Intake.QUEUED
    assert jobs(database) == [("netsuite_customer", "21"), ("netsuite_customer", "23")]
