"""Stripe invoice → NetSuite invoice (+ a credit memo for customer balance applied).

A negative invoice becomes a credit memo paying a balance-transfer invoice (the credit
Stripe puts on the customer balance); a voided one is reversed by a credit memo of its
lines; an uncollectible one is written off to ``gl.bad_debt`` until it is paid or voided.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.flows import posting, references, registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch_gated
from stripe_netsuite.flows.references import currency_ids
from stripe_netsuite.flows.transactions import ensure_customer_currency
from stripe_netsuite.mapping import invoice as invoice_mapping
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.store import links
from stripe_netsuite.stripe_api.client import as_dict, call

KIND = kinds.get("invoice")
EXPAND = ("discounts", "total_discount_amounts.discount")


async def sync(ctx: FlowContext, invoice_id: str) -> None:
    """Post the finalized invoice with its lines, discounts, tax and balance credit."""
    invoice = await fetch_gated(ctx, KIND.resource, invoice_id, expand=EXPAND)
    await all_lines(ctx, invoice)
    if await posting.linked_instead(
        ctx,
        stripe_id=invoice_id,
        role=KIND.role,
        record_type="invoice",
        internal_id=linked_id(invoice, KIND.role),
    ):
        return
    status = invoice.get("status")
    if status == "void" and await _link(ctx, invoice_id, KIND.role) is None:
        # Voided before it was ever booked: nothing to post, nothing to reverse.
        raise exceptions.Skip("void_invoice", object_id=invoice_id)
    await references.refuse_foreign_document(ctx, invoice)
    mctx = await context_for(ctx, invoice)
    transfer = invoice_mapping.map_negative_transfer(invoice, mctx)
    if transfer is not None:
        mctx = replace(mctx, balance_invoice_id=await posting.post(ctx, transfer))
    main = (
        invoice_mapping.map_negative_invoice
        if invoice_mapping.is_negative(invoice)
        else invoice_mapping.map_invoice
    )
    internal_id = await posting.post(ctx, main(invoice, mctx))
    mctx = replace(mctx, invoice_id=internal_id)
    for extra in (
        invoice_mapping.map_balance_credit(invoice, mctx),
        invoice_mapping.map_carry_credit(invoice, mctx),
    ):
        if extra is not None:
            await posting.post(ctx, extra)
    await _write_off(ctx, invoice, mctx)
    if status == "void":
        await posting.post(ctx, invoice_mapping.map_void(invoice, mctx))
    await posting.write_back(
        ctx,
        KIND,
        object_id=invoice_id,
        metadata=invoice.get("metadata") or {},
        internal_id=internal_id,
    )


async def _link(ctx: FlowContext, stripe_id: str, role: str) -> links.Link | None:
    return await links.read(ctx.database, account=ctx.name, stripe_id=stripe_id, role=role)


async def _write_off(ctx: FlowContext, invoice: dict[str, Any], mctx: MappingContext) -> None:
    """Write an uncollectible invoice off; take the write-off back once it is paid or voided
    (Stripe then counts it as collected, or as never owed)."""
    sid = str(invoice["id"])
    if invoice.get("status") == "uncollectible":
        record = invoice_mapping.map_write_off(invoice, mctx)
        if record is not None:
            await posting.post(ctx, record)
        return
    found = await _link(ctx, sid, "write_off")
    if found is None or found.body_hash == posting.RETRACTED:
        return
    await posting.retract(ctx, found)


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
        tax_code_ids=ctx.account.items.tax_codes,
        customer_balance_item_id=ctx.account.items.customer_balance_item,
    )


async def all_lines(ctx: FlowContext, invoice: dict[str, Any]) -> None:
    """Fill in every line: the invoice carries its first page, the mapping needs them all."""
    lines = invoice.get("lines") or {}
    if not lines.get("has_more"):
        return
    page = await call(
        lambda: ctx.stripe.v1.invoices.line_items.list_async(invoice["id"], params={"limit": 100}),
        object_id=invoice["id"],
    )
    data = [as_dict(line) async for line in page.auto_paging_iter()]
    invoice["lines"] = {**lines, "data": data, "has_more": False}
