"""NetSuite customer → Stripe customer: created or updated, linked both ways, portal URL.

The Stripe customer carries ``netsuite_customer_id``; the NetSuite customer gets the
Stripe id and a customer portal URL in its custom fields (``[accounts.x.from_netsuite]``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.flows import netsuite_writes as writes
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch
from stripe_netsuite.mapping import netsuite_customer as mapping
from stripe_netsuite.store import links, origins

KIND = kinds.get("netsuite_customer")


async def sync(ctx: FlowContext, internal_id: str) -> None:
    """Create or update the Stripe customer of a NetSuite customer."""
    await ensure(ctx, internal_id, refresh=True)


async def ensure(ctx: FlowContext, internal_id: str, *, refresh: bool = False) -> str:
    """The Stripe customer id of a NetSuite customer, made in Stripe when it has none.

    With *refresh* (the customer's own job) an existing one is brought up to date.
    """
    mirror = await asyncio.to_thread(
        origins.get, ctx.database, account=ctx.name, record_type="customer", internal_id=internal_id
    )
    if mirror is not None and not refresh:
        return mirror.stripe_id
    found = await asyncio.to_thread(
        links.to_record, ctx.database, account=ctx.name, record_type="customer",
        internal_id=internal_id,
    )  # fmt: skip
    made = writes.made_from_stripe(found)
    if mirror is None and made is not None:
        # Made in NetSuite by the engine from this Stripe customer: that is its Stripe twin.
        if refresh and ctx.account.from_netsuite.customer_system_of_record == "netsuite":
            # Nothing is written back to it: no mirror keeps that write's stamp, so the
            # poll would read it as a user's edit, and round it would go.
            await _update(ctx, internal_id, made.stripe_id, write_back=False)
        return made.stripe_id
    if mirror is not None:
        await _update(ctx, internal_id, mirror.stripe_id)
        return mirror.stripe_id
    record = await _record(ctx, internal_id)
    params: Any = mapping.map_customer(record)
    key = writes.idempotency_key(ctx, "customer", internal_id)
    if ctx.preview is not None:
        return f"new:customer:{internal_id}"
    customer = await writes.stripe_create(
        ctx, lambda o: ctx.stripe.v1.customers.create_async(params=params, options=o), key,
        about=f"netsuite customer {internal_id}",
    )  # fmt: skip
    stripe_id = str(customer["id"])
    await writes.remember(
        ctx, record_type="customer", internal_id=internal_id, stripe_id=stripe_id, role="customer"
    )
    await _write_back(ctx, record, stripe_id)
    return stripe_id


async def _record(ctx: FlowContext, internal_id: str) -> dict[str, Any]:
    record = await ctx.netsuite.get("customer", internal_id)
    if record is None:
        raise exceptions.Skip("deleted_in_netsuite", object_id=internal_id)
    return record


async def _update(
    ctx: FlowContext, internal_id: str, stripe_id: str, *, write_back: bool = True
) -> None:
    record = await _record(ctx, internal_id)
    current = await fetch(ctx, "customers", stripe_id)
    changed: Any = mapping.update_params(record, current)
    if changed and ctx.preview is None:
        key = writes.idempotency_key(ctx, "customer", internal_id, "update",
                                     str(record.get("lastModifiedDate") or ""))  # fmt: skip
        await writes.stripe_create(
            ctx,
            lambda o: ctx.stripe.v1.customers.update_async(stripe_id, params=changed, options=o),
            key,
            about=stripe_id,
        )
    if write_back:
        await _write_back(ctx, record, stripe_id)


async def _write_back(ctx: FlowContext, record: dict[str, Any], stripe_id: str) -> None:
    rules = ctx.account.from_netsuite
    fields: dict[str, Any] = {}
    if rules.customer_stripe_id_field and record.get(rules.customer_stripe_id_field) != stripe_id:
        fields[rules.customer_stripe_id_field] = stripe_id
    if rules.portal_url_field:
        url = rules.portal_login_url or await _portal_session(ctx, stripe_id)
        if record.get(rules.portal_url_field) != url:
            fields[rules.portal_url_field] = url
    await writes.write_fields(ctx, "customer", str(record["id"]), fields)


async def _portal_session(ctx: FlowContext, stripe_id: str) -> str:
    # A portal session URL is short-lived: a new one is made at each sync of the customer
    # (docs/mapping.md says how to keep a stable login link instead).
    params: Any = {"customer": stripe_id}
    if ctx.account.from_netsuite.portal_return_url:
        params["return_url"] = ctx.account.from_netsuite.portal_return_url
    session = await writes.stripe_create(
        ctx,
        lambda o: ctx.stripe.v1.billing_portal.sessions.create_async(params=params, options=o),
        writes.idempotency_key(ctx, "portal", stripe_id, _now_bucket()),
        about=stripe_id,
    )
    return str(session["url"])


def _now_bucket() -> str:
    import time

    # One session per customer per minute at most, even when a job is retried.
    return str(int(time.time()) // 60)
