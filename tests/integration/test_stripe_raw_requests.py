"""Reading and writing Stripe objects as plain JSON, over real HTTP to the Stripe sandbox.

`stripe_api.client.retrieve` and `update_metadata` skip the SDK's object model; they must
answer exactly what the SDK's services answer (turned into dicts), and fail the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar

import pytest
import stripe

from stripe_netsuite import exceptions
from stripe_netsuite.settings import parse_config
from stripe_netsuite.stripe_api.client import (
    EngineHTTPClient,
    as_dict,
    make_client,
    resource_path,
    retrieve,
    update_metadata,
)
from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig
from stripe_netsuite_sandbox.stripe.app import create_app as create_stripe

STRIPE = StripeSandboxConfig(deliver_webhooks=False)
T = TypeVar("T")


@pytest.fixture
def server() -> Iterator[RunningServer]:
    running = serve_in_thread(create_stripe(STRIPE))
    try:
        yield running
    finally:
        running.stop()


def client_for(
    server: RunningServer, api_key: str = STRIPE.api_key, http: EngineHTTPClient | None = None
) -> stripe.StripeClient:
    config = parse_config(
        {"accounts": {"main": {
            "stripe_account_id": STRIPE.account_id,
            "stripe_api_key": api_key,
            "stripe_api_base": server.base_url,
            "subsidiary": "1",
            "netsuite": {"account_id": "1234567", "auth": "tba",
                         "consumer_key": "ck", "consumer_secret": "cs",
                         "token_id": "ti", "token_secret": "ts"},
        }}}
    )  # fmt: skip
    return make_client(config.account("main"), http_client=http)


def paid_charge(client: stripe.StripeClient) -> str:
    customer = client.v1.customers.create(params={"name": "Raw Ltd", "email": "raw@example.com"})
    intent = client.v1.payment_intents.create(
        params={"amount": 4200, "currency": "usd", "customer": customer.id,
                "payment_method": "pm_card_visa", "confirm": True,
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    return str(intent.latest_charge)


def test_retrieve_answers_what_the_sdk_service_answers(server: RunningServer) -> None:
    http = EngineHTTPClient(timeout=10)
    client = client_for(server, http=http)
    charge_id = paid_charge(client)  # synchronous calls: the SDK's httpx client

    async def both() -> tuple[dict[str, Any], dict[str, Any]]:
        expand = ["balance_transaction"]
        try:
            raw = await retrieve(client, "charges", charge_id, expand=expand)
            sdk = await client.v1.charges.retrieve_async(charge_id, params={"expand": expand})
        finally:
            await http.close_async()
        return raw, as_dict(sdk)

    raw, sdk = asyncio.run(both())
    assert raw == sdk
    assert raw["id"] == charge_id
    assert raw["amount"] == 4200
    # The expansion came back as the balance transaction itself, not its id.
    assert isinstance(raw["balance_transaction"], dict)
    assert raw["balance_transaction"]["object"] == "balance_transaction"
    assert raw["balance_transaction"]["amount"] == 4200


def test_update_metadata_sets_the_key_and_a_replay_changes_nothing(server: RunningServer) -> None:
    http = EngineHTTPClient(timeout=10)
    client = client_for(server, http=http)
    customer = client.v1.customers.create(params={"name": "Meta Ltd", "metadata": {"a": "1"}})

    async def write() -> list[dict[str, Any]]:
        try:
            return [
                await update_metadata(
                    client,
                    "customers",
                    customer.id,
                    {"netsuite_customer_id": "77"},
                    idempotency_key=f"test-{customer.id}-77",
                )
                for _ in range(2)
            ]
        finally:
            await http.close_async()

    first, replay = asyncio.run(write())
    assert first["metadata"] == {"a": "1", "netsuite_customer_id": "77"}
    assert replay == first
    stored = client.v1.customers.retrieve(customer.id)
    assert stored.metadata is not None
    assert stored.metadata.to_dict() == {"a": "1", "netsuite_customer_id": "77"}


def test_one_client_serves_one_event_loop_after_another(server: RunningServer) -> None:
    http = EngineHTTPClient(timeout=10)
    client = client_for(server, http=http)
    customer = client.v1.customers.create(params={"name": "Loops Ltd"})

    async def read() -> str:
        return str((await retrieve(client, "customers", customer.id))["name"])

    async def read_and_close() -> str:
        try:
            return await read()
        finally:
            await http.close_async()

    assert asyncio.run(read()) == "Loops Ltd"
    assert asyncio.run(read_and_close()) == "Loops Ltd"


async def closing(http: EngineHTTPClient, work: Awaitable[T]) -> T:
    try:
        return await work
    finally:
        await http.close_async()


def test_an_unknown_object_is_refused_with_its_id(server: RunningServer) -> None:
    http = EngineHTTPClient(timeout=10)
    client = client_for(server, http=http)
    with pytest.raises(exceptions.StripeRejected) as caught:
        asyncio.run(closing(http, retrieve(client, "customers", "cus_doesnotexist")))
    assert caught.value.facts["object_id"] == "cus_doesnotexist"
    assert "404" in str(caught.value)


def test_a_wrong_key_is_refused_as_such(server: RunningServer) -> None:
    http = EngineHTTPClient(timeout=10)
    client = client_for(server, api_key="sk_test_wrong", http=http)
    with pytest.raises(exceptions.StripeRejected, match="refused the API key"):
        asyncio.run(closing(http, retrieve(client, "customers", "cus_x")))


def test_a_stripe_that_cannot_be_reached_is_retriable(server: RunningServer) -> None:
    server.stop()  # its address no longer listens
    http = EngineHTTPClient(timeout=10)
    client = client_for(server, http=http)
    with pytest.raises(exceptions.StripeUnavailable, match="Stripe unreachable"):
        asyncio.run(closing(http, retrieve(client, "customers", "cus_x")))


def test_ids_stay_one_path_segment() -> None:
    assert resource_path("checkout.sessions", "cs_1") == "/v1/checkout/sessions/cs_1"
    assert resource_path("customers", "cus_1/../charges") == "/v1/customers/cus_1%2F..%2Fcharges"
    with pytest.raises(ValueError, match="customers id must not be empty"):
        resource_path("customers", "")
