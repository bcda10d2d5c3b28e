"""Stripe dispute → the cash withdrawn, the dispute fee, and their reversal when won."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.flows import checkout_sale, posting, references, registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch, fetch_gated
from stripe_netsuite.flows.transactions import invoice_of_charge, mapping_context
from stripe_netsuite.mapping import conversion
from stripe_netsuite.mapping import dispute as dispute_mapping
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.mapping.records import NetSuiteRecord
from stripe_netsuite.mapping.transaction import id_of

KIND = kinds.get("dispute")


async def sync(ctx: FlowContext, dispute_id: str) -> None:
    """Post what has happened to the money so far; inquiries post nothing."""
    dispute = await fetch_gated(ctx, KIND.resource, dispute_id, expand=("balance_transactions",))
    charge_id = id_of(dispute.get("charge"))
    charge = await fetch(ctx, "charges", charge_id) if charge_id else {}
    payment_ids = {charge_id: await registry.ensure(ctx, "charge", charge_id)} if charge_id else {}
    invoice = await invoice_of_charge(ctx, charge) if charge else None
    mctx = await mapping_context(
        ctx,
        currency=dispute.get("currency"),
        customer=id_of(charge.get("customer")),
        invoice=invoice,
        payment_ids=payment_ids,
    )
    mctx = await checkout_sale.with_buyer(ctx, charge, mctx)
    if not invoice and charge_id:
        # The invoice the charge's payment applied to: one named in its metadata, else the
        # standalone charge's own (``create_invoices_for_payments``).
        own = linked_id(charge, "invoice") or await references.charge_invoice(ctx, charge_id)
        mctx = replace(mctx, invoice_id=own)
    credits_sale = dispute_mapping.needs_credit_memo(dispute, mctx)
    # Cash refunds and cash sales carry the sale's lines too, instead of a credit memo.
    cash = ctx.account.options.dispute_refund_record == "cashRefund"
    reads = credits_sale or (cash and dispute_mapping.stage(dispute) != "inquiry")
    sale = await references.sale_lines(ctx, mctx.invoice_id) if reads else []
    if credits_sale:
        memo = await posting.post(
            ctx,
            _in_base(
                dispute_mapping.map_dispute_credit_memo(dispute, mctx, sale=sale), mctx, dispute
            ),
        )
        mctx = replace(mctx, credit_memo_ids={**mctx.credit_memo_ids, dispute_id: memo})
    withdrawn = dispute_mapping.map_dispute_refund(dispute, mctx, sale=sale)
    records = [
        _in_base(withdrawn, mctx, dispute) if withdrawn else None,
        # The fee is in the settlement currency already.
        dispute_mapping.map_dispute_fee(dispute, mctx),
    ]
    posted = [await posting.post(ctx, record) for record in records if record is not None]
    rebooked = dispute_mapping.map_reinstatement_invoice(dispute, mctx, sale=sale)
    apply_to = None
    if rebooked is not None:
        apply_to = await posting.post(ctx, _in_base(rebooked, mctx, dispute, won=True))
    for record in dispute_mapping.map_dispute_reversal(dispute, mctx, apply_to=apply_to, sale=sale):
        if record.role == "dispute_reversal":
            record = _in_base(record, mctx, dispute, won=True)
        posted.append(await posting.post(ctx, record))
    if not posted:
        # Opened, but no money has moved yet; the funds-withdrawn event posts it.
        raise exceptions.Skip("dispute_no_funds_moved", object_id=dispute_id)


def _in_base(
    record: NetSuiteRecord, mctx: MappingContext, dispute: dict[str, Any], *, won: bool = False
) -> NetSuiteRecord:
    """The record converted at Stripe's rate on a single-currency account (`conversion`)."""
    bt = dispute_mapping.balance_transaction(dispute, "dispute_reversal" if won else "dispute")
    return conversion.for_account(
        record, mctx, balance_transaction=bt, currency=str(dispute.get("currency", ""))
    )
