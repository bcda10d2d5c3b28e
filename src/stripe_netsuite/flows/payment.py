"""Stripe charge → NetSuite customer payment, applied to its invoice, into undeposited funds
(Stripe clearing under summary payout posting: `mapping.payment`)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.flows import checkout_sale, posting
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch_gated
from stripe_netsuite.flows.netsuite_match import matched_invoice
from stripe_netsuite.flows.transactions import invoice_of_charge, mapping_context
from stripe_netsuite.mapping import checkout_sale as checkout_sale_mapping
from stripe_netsuite.mapping import conversion
from stripe_netsuite.mapping import payment as payment_mapping
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.mapping.records import NetSuiteRecord
from stripe_netsuite.mapping.transaction import id_of

KIND = kinds.get("charge")


async def sync(ctx: FlowContext, charge_id: str) -> None:
    """Post the payment of a captured charge (partial captures pay their captured part)."""
    charge = await fetch_gated(ctx, KIND.resource, charge_id, expand=("balance_transaction",))
    if await posting.linked_instead(
        ctx,
        stripe_id=charge_id,
        role=KIND.role,
        record_type="customerPayment",
        internal_id=linked_id(charge, KIND.role),
    ):
        return
    if ctx.account.options.payment_mode == "find":
        found = await find_payment(ctx, charge)
        await posting.link_existing(
            ctx,
            stripe_id=charge_id,
            role=KIND.role,
            record_type="customerPayment",
            internal_id=found,
        )
        return
    customer = id_of(charge.get("customer"))
    # A buyer without a Stripe customer posts against a guest customer (checkout_sale).
    guest = None if customer else await checkout_sale.guest_customer(ctx, charge)
    invoice = await invoice_of_charge(ctx, charge)
    # A Checkout sale's invoice carries the session's lines, tax split out.
    pays_named = linked_id(charge, "invoice")
    session = None if invoice or pays_named else await checkout_sale.session_of(ctx, charge)
    items = await checkout_sale.item_ids(ctx, session) if session else {}
    mctx = await mapping_context(
        ctx, currency=charge.get("currency"), customer=customer, invoice=invoice, item_ids=items
    )
    if guest:
        mctx = replace(mctx, customer_id=guest)
    # Auto-match: a payment naming an open NetSuite invoice's number pays that invoice.
    matched = None if invoice else await matched_invoice(ctx, charge, mctx.customer_id)
    if matched:
        mctx = replace(mctx, invoice_id=matched)
    if not matched and payment_mapping.needs_invoice(charge, mctx):
        sale = (
            checkout_sale_mapping.map_session_invoice(session, charge, mctx)
            if session
            else payment_mapping.map_charge_invoice(charge, mctx)
        )
        made = await posting.post(ctx, _in_base(sale, mctx, charge))
        mctx = replace(mctx, invoice_id=made)
    internal_id = await posting.post(
        ctx, _in_base(payment_mapping.map_payment(charge, mctx), mctx, charge)
    )
    await posting.write_back(
        ctx,
        KIND,
        object_id=charge_id,
        metadata=charge.get("metadata") or {},
        internal_id=internal_id,
    )


async def find_payment(ctx: FlowContext, charge: dict[str, Any]) -> str:
    """The NetSuite customer payment another integration made for *charge*.

    Not found is parked (and retried on schedule): the other integration may post it
    later, and the payout's deposit is corrected once it is found.
    """
    options = ctx.account.options
    value = options.payment_match_value.format(
        charge=charge["id"], payment_intent=id_of(charge.get("payment_intent")) or ""
    )
    field = options.payment_match_field
    if field == "externalId":
        record = await ctx.netsuite.get_by_external_id("customerPayment", value)
        found = str(record["id"]) if record else None
    else:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", field):
            raise exceptions.ConfigError(
                f"{field!r} is not a NetSuite field name", key="options.payment_match_field"
            )
        quoted = value.replace("'", "''")
        query = f"SELECT id FROM transaction WHERE type = 'CustPymt' AND {field} = '{quoted}'"
        rows = [row async for row in ctx.netsuite.suiteql(query)]
        found = str(rows[0]["id"]) if len(rows) == 1 else None
        if len(rows) > 1:
            raise exceptions.NeedsAttention(
                f"{len(rows)} NetSuite customer payments have {field} = {value!r}",
                stripe_id=charge["id"],
            )
    if found is None:
        raise exceptions.NeedsAttention(
            f"no NetSuite customer payment has {field} = {value!r} (payment_mode = find)",
            stripe_id=charge["id"],
        )
    return found


def _in_base(
    record: NetSuiteRecord, mctx: MappingContext, charge: dict[str, Any]
) -> NetSuiteRecord:
    """The record converted at Stripe's rate on a single-currency account (`conversion`)."""
    return conversion.for_account(
        record,
        mctx,
        balance_transaction=charge.get("balance_transaction"),
        currency=str(charge.get("currency", "")),
    )
