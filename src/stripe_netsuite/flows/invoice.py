"""Stripe invoice → NetSuite invoice (+ a credit memo for customer balance applied)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stripe_netsuite import kinds
from stripe_netsuite.flows import posting, registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch_gated
from stripe_netsuite.flows.references import currency_ids
from stripe_netsuite.flows.transactions import ensure_customer_currency
from stripe_netsuite.mapping import invoice as invoice_mapping
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.stripe_api.client import as_dict, call

KIND = kinds.get("invoice")
EXPAND = ("discounts", "total_discount_amounts.discount")


async def sync(ctx: FlowContext, invoice_id: str) -> None:
    """Post the finalized invoice with its lines, discounts, tax and balance credit."""
    invoice = await fetch_gated(ctx, KIND.resource, invoice_id, expand=EXPAND)
    await _all_lines(ctx, invoice)
    if await posting.linked_instead(
        ctx,
        stripe_id=invoice_id,
        role=KIND.role,
        record_type="invoice",
        internal_id=linked_id(invoice, KIND.role),
    ):
        return
    mctx = await context_for(ctx, invoice)
    internal_id = await posting.post(ctx, invoice_mapping.map_invoice(invoice, mctx))
    credit = invoice_mapping.map_balance_credit(invoice, replace(mctx, invoice_id=internal_id))
    if credit is not None:
        await posting.post(ctx, credit)
    await posting.write_back(
        ctx,
        KIND,
        object_id=invoice_id,
        metadata=invoice.get("metadata") or {},
        internal_id=internal_id,
    )


async def context_for(ctx: FlowContext, invoice: dict[str, Any]) -> MappingContext:
    """Ensure the invoice's customer, items and discount items; their NetSuite ids."""
    deps = invoice_mapping.dependencies(invoice)
    ids = await registry.ensure_all(ctx, ((d.kind, d.stripe_id) for d in deps))
    by_kind = {d.stripe_id: d.kind for d in deps}
    customer = next((ids[s] for s, k in by_kind.items() if k == "customer"), None)
    currencies = await currency_ids(ctx)
    stripe_customer = next((s for s, k in by_kind.items() if k == "customer"), None)
    if stripe_customer and customer and invoice.get("currency"):
        await ensure_customer_currency(
            ctx, stripe_customer, customer, currencies, str(invoice["currency"])
        )
    return MappingContext(
        account=ctx.account,
        customer_id=customer,
        currency_ids=currencies,
        item_ids={s: ids[s] for s, k in by_kind.items() if k in ("price", "plan", "product")},
        discount_item_ids={s: ids[s] for s, k in by_kind.items() if k == "coupon"},
        customer_balance_item_id=ctx.account.items.customer_balance_item,
    )


async def _all_lines(ctx: FlowContext, invoice: dict[str, Any]) -> None:
    # The invoice carries its first page of lines; the mapping needs every one.
    lines = invoice.get("lines") or {}
    if not lines.get("has_more"):
        return
    page = await call(
        lambda: ctx.stripe.v1.invoices.line_items.list_async(invoice["id"], params={"limit": 100}),
        object_id=invoice["id"],
    )
    data = [as_dict(line) async for line in page.auto_paging_iter()]
    invoice["lines"] = {**lines, "data": data, "has_more": False}
