"""``stripe-netsuite reconcile``: each Stripe payout beside the NetSuite deposit made for it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from stripe_netsuite import money
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.payout import SETTLED
from stripe_netsuite.mapping import payout_records, reconciliation
from stripe_netsuite.mapping.records import external_id_for
from stripe_netsuite.store import links
from stripe_netsuite.stripe_api.client import as_dict, call


async def payouts(
    ctx: FlowContext, *, payout_id: str | None = None, since: date | None = None
) -> list[dict[str, Any]]:
    """The payouts to check: one, or every settled payout created since a date."""
    if payout_id:
        payout = await call(lambda: ctx.stripe.v1.payouts.retrieve_async(payout_id))
        return [as_dict(payout)]
    params: dict[str, Any] = {"limit": 100}
    if since is not None:
        start = datetime(since.year, since.month, since.day, tzinfo=UTC)
        params["created"] = {"gte": int(start.timestamp())}
    page = await call(lambda: ctx.stripe.v1.payouts.list_async(params=params))  # type: ignore[arg-type]
    found = [as_dict(p) async for p in page.auto_paging_iter()]
    return sorted((p for p in found if p.get("status") in SETTLED), key=lambda p: p["created"])


async def report(ctx: FlowContext, payout: dict[str, Any]) -> reconciliation.PayoutReport:
    """Compare one payout with its deposit (or the deposits it was split into) as NetSuite
    has it now."""
    held = await asyncio.to_thread(
        links.of_object, ctx.database, account=ctx.name, stripe_id=payout["id"]
    )
    parts = sorted(
        (number, link)
        for link in held
        if (number := payout_records.part_number(link.role)) is not None
    )
    if len(parts) > 1:
        bodies = [
            (
                link.internal_id,
                await ctx.netsuite.get(link.record_type, link.internal_id, expand=True),
            )
            for _, link in parts
        ]
        return reconciliation.compare_parts(
            payout, bodies, suspense_account=ctx.account.gl.suspense
        )
    link = dict(parts).get(1)
    if link is not None and link.internal_id:
        body = await ctx.netsuite.get(link.record_type, link.internal_id, expand=True)
    else:
        eid = external_id_for(ctx.account.stripe_account_id, payout["id"])
        body = await ctx.netsuite.get_by_external_id("deposit", eid, expand=True)
    bank = ctx.account.gl.bank.get(str(payout.get("currency", "")).lower())
    result = reconciliation.compare(
        payout, body, suspense_account=ctx.account.gl.suspense, bank_account=bank
    )
    if body is not None and body.get("total") is not None and "line" not in body:
        # NetSuite's own total is the one the bank statement is matched against.
        places = Decimal(1).scaleb(-money.exponent(result.currency))
        total = Decimal(str(body["total"])).quantize(places)
        result = replace(result, netsuite_total=total, difference=result.stripe_amount - total)
    return result


async def reconcile(
    ctx: FlowContext, *, payout_id: str | None = None, since: date | None = None
) -> list[reconciliation.PayoutReport]:
    """A report per payout."""
    return [await report(ctx, p) for p in await payouts(ctx, payout_id=payout_id, since=since)]
