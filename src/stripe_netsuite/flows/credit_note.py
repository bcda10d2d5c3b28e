"""Stripe credit note → NetSuite credit memo, plus a refund, customer credit or out-of-band part.

A voided credit note is reversed by an invoice of its lines; refunds it names that were
booked first are moved onto its credit memo (their own memos retired).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stripe_netsuite import kinds
from stripe_netsuite.flows import invoice as invoice_flow
from stripe_netsuite.flows import posting
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import check_gate, fetch
from stripe_netsuite.flows.transactions import mapping_context
from stripe_netsuite.mapping import credit_note as credit_note_mapping
from stripe_netsuite.mapping import refund as refund_mapping
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.mapping.transaction import id_of
from stripe_netsuite.store import links
from stripe_netsuite.stripe_api.client import as_dict, call

KIND = kinds.get("credit_note")
#: The gate's rule for a void credit note: skipped unless it was booked (then reversed).
VOID_RULE = "void_credit_note"
#: The link role of the credit memo a refund makes of its own.
REFUND_MEMO_ROLE = "credit_memo"


async def sync(ctx: FlowContext, credit_note_id: str) -> None:
    """Post the credit memo; the refunds it made follow through the refund flow."""
    note = await fetch(
        ctx,
        KIND.resource,
        credit_note_id,
        expand=("refunds.refund", "customer_balance_transaction"),
    )
    voided = note.get("status") == "void"
    # A note voided before it was booked has nothing to reverse; one booked is reversed.
    booked = voided and await _link(ctx, credit_note_id, KIND.role) is not None
    check_gate(ctx, note, credit_note_id, allow={VOID_RULE} if booked else ())
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
    note, line_items = await _credited_lines(ctx, note)
    mctx = replace(
        mctx,
        item_ids={**mctx.item_ids, **line_items.item_ids},
        discount_item_ids={**mctx.discount_item_ids, **line_items.discount_item_ids},
        tax_code_ids=line_items.tax_code_ids,
    )
    transfer = credit_note_mapping.map_balance_transfer(note, mctx)
    if transfer is not None:
        mctx = replace(mctx, balance_invoice_id=await posting.post(ctx, transfer))
    if voided:
        # Booked back by an invoice of the same lines, which the credit memo now pays
        # instead of the credited invoice: that one is open again, as in Stripe.
        reversal = await posting.post(ctx, credit_note_mapping.map_void(note, mctx))
        mctx = replace(mctx, invoice_id=reversal)
    memo = await posting.post(ctx, credit_note_mapping.map_credit_note(note, mctx))
    mctx = replace(mctx, credit_memo_ids={**mctx.credit_memo_ids, credit_note_id: memo})
    await _repoint_refunds(ctx, note, mctx)
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


async def _link(ctx: FlowContext, stripe_id: str, role: str) -> links.Link | None:
    return await links.read(ctx.database, account=ctx.name, stripe_id=stripe_id, role=role)


async def _repoint_refunds(ctx: FlowContext, note: dict[str, Any], mctx: MappingContext) -> None:
    """Refunds booked before the credit note named them: their customer refunds move to
    this credit memo, and the credit memo each had of its own is retired (one reversal)."""
    memo = mctx.credit_memo_ids[str(note["id"])]
    for refund_id, target in credit_note_mapping.refund_targets(note, memo).items():
        own = await _link(ctx, refund_id, REFUND_MEMO_ROLE)
        if own is None or own.internal_id == target:
            continue
        refund = await fetch(ctx, "refunds", refund_id, expand=("balance_transaction",))
        rctx = replace(mctx, credit_memo_ids={**mctx.credit_memo_ids, refund_id: target})
        await posting.post(ctx, refund_mapping.map_customer_refund(refund, rctx))
        await retire_refund_memo(ctx, refund_id, target)


async def retire_refund_memo(ctx: FlowContext, refund_id: str, target: str | None) -> None:
    """Delete the refund's own credit memo once its customer refund applies to *target*
    (a credit note's credit memo that names the refund), and forget its link."""
    own = await _link(ctx, refund_id, REFUND_MEMO_ROLE)
    if own is None or not target or own.internal_id == target:
        return
    if own.body_hash == posting.RETRACTED:
        return
    await posting.retract(ctx, own)


async def _credited_lines(
    ctx: FlowContext, note: dict[str, Any]
) -> tuple[dict[str, Any], MappingContext]:
    """The credited invoice's items by its line ids, and its discounts for the note's lines.

    A credit note line names its invoice line; crediting the item that line used (not a
    generic refund item) reverses the income account the sale went to.
    """
    invoice_id = id_of(note.get("invoice"))
    if not invoice_id:
        return note, MappingContext(account=ctx.account, tax_code_ids=ctx.account.items.tax_codes)
    invoice = await fetch(ctx, "invoices", invoice_id, expand=invoice_flow.EXPAND)
    await invoice_flow.all_lines(ctx, invoice)
    ictx = await invoice_flow.context_for(ctx, invoice)
    found = replace(ictx, item_ids=credit_note_mapping.invoice_line_items(invoice, ictx))
    if not note.get("discounts") and invoice.get("discounts"):
        # Coupons behind the note's discount amounts are the invoice's.
        note = {**note, "discounts": invoice["discounts"]}
    return note, found


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
