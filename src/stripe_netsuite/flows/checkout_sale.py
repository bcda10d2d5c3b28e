"""What the payment flow needs of a Checkout sale: the session a charge paid, its items,
and a NetSuite customer for a buyer without a Stripe customer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.flows import posting, registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.transactions import mapping_context
from stripe_netsuite.mapping import checkout_sale
from stripe_netsuite.mapping import order as order_mapping
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.mapping.transaction import id_of
from stripe_netsuite.stripe_api.client import list_page

#: The line-item fields the session's invoice reads (taxes are not listed by default).
EXPAND = ("data.line_items", "data.line_items.data.taxes", "data.line_items.data.discounts")


async def session_of(ctx: FlowContext, charge: Mapping[str, Any]) -> dict[str, Any] | None:
    """The complete Checkout Session whose payment intent made *charge*, if any."""
    intent = id_of(charge.get("payment_intent"))
    if not intent:
        return None
    params: dict[str, Any] = {"payment_intent": intent, "limit": 1, "expand": list(EXPAND)}
    # Asked for every payment, so read as plain JSON (`list_page`), not as SDK objects.
    page = await list_page(
        ctx.stripe, "/v1/checkout/sessions", params, object_id=str(charge.get("id"))
    )
    for session in page:
        if session.get("status") == "complete":
            return session
    return None


async def item_ids(ctx: FlowContext, session: Mapping[str, Any]) -> dict[str, str]:
    """The NetSuite items of the session's prices and products, ensured first."""
    deps = [
        d
        for d in order_mapping.dependencies(session)
        if d.kind in registry.REGISTRY and d.kind != "customer"
    ]
    return await registry.ensure_all(ctx, ((d.kind, d.stripe_id) for d in deps))


async def guest_customer(ctx: FlowContext, charge: Mapping[str, Any]) -> str:
    """The NetSuite customer a charge without a Stripe customer posts against:
    ``options.guest_customer``, else one made (once) from its billing email."""
    named = linked_id(charge, "invoice")
    if named:
        # Paying a NetSuite invoice (a payment link made for it): its customer pays.
        record = await ctx.netsuite.get("invoice", named)
        entity = id_of((record or {}).get("entity"))
        if not entity:
            raise exceptions.MappingError(
                f"NetSuite invoice {named} named by the charge has no customer",
                stripe_id=str(charge.get("id")),
            )
        return entity
    if ctx.account.options.guest_customer:
        return ctx.account.options.guest_customer
    mctx = await mapping_context(ctx, customer=None, currency=charge.get("currency"))
    return await posting.post(ctx, checkout_sale.map_guest_customer(charge, mctx), update=False)


async def with_buyer(
    ctx: FlowContext, charge: Mapping[str, Any], mctx: MappingContext
) -> MappingContext:
    """``mctx`` naming the guest customer when the charge has no Stripe customer, so a
    refund or dispute of a guest sale reverses it on the customer the sale posted to."""
    if not charge or id_of(charge.get("customer")):
        return mctx
    return replace(mctx, customer_id=await guest_customer(ctx, charge))
