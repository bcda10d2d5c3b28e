"""A payment link for a NetSuite invoice sent to Stripe (``from_netsuite.payment_link_field``).

One link per Stripe invoice, selling one line for what the invoice asks, with
``netsuite_invoice_id`` in its metadata and in its payment intents' metadata: a payment
through it posts as a customer payment applied to that NetSuite invoice (the charge flow
reads the key), against the invoice's own customer even though a payment link makes no
Stripe customer. Its URL is written to the NetSuite custom field the setting names.
"""

from __future__ import annotations

from typing import Any

from stripe_netsuite.flows import netsuite_writes as writes
from stripe_netsuite.flows.context import FlowContext


async def fields_for(
    ctx: FlowContext, record: dict[str, Any], invoice: dict[str, Any]
) -> dict[str, Any]:
    """The link field to write (made once per Stripe invoice; empty when the setting is off,
    the invoice is no longer open, or the field already holds a URL)."""
    field = ctx.account.from_netsuite.payment_link_field
    if not field or record.get(field) or ctx.preview is not None:
        return {}
    if invoice.get("status") != "open" or not int(invoice.get("amount_remaining") or 0):
        return {}
    internal_id, stripe_id = str(record["id"]), str(invoice["id"])
    number = str(record.get("tranId") or invoice.get("number") or internal_id)
    price_params: Any = {
        "currency": invoice["currency"],
        "unit_amount": int(invoice["amount_remaining"]),
        "product_data": {"name": f"Invoice {number}"},
        "metadata": {"netsuite_invoice_id": internal_id},
    }
    price = await writes.stripe_create(
        ctx,
        lambda o: ctx.stripe.v1.prices.create_async(params=price_params, options=o),
        writes.idempotency_key(ctx, "link-price", stripe_id),
        about=stripe_id,
    )
    tags = {"netsuite_invoice_id": internal_id, "stripe_invoice_id": stripe_id}
    link_params: Any = {
        "line_items": [{"price": price["id"], "quantity": 1}],
        "metadata": tags,
        "payment_intent_data": {"metadata": tags},
    }
    link = await writes.stripe_create(
        ctx,
        lambda o: ctx.stripe.v1.payment_links.create_async(params=link_params, options=o),
        writes.idempotency_key(ctx, "link", stripe_id),
        about=stripe_id,
    )
    return {field: link["url"]}
