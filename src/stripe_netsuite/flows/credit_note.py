"""Stripe credit note → NetSuite credit memo, plus a refund, customer credit or out-of-band part."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stripe_netsuite import kinds
from stripe_netsuite.flows import posting
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch_gated
from stripe_netsuite.flows.transactions import mapping_context
from stripe_netsuite.mapping import credit_note as credit_note_mapping
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.mapping.transaction import id_of
from stripe_netsuite.stripe_api.client import as_dict, call

KIND = kinds.get("credit_note")


async def sync(ctx: FlowContext, credit_note_id: str) -> None:
    """Post the credit memo; the refunds it made follow through the refund flow."""
    note = await fetch_gated(
        ctx,
        KIND.resource,
        credit_note_id,
        expand=("refunds.refund", "customer_balance_transaction"),
    )
    note = await _with_balance_transaction(ctx, note)
    if await posting.linked_instead(
        ctx,
        stripe_id=credit_note_id,
        role=KIND.role,
        record_type="creditMemo",
        internal_id=linked_id(note, KIND.role),
    ):
        return
    mctx = await mapping_context(
        ctx,
        currency=note.get("currency"),
        customer=id_of(note.get("customer")),
        invoice=id_of(note.get("invoice")),
    )
    transfer = credit_note_mapping.map_balance_transfer(note, mctx)
    if transfer is not None:
        mctx = replace(mctx, balance_invoice_id=await posting.post(ctx, transfer))
    memo = await posting.post(ctx, credit_note_mapping.map_credit_note(note, mctx))
    mctx = replace(mctx, credit_memo_ids={**mctx.credit_memo_ids, credit_note_id: memo})
    out_of_band = credit_note_mapping.map_out_of_band_refund(note, mctx)
    if out_of_band is not None:
        await posting.post(ctx, out_of_band)
    await posting.write_back(
        ctx,
        KIND,
        object_id=credit_note_id,
        metadata=note.get("metadata") or {},
        internal_id=memo,
    )


async def _with_balance_transaction(ctx: FlowContext, note: dict[str, Any]) -> dict[str, Any]:
    # The credit to customer balance is the amount of the balance transaction the note
    # made; a payload that left it as an id (a given object, say) gets it fetched here.
    ref = note.get("customer_balance_transaction")
    customer = id_of(note.get("customer"))
    if not isinstance(ref, str) or not ref or not customer:
        return note
    service = ctx.stripe.v1.customers.balance_transactions
    entry = await call(lambda: service.retrieve_async(customer, ref), object_id=ref)
    return {**note, "customer_balance_transaction": as_dict(entry)}
