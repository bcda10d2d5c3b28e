"""Stripe customers reach NetSuite through signed webhooks, exactly once, linked both ways."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from typing import Any

import httpx
import stripe

from stripe_netsuite.netsuite import LocalGovernor, NetSuiteClient
from stripe_netsuite.settings import load_config
from stripe_netsuite.store import inbox, links, queue
from stripe_netsuite_sandbox import books, demo

StackFactory = Callable[..., demo.Stack]


def engine_customers(stack: demo.Stack) -> list[dict[str, Any]]:
    return books.synced(books.netsuite_records(stack.netsuite.base_url), "customer")


def writes(stack: demo.Stack) -> int:
    return int(books.netsuite_stats(stack.netsuite.base_url)["writes"])


def assert_no_duplicate_external_ids(stack: demo.Stack) -> None:
    assert books.duplicate_external_ids(books.netsuite_records(stack.netsuite.base_url)) == {}


def netsuite_customer(stack: demo.Stack, name: str) -> str:
    """A NetSuite customer made by something else than the engine; its internal id."""
    account = load_config(stack.settings.config).account(demo.ACCOUNT)

    async def make() -> str:
        async with NetSuiteClient.from_config(
            account.netsuite, governor=LocalGovernor(1)
        ) as client:
            body = {"companyName": name, "subsidiary": {"id": account.subsidiary}}
            return await client.upsert("customer", f"legacy:{name}", body)

    return asyncio.run(make())


def create_customers(client: stripe.StripeClient, n: int, *, prefix: str = "Co") -> list[str]:
    ids = []
    for i in range(n):
        customer = client.v1.customers.create(
            params={"name": f"{prefix} {i}", "email": f"billing{i}@{prefix.lower()}.example"}
        )
        ids.append(customer.id)
    return ids


def test_customers_sync_through_webhooks_and_link_both_ways(make_stack: StackFactory) -> None:
    stack = make_stack()
    client = stack.stripe_client()
    ids = create_customers(client, 5)
    demo.wait_until_synced(stack)

    customers = {c["externalId"]: c for c in engine_customers(stack)}
    assert set(customers) == {f"acct_sandbox:{stripe_id}" for stripe_id in ids}
    for stripe_id in ids:
        record = customers[f"acct_sandbox:{stripe_id}"]
        fresh = client.v1.customers.retrieve(stripe_id)
        # Written back: the NetSuite internal id lands in the Stripe customer's metadata.
        assert fresh.metadata["netsuite_customer_id"] == str(record["id"])
        link = links.get(stack.database, account="main", stripe_id=stripe_id, role="customer")
        assert link is not None and link.internal_id == str(record["id"])
    assert_no_duplicate_external_ids(stack)
    # The write-backs come back as customer.updated events: recorded, but queue nothing.
    assert inbox.counts(stack.database)["ignored"] == len(ids)
    assert len(queue.list_jobs(stack.database, kind="customer")) == len(ids)


def test_unchanged_customer_costs_no_netsuite_write(make_stack: StackFactory) -> None:
    stack = make_stack()
    client = stack.stripe_client()
    (customer_id,) = create_customers(client, 1)
    demo.wait_until_synced(stack)
    before = writes(stack)
    # An unrelated metadata change: the mapped body is the same, so nothing is sent.
    client.v1.customers.update(customer_id, params={"metadata": {"crm_segment": "smb"}})
    demo.wait_until_synced(stack)
    assert writes(stack) == before
    # A real change is sent.
    client.v1.customers.update(customer_id, params={"email": "new@co.example"})
    demo.wait_until_synced(stack)
    assert writes(stack) == before + 1
    (record,) = engine_customers(stack)
    assert record["email"] == "new@co.example"


def test_metadata_rules_and_links(make_stack: StackFactory) -> None:
    stack = make_stack()
    client = stack.stripe_client()
    blocked = client.v1.customers.create(
        params={"name": "Blocked", "metadata": {"netsuite_block_integration": "true"}}
    )
    person = client.v1.customers.create(
        params={
            "name": "ignored name",
            "email": "ada@example.com",
            "metadata": {"netsuite_first_name": "Ada", "netsuite_last_name": "Lovelace"},
        }
    )
    demo.wait_until_synced(stack)
    (record,) = engine_customers(stack)
    assert record["isPerson"] is True
    assert (record["firstName"], record["lastName"]) == ("Ada", "Lovelace")
    # Linking instead of creating: the customer names a NetSuite customer no Stripe object
    # holds yet. Naming the one another Stripe customer became is refused and parked.
    existing = netsuite_customer(stack, "Pre-existing Inc")
    linked = client.v1.customers.create(
        params={"name": "Pre-existing", "metadata": {"netsuite_customer_id": existing}}
    )
    taker = client.v1.customers.create(
        params={"name": "Taker", "metadata": {"netsuite_customer_id": str(record["id"])}}
    )
    demo.wait_until_synced(stack)
    assert len(engine_customers(stack)) == 1
    link = links.get(stack.database, account="main", stripe_id=linked.id, role="customer")
    assert link is not None and link.internal_id == existing
    assert links.get(stack.database, account="main", stripe_id=taker.id, role="customer") is None
    jobs = {job.object_id: job for job in queue.list_jobs(stack.database, limit=100)}
    assert jobs[taker.id].state == "parked"
    assert f"already linked to {person.id}" in str(jobs[taker.id].last_error)
    assert jobs[blocked.id].state == "skipped"
    assert jobs[blocked.id].skip_rule == "netsuite_block_integration"
    assert jobs[person.id].state == "done"
    assert "netsuite_customer_id" not in client.v1.customers.retrieve(blocked.id).metadata


def deliver(stack: demo.Stack, events: list[dict[str, object]]) -> None:
    with httpx.Client(timeout=30) as http:
        for event in events:
            payload = json.dumps(event)
            header = stripe.WebhookSignature.generate_signature_header(
                payload, stack.webhook_secret
            )
            response = http.post(
                stack.webhook_url,
                content=payload,
                headers={"Stripe-Signature": header, "Content-Type": "application/json"},
            )
            assert response.status_code == 200, response.text


def snapshot(stack: demo.Stack) -> list[tuple[object, ...]]:
    return sorted(
        (c.get("companyName"), c.get("email"), c.get("isPerson")) for c in engine_customers(stack)
    )


def test_triple_shuffled_delivery_gives_the_same_books_as_one_ordered(
    make_stack: StackFactory,
) -> None:
    results = []
    for copies, shuffle in ((1, False), (3, True)):
        stack = make_stack(stripe_options={"deliver_webhooks": False})
        client = stack.stripe_client()
        ids = create_customers(client, 6)
        client.v1.customers.update(ids[0], params={"email": "changed@co.example"})
        client.v1.customers.update(ids[1], params={"name": "Renamed"})
        events = [e.to_dict() for e in client.v1.events.list(params={"limit": 100}).data]
        events.reverse()  # oldest first
        batch = [e for e in events for _ in range(copies)]
        if shuffle:
            random.Random(3).shuffle(batch)
        deliver(stack, batch)
        demo.wait_until_synced(stack)
        assert_no_duplicate_external_ids(stack)
        results.append((snapshot(stack), writes(stack)))
    (ordered, ordered_writes), (shuffled, shuffled_writes) = results
    assert len(ordered) == 6
    assert shuffled == ordered
    # The latest state is fetched from Stripe, whatever the delivery order: no extra writes.
    assert shuffled_writes <= ordered_writes


def test_dropped_webhooks_are_recovered_by_the_events_poll(make_stack: StackFactory) -> None:
    stack = make_stack(stripe_options={"drop_rate": 1.0}, events_poll_seconds=1.0)
    client = stack.stripe_client()
    ids = create_customers(client, 3)
    deadline = time.monotonic() + 60
    while len(engine_customers(stack)) < 3:
        assert time.monotonic() < deadline, "the events poll did not recover the customers"
        time.sleep(0.5)
    demo.wait_until_synced(stack)
    assert {c["externalId"] for c in engine_customers(stack)} == {f"acct_sandbox:{i}" for i in ids}
