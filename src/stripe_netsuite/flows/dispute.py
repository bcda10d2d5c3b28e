"""Stripe dispute → the cash withdrawn, the dispute fee, and their reversal when won."""

from __future__ import annotations

from dataclasses import replace

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.flows import posting, registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch, fetch_gated
from stripe_netsuite.flows.transactions import invoice_of_charge, mapping_context
from stripe_netsuite.mapping import dispute as dispute_mapping
from stripe_netsuite.mapping.transaction import id_of

KIND = kinds.get("dispute")


async def sync(ctx: FlowContext, dispute_id: str) -> None:
    """Post what has happened to the money so far; inquiries post nothing."""
    dispute = await fetch_gated(ctx, KIND.resource, dispute_id, expand=("balance_transactions",))
    charge_id = id_of(dispute.get("charge"))
    charge = await fetch(ctx, "charges", charge_id) if charge_id else {}
    payment_ids = {charge_id: await registry.ensure(ctx, "charge", charge_id)} if charge_id else {}
    mctx = await mapping_context(
        ctx,
        currency=dispute.get("currency"),
        customer=id_of(charge.get("customer")),
        invoice=await invoice_of_charge(ctx, charge) if charge else None,
        payment_ids=payment_ids,
    )
    if dispute_mapping.needs_credit_memo(dispute, mctx):
        memo = await posting.post(ctx, dispute_mapping.map_dispute_credit_memo(dispute, mctx))
        mctx = replace(mctx, credit_memo_ids={**mctx.credit_memo_ids, dispute_id: memo})
    records = [
        dispute_mapping.map_dispute_refund(dispute, mctx),
        dispute_mapping.map_dispute_fee(dispute, mctx),
        *dispute_mapping.map_dispute_reversal(dispute, mctx),
    ]
    posted = [await posting.post(ctx, record) for record in records if record is not None]
    if not posted:
        # Opened, but no money has moved yet; the funds-withdrawn event posts it.
        raise exceptions.Skip("dispute_no_funds_moved", object_id=dispute_id)
