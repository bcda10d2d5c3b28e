"""Objects carry the keys and value types of their example in the OpenAPI fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stripe_helpers import Served, card_payment, serve
from stripe_netsuite_sandbox.stripe import shapes

RESOURCES = [
    "balance",
    "balance_transaction",
    "billing_portal.session",
    "card",
    "charge",
    "coupon",
    "credit_note",
    "credit_note_line_item",
    "customer",
    "customer_balance_transaction",
    "discount",
    "dispute",
    "event",
    "invoice",
    "invoice_payment",
    "invoiceitem",
    "line_item",
    "payment_intent",
    "payment_method",
    "payout",
    "plan",
    "price",
    "product",
    "promotion_code",
    "refund",
    "subscription",
    "subscription_item",
    "tax_rate",
    "test_helpers.test_clock",
    "webhook_endpoint",
]


def _kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


@pytest.fixture(scope="module")
def objects() -> Iterator[dict[str, dict[str, Any]]]:
    """One object of each resource, from a scenario that touches all of them."""
    for served in serve():
        yield _scenario(served)


def _scenario(served: Served) -> dict[str, dict[str, Any]]:
    c, http = served.client, served.http
    clock = c.v1.test_helpers.test_clocks.create(params={"frozen_time": 1767229200})
    cus = c.v1.customers.create(
        params={
            "email": "s@x.io",
            "test_clock": clock.id,
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
            "balance": -100,
        }
    )
    http.post(f"/v1/customers/{cus.id}/sources", data={"source": "tok_visa"})
    coupon = c.v1.coupons.create(params={"percent_off": 10})
    c.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id}})
    rate = c.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": 19, "inclusive": False}
    )
    prod = c.v1.products.create(params={"name": "Shape"})
    price = c.v1.prices.create(
        params={
            "product": prod.id,
            "unit_amount": 1000,
            "currency": "usd",
            "recurring": {"interval": "month"},
        }
    )
    c.v1.plans.create(
        params={"amount": 500, "currency": "usd", "interval": "month", "product": prod.id}
    )
    c.v1.subscriptions.create(params={"customer": cus.id, "items": [{"price": price.id}]})
    c.v1.invoice_items.create(params={"customer": cus.id, "amount": 2000, "currency": "usd"})
    inv = c.v1.invoices.create(
        params={
            "customer": cus.id,
            "pending_invoice_items_behavior": "include",
            "discounts": [{"coupon": coupon.id}],
            "default_tax_rates": [rate.id],
        }
    )
    inv = c.v1.invoices.pay(inv.id)
    c.v1.credit_notes.create(params={"invoice": inv.id, "amount": 500, "credit_amount": 500})
    card_payment(served, 3000, card="pm_card_createDispute")
    card_payment(served, 3000)
    refundable = card_payment(served, 4000)
    c.v1.refunds.create(params={"payment_intent": refundable.id, "amount": 100})
    http.post("/v1/billing_portal/sessions", data={"customer": cus.id})
    c.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/x", "enabled_events": ["charge.succeeded"]}
    )
    served.advance(3 * 86400)
    exported = http.get("/__sandbox/objects").json()["objects"]
    out = {name: items[-1] for name, items in exported.items()}
    last_invoice = exported["invoice"][-1]
    out["line_item"] = last_invoice["lines"]["data"][0]
    out["subscription_item"] = exported["subscription"][-1]["items"]["data"][0]
    out["credit_note_line_item"] = exported["credit_note"][-1]["lines"]["data"][0]
    out["balance"] = http.get("/v1/balance").json()
    return out


@pytest.mark.parametrize("resource", RESOURCES)
def test_object_has_the_fixture_keys_and_types(
    objects: dict[str, dict[str, Any]], resource: str
) -> None:
    assert resource in objects, f"the scenario made no {resource}"
    example = shapes.fixtures()[resource]
    got = objects[resource]
    assert set(example) - set(got) == set(), f"{resource} lacks keys"
    extra = set(got) - set(example)
    assert extra <= {"id", "total_count", "refunds", "payments"}, f"{resource} has extra {extra}"
    mismatched = {
        key: (_kind(example[key]), _kind(got[key]))
        for key in example
        if _kind(example[key]) and _kind(got[key]) and _kind(example[key]) != _kind(got[key])
    }
    assert mismatched == {}
    assert got.get("object", resource) == example.get("object", resource)
