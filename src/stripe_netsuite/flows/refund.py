"""Stripe refund → NetSuite credit memo (for invoiced charges) and customer refund."""

from __future__ import annotations

from dataclasses import replace

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.flows import posting, registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch, fetch_gated
from stripe_netsuite.flows.transactions import invoice_of_charge, mapping_context
from stripe_netsuite.mapping import credit_note as credit_note_mapping
from stripe_netsuite.mapping import refund as refund_mapping
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.mapping.transaction import id_of
from stripe_netsuite.stripe_api.client import as_dict, call

KIND = kinds.get("refund")


async def sync(ctx: FlowContext, refund_id: str) -> None:
    """Post the refund: full, partial, or one of several on a charge."""
    refund = await fetch_gated(ctx, KIND.resource, refund_id, expand=("balance_transaction",))
    bt = refund.get("balance_transaction")
    if isinstance(bt, dict) and bt.get("reporting_category") == "partial_capture_reversal":
        # The uncaptured part of an authorization was released: the payment already
        # records only what was captured, so there is nothing to refund.
        raise exceptions.Skip("partial_capture_reversal", object_id=refund_id)
    if await posting.linked_instead(
        ctx,
        stripe_id=refund_id,
        role=KIND.role,
        record_type="customerRefund",
        internal_id=linked_id(refund, KIND.role),
    ):
        return
    charge_id = id_of(refund.get("charge"))
    charge = await fetch(ctx, "charges", charge_id) if charge_id else {}
    payment_ids = {charge_id: await registry.ensure(ctx, "charge", charge_id)} if charge_id else {}
    invoice = await invoice_of_charge(ctx, charge) if charge else None
    mctx = await mapping_context(
        ctx,
        currency=refund.get("currency"),
        customer=id_of(charge.get("customer")),
        invoice=invoice,
        payment_ids=payment_ids,
        credit_memo_ids=await _credit_note_memos(ctx, invoice),
    )
    if refund_mapping.needs_credit_memo(refund, mctx):
        memo = await posting.post(ctx, refund_mapping.map_refund_credit_memo(refund, mctx))
        mctx = replace(mctx, credit_memo_ids={**mctx.credit_memo_ids, refund_id: memo})
    internal_id = await posting.post(ctx, refund_mapping.map_customer_refund(refund, mctx))
    await posting.write_back(
        ctx,
        KIND,
        object_id=refund_id,
        metadata=refund.get("metadata") or {},
        internal_id=internal_id,
    )


async def _credit_note_memos(ctx: FlowContext, invoice: str | None) -> dict[str, str]:
    """Refunds made through a credit note apply to that credit note's credit memo."""
    if not invoice:
        return {}
    page = await call(
        lambda: ctx.stripe.v1.credit_notes.list_async(params={"invoice": invoice, "limit": 100}),
        object_id=invoice,
    )
    targets: dict[str, str] = {}
    async for note in page.auto_paging_iter():
        data = as_dict(note)
        if not data.get("refunds"):
            continue
        memo = await registry.ensure(ctx, "credit_note", data["id"])
        targets.update(credit_note_mapping.refund_targets(data, memo))
    return targets
