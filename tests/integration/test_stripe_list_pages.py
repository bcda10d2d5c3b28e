"""A charge's invoice, listed as plain JSON over real HTTP to the Stripe sandbox, and kept.

`stripe_api.client.list_page` must answer what the SDK's list service answers; the
invoice a payment intent paid is kept in the process, and not finding one is never kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
import stripe

from stripe_netsuite import exceptions
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.transactions import invoice_of_charge
from stripe_netsuite.settings import parse_config
from stripe_netsuite.stripe_api.client import EngineHTTPClient, as_dict, list_page, make_client
from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig
from stripe_netsuite_sandbox.stripe.app import create_app as create_stripe

STRIPE = StripeSandboxConfig(deliver_webhooks=False)


@pytest.fixture
def server() -> Iterator[RunningServer]:
    running = serve_in_thread(create_stripe(STRIPE))
    try:
        yield running
    finally:
        running.stop()


def client_for(server: RunningServer, http: EngineHTTPClient) -> stripe.StripeClient:
    config = parse_config(
        {"accounts": {"main": {
            "stripe_account_id": STRIPE.account_id,
            "stripe_api_key": STRIPE.api_key,
            "stripe_api_base": server.base_url,
            "subsidiary": "1",
            "netsuite": {"account_id": "1234567", "auth": "tba",
                         "consumer_key": "ck", "consumer_secret": "cs",
                         "token_id": "ti", "token_secret": "ts"},
        }}}
    )  # fmt: skip
    return make_client(config.account("main"), http_client=http)


def _customer(client: stripe.StripeClient) -> str:
    return client.v1.customers.create(
        params={"name": "Lists Ltd", "email": "lists@example.com",
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    ).id  # fmt: skip


def invoice_charge(client: stripe.StripeClient) -> tuple[str, dict[str, Any]]:
    """A paid invoice and the charge that paid it."""
    customer = _customer(client)
    price = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 4900, "product_data": {"name": "Plan"}}
    )
    client.v1.invoice_items.create(params={"customer": customer, "pricing": {"price": price.id}})
    invoice = client.v1.invoices.create(
        params={"customer": customer, "pending_invoice_items_behavior": "include"}
    )
    invoice = client.v1.invoices.finalize_invoice(invoice.id)
    if invoice.status == "open":
        invoice = client.v1.invoices.pay(invoice.id)
    assert invoice.status == "paid"
    (payment,) = client.v1.invoice_payments.list(params={"invoice": invoice.id}).data
    intent = as_dict(payment)["payment"]["payment_intent"]
    charge = client.v1.payment_intents.retrieve(intent).latest_charge
    return invoice.id, as_dict(client.v1.charges.retrieve(str(charge)))


def standalone_charge(client: stripe.StripeClient) -> dict[str, Any]:
    intent = client.v1.payment_intents.create(
        params={"amount": 1500, "currency": "usd", "customer": _customer(client),
                "payment_method": "pm_card_visa", "confirm": True,
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    return as_dict(client.v1.charges.retrieve(str(intent.latest_charge)))


def _ctx(client: stripe.StripeClient) -> FlowContext:
    # `invoice_of_charge` reads only the Stripe client and the process cache.
    return cast(FlowContext, SimpleNamespace(stripe=client, cache={}))


def test_a_page_answers_what_the_sdk_list_service_answers(server: RunningServer) -> None:
    http = EngineHTTPClient(timeout=10)
    client = client_for(server, http)
    invoice, _ = invoice_charge(client)

    async def both() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        params = {"invoice": invoice, "limit": 10}
        try:
            raw = await list_page(client, "/v1/invoice_payments", params, object_id=invoice)
            sdk = await client.v1.invoice_payments.list_async(params=params)  # type: ignore[arg-type]
        finally:
            await http.close_async()
        return raw, [as_dict(item) for item in sdk.data]

    raw, sdk = asyncio.run(both())
    assert raw == sdk
    assert len(raw) == 1 and raw[0]["invoice"] == invoice
    assert raw[0]["amount_paid"] == 4900


def test_a_found_invoice_is_kept_and_not_finding_one_is_asked_again(
    server: RunningServer,
) -> None:
    http = EngineHTTPClient(timeout=10)
    client = client_for(server, http)
    invoice, paid = invoice_charge(client)
    alone = standalone_charge(client)
    ctx = _ctx(client)

    async def first() -> tuple[str | None, str | None]:
        return await invoice_of_charge(ctx, paid), await invoice_of_charge(ctx, alone)

    assert asyncio.run(first()) == (invoice, None)
    server.stop()  # from here on, only what the process kept answers

    async def again() -> str | None:
        try:
            found = await invoice_of_charge(ctx, paid)
            with pytest.raises(exceptions.StripeUnavailable):
                await invoice_of_charge(ctx, alone)
            return found
        finally:
            await http.close_async()

    assert asyncio.run(again()) == invoice
