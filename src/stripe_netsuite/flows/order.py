"""Stripe Checkout Session (an order) → NetSuite sales order."""

from __future__ import annotations

from dataclasses import replace

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.flows import checkout_sale, posting, registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch_gated
from stripe_netsuite.flows.transactions import mapping_context
from stripe_netsuite.mapping import checkout_sale as checkout_mapping
from stripe_netsuite.mapping import order as order_mapping
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.mapping.transaction import id_of

KIND = kinds.get("checkout_session")


async def sync(ctx: FlowContext, session_id: str) -> None:
    """Post the completed session as an approved sales order."""
    session = await fetch_gated(
        ctx,
        KIND.resource,
        session_id,
        expand=("line_items", "line_items.data.discounts", "line_items.data.taxes"),
    )
    if session.get("status") != "complete":
        raise exceptions.Skip("checkout_not_complete", object_id=session_id)
    if linked_id(session, "invoice"):
        # A payment link paying a NetSuite invoice: the invoice is the sale, not an order.
        raise exceptions.Skip("pays_netsuite_invoice", object_id=session_id)
    if await posting.linked_instead(
        ctx,
        stripe_id=session_id,
        role=KIND.role,
        record_type="salesOrder",
        internal_id=linked_id(session, KIND.role),
    ):
        return
    deps = [
        d
        for d in order_mapping.dependencies(session)
        if d.kind in registry.REGISTRY and d.kind != "customer"
    ]
    items = await registry.ensure_all(ctx, ((d.kind, d.stripe_id) for d in deps))
    mctx = await mapping_context(
        ctx,
        customer=id_of(session.get("customer")),
        currency=session.get("currency"),
        item_ids=items,
    )
    if not id_of(session.get("customer")):
        buyer = checkout_mapping.session_buyer(session)
        mctx = replace(mctx, customer_id=await checkout_sale.guest_customer(ctx, buyer))
    internal_id = await posting.post(ctx, order_mapping.map_order(session, mctx))
    await posting.write_back(
        ctx,
        KIND,
        object_id=session_id,
        metadata=session.get("metadata") or {},
        internal_id=internal_id,
    )
