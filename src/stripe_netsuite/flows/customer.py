"""Stripe customer → NetSuite customer, and the NetSuite id written back to Stripe."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from stripe_netsuite import kinds
from stripe_netsuite.flows import customer_balance, posting
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch_gated
from stripe_netsuite.flows.references import base_currency, currency_ids
from stripe_netsuite.mapping import customer as customer_mapping
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.metadata import linked_id
from stripe_netsuite.store import links

KIND = kinds.get("customer")


async def sync(ctx: FlowContext, customer_id: str) -> None:
    """Fetch the customer fresh, then link, create or update its NetSuite customer."""
    customer = await fetch_gated(ctx, KIND.resource, customer_id)
    named = linked_id(customer, KIND.role)
    if await posting.linked_instead(
        ctx, stripe_id=customer_id, role=KIND.role, record_type="customer", internal_id=named
    ):
        # A NetSuite customer named in metadata is used as it is: nothing is created.
        if named:
            await customer_balance.post_adjustments(ctx, customer_id, named)
        return
    mctx = MappingContext(account=ctx.account, currency_ids=await currency_ids(ctx))
    record = customer_mapping.map_customer(customer, mctx)
    internal_id = await posting.post(
        ctx,
        record,
        update=ctx.account.options.customer_updates,
        update_body=customer_mapping.customer_update_body(customer, mctx),
    )
    await _primary_currency(ctx, customer_id, internal_id, record.body, mctx.currency_ids)
    await customer_balance.post_adjustments(ctx, customer_id, internal_id)
    await posting.write_back(
        ctx,
        KIND,
        object_id=customer_id,
        metadata=customer.get("metadata") or {},
        internal_id=internal_id,
    )


async def _primary_currency(
    ctx: FlowContext,
    customer_id: str,
    internal_id: str,
    body: Mapping[str, Any],
    currencies: Mapping[str, str],
) -> None:
    # NetSuite lists a customer's primary currency by itself: transactions in it need no
    # currency-list update (flows.transactions.ensure_customer_currency).
    by_id = {v: k for k, v in currencies.items()}
    named = body.get("currency")
    primary = by_id.get(str(named.get("id"))) if isinstance(named, Mapping) else None
    primary = primary or await base_currency(ctx)
    if primary is None or ctx.preview is not None:
        return
    await asyncio.to_thread(
        links.put,
        ctx.database,
        account=ctx.name,
        stripe_id=customer_id,
        role=f"currency:{primary}",
        record_type="customer",
        internal_id=internal_id,
        external_id="",
        body_hash="primary",
    )
