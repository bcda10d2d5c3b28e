"""Stripe charge → NetSuite customer payment, applied to its invoice, into undeposited funds."""

from __future__ import annotations

from dataclasses import replace

from stripe_netsuite import exceptions
from stripe_netsuite.flows import posting
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch_gated
from stripe_netsuite.flows.transactions import invoice_of_charge, mapping_context
from stripe_netsuite.mapping import payment as payment_mapping
from stripe_netsuite.mapping.metadata import LINK_KEYS, linked_id
from stripe_netsuite.mapping.transaction import id_of

ROLE = "payment"


async def sync(ctx: FlowContext, charge_id: str) -> None:
    """Post the payment of a captured charge (partial captures pay their captured part)."""
    charge = await fetch_gated(ctx, "charges", charge_id, expand=("balance_transaction",))
    if await posting.linked_instead(
        ctx,
        stripe_id=charge_id,
        role=ROLE,
        record_type="customerPayment",
        internal_id=linked_id(charge, ROLE),
    ):
        return
    customer = id_of(charge.get("customer"))
    if not customer:
        raise exceptions.MappingError(
            "the charge has no Stripe customer; NetSuite needs one for the payment",
            stripe_id=charge_id,
        )
    invoice = await invoice_of_charge(ctx, charge)
    mctx = await mapping_context(
        ctx, currency=charge.get("currency"), customer=customer, invoice=invoice
    )
    if payment_mapping.needs_invoice(charge, mctx):
        made = await posting.post(ctx, payment_mapping.map_charge_invoice(charge, mctx))
        mctx = replace(mctx, invoice_id=made)
    internal_id = await posting.post(ctx, payment_mapping.map_payment(charge, mctx))
    await posting.write_back(
        ctx,
        resource="charges",
        object_id=charge_id,
        metadata=charge.get("metadata") or {},
        key=LINK_KEYS[ROLE],
        internal_id=internal_id,
    )
