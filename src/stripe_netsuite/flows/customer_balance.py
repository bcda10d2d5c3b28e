"""A customer's hand adjustments of its Stripe balance → NetSuite journal entries.

Stripe says a balance changed with ``customer.updated``; the customer job then lists the
customer's balance transactions and posts each adjustment not linked yet (role
``balance_adjustment``), idempotently by its externalId ``acct:cbtxn_…``.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe

from stripe_netsuite import exceptions
from stripe_netsuite.flows import posting
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.references import currency_ids
from stripe_netsuite.flows.transactions import ensure_customer_currency
from stripe_netsuite.mapping import customer_balance
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.store import links
from stripe_netsuite.stripe_api.client import as_dict, call

log = logging.getLogger(__name__)


async def customer_credit_account(ctx: FlowContext) -> str | None:
    """The customer balance item's account: the customer-credit liability."""
    item = ctx.account.items.customer_balance_item
    if not item or not item.isdigit():
        return None
    query = f"SELECT incomeaccount AS account FROM item WHERE id = {item}"
    async for row in ctx.netsuite.suiteql(query):
        if row.get("account"):
            return str(row["account"])
    return None


async def balance_transactions(ctx: FlowContext, customer: str) -> list[dict[str, Any]]:
    """Every balance transaction of the Stripe customer, oldest first."""
    service = ctx.stripe.v1.customers.balance_transactions
    try:
        page = await call(
            lambda: service.list_async(customer, params={"limit": 100}), object_id=customer
        )
    except exceptions.StripeRejected as exc:
        cause = exc.__cause__
        if isinstance(cause, stripe.StripeError) and cause.http_status == 404:
            # The customer was fetched a moment ago, so a 404 here means the Stripe API
            # in front of us keeps no customer balance (an emulator): nothing to post.
            log.warning("no customer balance transactions to list customer=%s", customer)
            return []
        raise
    found = [as_dict(entry) async for entry in page.auto_paging_iter()]
    return sorted(found, key=lambda e: (int(e.get("created") or 0), str(e.get("id"))))


async def post_adjustments(ctx: FlowContext, customer: str, customer_id: str) -> list[str]:
    """Post the customer's balance adjustments not posted yet; their NetSuite ids."""
    pending = []
    for entry in await balance_transactions(ctx, customer):
        if not customer_balance.is_posted(entry):
            continue
        link = await links.read(
            ctx.database,
            account=ctx.name,
            stripe_id=str(entry["id"]),
            role=customer_balance.ROLE,
        )
        if link is None:
            pending.append(entry)
    if not pending:
        return []
    currencies = await currency_ids(ctx)
    mctx = MappingContext(
        account=ctx.account,
        customer_id=customer_id,
        currency_ids=currencies,
        customer_balance_item_id=ctx.account.items.customer_balance_item,
        customer_credit_account=await customer_credit_account(ctx),
    )
    posted = []
    for entry in pending:
        record = customer_balance.map_adjustment(entry, mctx)
        if record is None:
            continue
        currency = str(entry.get("currency") or "")
        await ensure_customer_currency(ctx, customer, customer_id, currencies, currency)
        posted.append(await posting.post(ctx, record))
    return posted
