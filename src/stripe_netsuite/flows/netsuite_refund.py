"""NetSuite credit memo marked for refund → Stripe refund of the charge that paid its invoice.

The credit memo names its invoice (``createdFrom``: made from it in NetSuite); the Stripe
invoice linked to that invoice (either direction) names the payment to refund. The refund
carries ``netsuite_credit_memo_id``, so the Stripe → NetSuite refund flow posts only the
customer refund, applied to this credit memo: the customer refund links the Stripe refund
(its externalId), and the money leaves through the payout's deposit like any refund.
"""

from __future__ import annotations

import asyncio
import functools
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions, kinds, money
from stripe_netsuite.flows import netsuite_writes as writes
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.references import currency_ids
from stripe_netsuite.mapping.netsuite_invoice import ORIGIN_KEY
from stripe_netsuite.mapping.transaction import id_of
from stripe_netsuite.store import links, origins
from stripe_netsuite.stripe_api.client import as_dict, call

KIND = kinds.get("netsuite_credit_memo")


async def sync(ctx: FlowContext, internal_id: str) -> None:
    """Refund in Stripe what the credit memo credits, once."""
    known = await asyncio.to_thread(
        origins.get, ctx.database, account=ctx.name, record_type="creditMemo",
        internal_id=internal_id,
    )  # fmt: skip
    if known is not None:
        return
    memo = await ctx.netsuite.get("creditMemo", internal_id)
    if memo is None:
        raise exceptions.Skip("deleted_in_netsuite", object_id=internal_id)
    rules = ctx.account.from_netsuite
    if memo.get(rules.refund_rule_field) is not True:
        raise exceptions.Skip("not_marked_for_refund", object_id=internal_id)
    invoice_id = id_of(memo.get("createdFrom"))
    if not invoice_id:
        raise exceptions.NeedsAttention(
            f"NetSuite credit memo {internal_id} was not made from an invoice; "
            "there is no Stripe payment to refund"
        )
    intent = await _payment_of(ctx, invoice_id, internal_id)
    by_id = {v: k for k, v in (await currency_ids(ctx)).items()}
    currency = by_id.get(str(id_of(memo.get("currency")) or ""))
    if currency is None:
        raise exceptions.MappingError(f"NetSuite credit memo {internal_id}: unknown currency")
    amount = money.to_minor(Decimal(str(memo.get("total") or 0)), currency)
    if amount <= 0 or ctx.preview is not None:
        return
    params: Any = {
        "payment_intent": intent,
        "amount": amount,
        "metadata": {"netsuite_credit_memo_id": internal_id, ORIGIN_KEY: "netsuite"},
    }
    refund = await writes.stripe_create(
        ctx, lambda o: ctx.stripe.v1.refunds.create_async(params=params, options=o),
        writes.idempotency_key(ctx, "refund", internal_id),
        about=f"netsuite credit memo {internal_id}",
    )  # fmt: skip
    await asyncio.to_thread(
        origins.put, ctx.database, account=ctx.name, record_type="creditMemo",
        internal_id=internal_id, stripe_id=str(refund["id"]),
    )  # fmt: skip
    if rules.refund_id_field:
        await writes.write_fields(
            ctx, "creditMemo", internal_id, {rules.refund_id_field: refund["id"]}
        )


async def _payment_of(ctx: FlowContext, invoice_id: str, memo_id: str) -> str:
    linked = await asyncio.to_thread(
        links.to_record, ctx.database, account=ctx.name, record_type="invoice",
        internal_id=invoice_id,
    )  # fmt: skip
    stripe_invoices = [link.stripe_id for link in linked if link.stripe_id.startswith("in_")]
    for stripe_invoice in reversed(stripe_invoices):
        query: Any = {"invoice": stripe_invoice, "status": "paid", "limit": 10}
        page = await call(
            functools.partial(ctx.stripe.v1.invoice_payments.list_async, params=query),
            object_id=stripe_invoice,
        )
        for payment in page.data:
            intent = id_of((as_dict(payment).get("payment") or {}).get("payment_intent"))
            if intent:
                return intent
    raise exceptions.NeedsAttention(
        f"NetSuite credit memo {memo_id}: its invoice {invoice_id} was paid by no Stripe payment"
    )
