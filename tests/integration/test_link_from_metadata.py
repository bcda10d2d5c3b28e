"""A ``netsuite_*_id`` in Stripe metadata links only to a record that is free and of its type.

The Stripe sandbox and the NetSuite sandbox on loopback, the engine's worker between them:
a refused link parks the job with a message naming the key and the object, and NetSuite
is left exactly as it was.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import stripe

from stripe_netsuite.engine.runtime import Runtime, running
from stripe_netsuite.flows.posting import LINKED
from stripe_netsuite.netsuite import LocalGovernor, NetSuiteClient
from stripe_netsuite.settings import Config, Settings, parse_config
from stripe_netsuite.store import db, links, queue
from stripe_netsuite_sandbox import books
from stripe_netsuite_sandbox.netsuite import chart
from stripe_netsuite_sandbox.netsuite.app import SandboxConfig
from stripe_netsuite_sandbox.netsuite.app import create_app as create_netsuite
from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig
from stripe_netsuite_sandbox.stripe.app import create_app as create_stripe

NS = SandboxConfig()
STRIPE = StripeSandboxConfig(deliver_webhooks=False)


@dataclass
class World:
    stripe: stripe.StripeClient
    netsuite: RunningServer
    database: sa.Engine
    url: str
    config: Config

    def records(self) -> dict[str, list[dict[str, Any]]]:
        return books.netsuite_records(self.netsuite.base_url)

    def customers(self) -> list[dict[str, Any]]:
        return self.records().get("customer", [])

    def customer(self, name: str, metadata: dict[str, str] | None = None) -> str:
        params: dict[str, Any] = {"name": name, "metadata": metadata or {}}
        return str(self.stripe.v1.customers.create(params=params).id)

    def sync(self, *customer_ids: str, **options: Any) -> None:
        """Queue each customer and run the worker until the queue is idle."""
        config = self.config
        if options:
            account = config.account("main")
            changed = account.model_copy(
                update={"options": account.options.model_copy(update=options)}
            )
            config = config.model_copy(update={"accounts": {"main": changed}})
        with self.database.begin() as conn:
            for customer_id in customer_ids:
                queue.enqueue(conn, account="main", kind="customer", object_id=customer_id)
        settings = Settings(database_url=self.url, events_poll_seconds=0)

        async def run() -> None:
            runtime = Runtime(settings=settings, config=config, database=self.database)
            async with running(runtime, with_scheduler=False):
                deadline = time.monotonic() + 60
                while not await asyncio.to_thread(queue.is_idle, self.database):
                    assert time.monotonic() < deadline, "the queue did not drain in time"
                    await asyncio.sleep(0.05)

        asyncio.run(run())

    def job(self, customer_id: str) -> queue.Job:
        jobs = [
            j for j in queue.list_jobs(self.database, limit=100_000) if j.object_id == customer_id
        ]
        assert jobs, f"no job for {customer_id}"
        return max(jobs, key=lambda j: j.id)

    def link(self, customer_id: str) -> links.Link | None:
        return links.get(self.database, account="main", stripe_id=customer_id, role="customer")

    def metadata(self, customer_id: str) -> dict[str, str]:
        metadata = self.stripe.v1.customers.retrieve(customer_id).metadata
        return {} if metadata is None else dict(metadata.to_dict())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    netsuite = serve_in_thread(create_netsuite(NS))
    stripe_server = serve_in_thread(create_stripe(STRIPE))
    url = f"sqlite:///{tmp_path / 'sns.db'}"
    database = db.make_database(url)
    db.migrate(database)
    config = parse_config(
        {"accounts": {"main": {
            "stripe_account_id": STRIPE.account_id,
            "stripe_api_key": STRIPE.api_key,
            "stripe_api_base": stripe_server.base_url,
            "subsidiary": chart.SUBSIDIARY_US,
            "currencies": {"usd": chart.CURRENCIES["usd"]},
            "netsuite": {"account_id": NS.account_id, "auth": "tba",
                         "base_url": netsuite.base_url,
                         "consumer_key": NS.consumer_key, "consumer_secret": NS.consumer_secret,
                         "token_id": NS.token_id, "token_secret": NS.token_secret},
        }}}
    )  # fmt: skip
    client = stripe.StripeClient(STRIPE.api_key, base_addresses={"api": stripe_server.base_url})
    try:
        yield World(client, netsuite, database, url, config)
    finally:
        database.dispose()
        stripe_server.stop()
        netsuite.stop()


def legacy_customer(world: World, name: str) -> str:
    """A NetSuite customer made by something else than the engine (no link to it)."""

    async def make() -> str:
        cfg = world.config.account("main").netsuite
        async with NetSuiteClient.from_config(cfg, governor=LocalGovernor(1)) as client:
            body = {"companyName": name, "subsidiary": {"id": chart.SUBSIDIARY_US}}
            return await client.upsert("customer", f"legacy:{name}", body)

    return asyncio.run(make())


def test_a_metadata_id_naming_another_objects_record_is_parked_and_netsuite_unchanged(
    world: World,
) -> None:
    first = world.customer("First Ltd")
    world.sync(first)
    link = world.link(first)
    assert link is not None
    taken = link.internal_id
    before = world.records()

    second = world.customer("Second Ltd", {"netsuite_customer_id": taken})
    world.sync(second)

    job = world.job(second)
    assert job.state == "parked"
    assert job.last_error is not None
    assert (
        f"metadata netsuite_customer_id on {second} names NetSuite customer {taken}, "
        f"which is already linked to {first}"
    ) in job.last_error
    assert world.records() == before
    assert world.link(second) is None
    assert world.metadata(second) == {"netsuite_customer_id": taken}


@pytest.mark.parametrize(
    ("named", "reason"),
    [
        ("987654", "which does not exist as a customer"),
        # An item's internal id: a record, but not a customer.
        (chart.SERVICE_ITEM, "which does not exist as a customer"),
        ("1/../../customer/2", "is not a NetSuite internal id"),
        ("eid:legacy:Old Co", "is not a NetSuite internal id"),
    ],
    ids=["missing", "other-type", "path", "eid"],
)
def test_a_metadata_id_that_is_no_free_customer_is_parked(
    world: World, named: str, reason: str
) -> None:
    legacy_customer(world, "Old Co")
    before = world.records()
    customer = world.customer("Curious Ltd", {"netsuite_customer_id": named})
    world.sync(customer)
    job = world.job(customer)
    assert job.state == "parked"
    assert job.last_error is not None
    assert f"metadata netsuite_customer_id on {customer}" in job.last_error
    assert reason in job.last_error
    assert world.records() == before
    assert world.link(customer) is None


def test_a_free_customer_of_the_right_type_is_linked_and_nothing_is_created(
    world: World,
) -> None:
    existing = legacy_customer(world, "Old Co")
    before = world.records()
    customer = world.customer("Old Co in Stripe", {"netsuite_customer_id": existing})
    world.sync(customer)
    assert world.job(customer).state == "done"
    link = world.link(customer)
    assert link is not None
    assert (link.record_type, link.internal_id, link.body_hash) == ("customer", existing, LINKED)
    assert world.records() == before


def test_with_link_from_metadata_off_the_key_is_ignored_and_the_customer_created(
    world: World,
) -> None:
    existing = legacy_customer(world, "Old Co")
    customer = world.customer("Fresh Ltd", {"netsuite_customer_id": existing})
    world.sync(customer, link_from_metadata=False)
    assert world.job(customer).state == "done"
    link = world.link(customer)
    assert link is not None and link.internal_id != existing
    made = {str(c["id"]): c for c in world.customers()}
    assert made[link.internal_id]["externalId"] == f"{STRIPE.account_id}:{customer}"
    assert made[existing]["companyName"] == "Old Co"
