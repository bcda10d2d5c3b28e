"""Stripe refund → NetSuite credit memo (for invoiced charges) and customer refund.

A refund that failed after it succeeded (``refund.failed``, ``charge.refund.updated``)
is posted as it was and booked back: the money returned to the Stripe balance.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.flows import checkout_sale, posting, references, registry
from stripe_netsuite.flows import credit_note as credit_note_flow
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import check_gate, fetch
from stripe_netsuite.flows.transactions import invoice_of_charge, mapping_context
from stripe_netsuite.mapping import conversion
from stripe_netsuite.mapping import credit_note as credit_note_mapping
from stripe_netsuite.mapping import refund as refund_mapping
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.mapping.records import NetSuiteRecord
from stripe_netsuite.mapping.transaction import id_of
from stripe_netsuite.stripe_api.client import as_dict, call

KIND = kinds.get("refund")
EXPAND = ("balance_transaction", "failure_balance_transaction")


async def sync(ctx: FlowContext, refund_id: str) -> None:
    """Post the refund: full, partial, or one of several on a charge; and its failure."""
    refund = await fetch(ctx, KIND.resource, refund_id, expand=EXPAND)
    failed = refund_mapping.failed(refund)
    # A failed refund moved money twice (out, then back): both are booked.
    check_gate(ctx, refund, refund_id, allow={"refund_not_succeeded"} if failed else ())
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
    mctx = await checkout_sale.with_buyer(ctx, charge, mctx)
    if not invoice and charge_id:
        # The invoice the charge's payment applied to: one named in its metadata, else the
        # standalone charge's own (``create_invoices_for_payments``).
        own = linked_id(charge, "invoice") or await references.charge_invoice(ctx, charge_id)
        mctx = replace(mctx, invoice_id=own)
    own_memo = refund_mapping.needs_credit_memo(refund, mctx)
    sale = await references.sale_lines(ctx, mctx.invoice_id) if own_memo else []
    if own_memo:
        memo = await posting.post(
            ctx,
            _in_base(refund_mapping.map_refund_credit_memo(refund, mctx, sale=sale), mctx, refund),
        )
        mctx = replace(mctx, credit_memo_ids={**mctx.credit_memo_ids, refund_id: memo})
    internal_id = await posting.post(
        ctx, _in_base(refund_mapping.map_customer_refund(refund, mctx), mctx, refund)
    )
    if not own_memo:
        # Named by a credit note after it was booked: its own credit memo goes.
        await credit_note_flow.retire_refund_memo(
            ctx, refund_id, mctx.credit_memo_ids.get(refund_id)
        )
    if failed:
        rebooked = None
        if own_memo:
            rebooked = await posting.post(
                ctx,
                _in_base(
                    refund_mapping.map_refund_failure_invoice(refund, mctx, sale=sale),
                    mctx,
                    refund,
                    failure=True,
                ),
            )
        failure = refund_mapping.map_refund_failure(refund, mctx, apply_to=rebooked)
        await posting.post(ctx, _in_base(failure, mctx, refund, failure=True))
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


def _in_base(
    record: NetSuiteRecord, mctx: MappingContext, refund: dict[str, Any], *, failure: bool = False
) -> NetSuiteRecord:
    """The record converted at Stripe's rate on a single-currency account (`conversion`)."""
    key = "failure_balance_transaction" if failure else "balance_transaction"
    return conversion.for_account(
        record,
        mctx,
        balance_transaction=refund.get(key),
        currency=str(refund.get("currency", "")),
    )
