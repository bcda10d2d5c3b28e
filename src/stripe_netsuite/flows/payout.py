"""Stripe payout → one NetSuite bank deposit that ties out to the payout amount.

Every payment, refund and dispute behind the payout is ensured in NetSuite first. One
that cannot be posted does not block the deposit: its balance transaction goes to the
suspense account with an alert, and the deposit is corrected (same externalId) as
soon as that object syncs.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions, kinds, money
from stripe_netsuite.flows import posting, registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch_gated
from stripe_netsuite.flows.references import currency_ids
from stripe_netsuite.mapping import payout as payout_mapping
from stripe_netsuite.mapping.transaction import expanded
from stripe_netsuite.store import links
from stripe_netsuite.stripe_api.client import as_dict, call

log = logging.getLogger(__name__)

KIND = kinds.get("payout")
#: Link role marking a Stripe object whose sync a deposit waits for.
AWAITED = "awaited_by_deposit"
#: Payout statuses with money that has moved (or moved back).
SETTLED = frozenset({"paid", "failed", "canceled"})


async def sync(ctx: FlowContext, payout_id: str) -> None:
    """Post (or correct) the payout's deposit."""
    payout = await fetch_gated(ctx, KIND.resource, payout_id)
    if payout.get("status") not in SETTLED:
        raise exceptions.Skip("payout_not_paid_yet", object_id=payout_id)
    if await posting.linked_instead(
        ctx,
        stripe_id=payout_id,
        role=KIND.role,
        record_type="deposit",
        internal_id=payout_mapping.linked_deposit_id(payout),
    ):
        return
    transactions = await balance_transactions(ctx, payout)
    dctx = await deposit_context(ctx, payout_id, transactions)
    result = payout_mapping.map_deposit(payout, transactions, dctx)
    posted = [await posting.post(ctx, record) for record in result.records]
    for alert in result.alerts:
        log.warning(
            "deposit alert payout=%s balance_transaction=%s reason=%s",
            payout_id,
            alert.balance_transaction_id,
            alert.reason,
        )
    if posted:
        await posting.write_back(
            ctx,
            KIND,
            object_id=payout_id,
            metadata=payout.get("metadata") or {},
            internal_id=posted[0],
        )


async def balance_transactions(ctx: FlowContext, payout: dict[str, Any]) -> list[dict[str, Any]]:
    """What the payout paid out: Stripe's ``?payout=`` listing, or, for a manual payout
    (which has none), the window of balance transactions since the previous payout."""
    params: dict[str, Any] = {"limit": 100, "expand": ["data.source"]}
    if payout.get("automatic", True):
        params["payout"] = payout["id"]
    else:
        params["created"] = {"lte": payout["created"]}
        previous = await _previous_payout(ctx, payout)
        if previous is not None:
            params["created"]["gt"] = previous
    page = await call(
        lambda: ctx.stripe.v1.balance_transactions.list_async(params=params),  # type: ignore[arg-type]
        object_id=payout["id"],
    )
    found = [as_dict(bt) async for bt in page.auto_paging_iter()]
    if not payout.get("automatic", True):
        found = [bt for bt in found if bt.get("type") not in ("payout", "payout_cancel")]
    return found


async def _previous_payout(ctx: FlowContext, payout: dict[str, Any]) -> int | None:
    page = await call(
        lambda: ctx.stripe.v1.payouts.list_async(
            params={"created": {"lt": payout["created"]}, "limit": 1}
        ),
        object_id=payout["id"],
    )
    for previous in page.data:
        return int(previous["created"])
    return None


async def deposit_context(
    ctx: FlowContext, payout_id: str, transactions: list[dict[str, Any]]
) -> payout_mapping.DepositContext:
    """Ensure each payment, refund and dispute; collect their NetSuite ids.

    A dependency that fails is left out (its line goes to suspense) and remembered, so
    that its later success re-queues this payout.
    """
    ids: dict[str, dict[str, str]] = {
        name: {}
        for name in (
            "payment_ids",
            "refund_ids",
            "dispute_ids",
            "reversal_payment_ids",
            "reversal_cash_sale_ids",
            "dispute_fee_ids",
            "dispute_fee_reversal_ids",
        )
    }
    amounts: dict[str, Decimal] = {}
    for dep in payout_mapping.dependencies(transactions):
        try:
            await registry.ensure(ctx, dep.kind, dep.stripe_id)
        except (exceptions.NeedsAttention, exceptions.Skip) as exc:
            log.warning("deposit waits for kind=%s id=%s error=%s", dep.kind, dep.stripe_id, exc)
            await _await(ctx, dep.stripe_id, payout_id)
            continue
        await _collect(ctx, dep.kind, dep.stripe_id, ids)
    for bt in transactions:
        source = expanded(bt.get("source"))
        if source and source.get("object") == "charge" and source.get("id") in ids["payment_ids"]:
            captured = source.get("amount_captured", source.get("amount"))
            if isinstance(captured, int):
                amounts[source["id"]] = money.to_decimal(captured, str(source["currency"]))
    return payout_mapping.DepositContext(
        account=ctx.account, currency_ids=await currency_ids(ctx), payment_amounts=amounts, **ids
    )


#: Which link of a synced object fills which id map of the deposit context.
_ROLES: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "charge": (("payment", "payment_ids", None),),
    "refund": (("refund", "refund_ids", None),),
    "dispute": (
        ("refund", "dispute_ids", None),
        ("dispute_reversal", "reversal_payment_ids", "customerPayment"),
        ("dispute_reversal", "reversal_cash_sale_ids", "cashSale"),
        ("dispute_fee", "dispute_fee_ids", None),
        ("dispute_fee_reversal", "dispute_fee_reversal_ids", None),
    ),
}


async def _collect(
    ctx: FlowContext, kind: str, stripe_id: str, ids: dict[str, dict[str, str]]
) -> None:
    for role, target, record_type in _ROLES.get(kind, ()):
        link = await asyncio.to_thread(
            links.get, ctx.database, account=ctx.name, stripe_id=stripe_id, role=role
        )
        if link is not None and (record_type is None or link.record_type == record_type):
            ids[target][stripe_id] = link.internal_id


async def _await(ctx: FlowContext, stripe_id: str, payout_id: str) -> None:
    if ctx.preview is not None:
        return
    await asyncio.to_thread(
        links.put,
        ctx.database,
        account=ctx.name,
        stripe_id=stripe_id,
        role=AWAITED,
        # Not a NetSuite record: the Stripe payout whose deposit waits.
        record_type="stripe_payout",
        internal_id=payout_id,
        external_id=payout_id,
        body_hash="",
    )


async def release(ctx: FlowContext, kind: str, stripe_id: str) -> list[tuple[str, str]]:
    """After-sync hook: once *stripe_id* synced, the payout whose deposit waited for it.

    That deposit posted with the object in suspense; queued again, it is corrected.
    """
    link = await asyncio.to_thread(
        links.get, ctx.database, account=ctx.name, stripe_id=stripe_id, role=AWAITED
    )
    if link is None:
        return []
    await asyncio.to_thread(
        links.delete, ctx.database, account=ctx.name, stripe_id=stripe_id, role=AWAITED
    )
    return [(KIND.name, link.internal_id)]
