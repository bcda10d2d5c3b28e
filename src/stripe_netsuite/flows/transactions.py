"""What the money flows share: resolving the customer, invoice and payment behind a charge."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from stripe_netsuite.flows import registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.references import currency_ids
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.transaction import id_of
from stripe_netsuite.store import links
from stripe_netsuite.stripe_api.client import list_page


async def invoice_of_charge(ctx: FlowContext, charge: Mapping[str, Any]) -> str | None:
    """The Stripe invoice a charge paid, if any.

    Current API versions no longer carry ``invoice`` on the charge: the link is an
    invoice payment naming the charge's payment intent.
    """
    found = id_of(charge.get("invoice"))
    if found:
        return found
    intent = id_of(charge.get("payment_intent"))
    if not intent:
        return None
    # An invoice once paid by a payment intent stays so: found, it is kept in the
    # process for the charge's refunds, disputes and deposit. Not found is asked again,
    # as an invoice may still take the payment intent.
    known: dict[str, str] = ctx.cache.setdefault("invoice_of_intent", {})
    if intent in known:
        return known[intent]
    params: dict[str, Any] = {
        "payment": {"type": "payment_intent", "payment_intent": intent},
        "limit": 1,
    }
    page = await list_page(
        ctx.stripe, "/v1/invoice_payments", params, object_id=str(charge.get("id"))
    )
    for payment in page:
        found = id_of(payment.get("invoice"))
        if found:
            if len(known) >= _KEPT:
                known.clear()  # a bound on memory; what is dropped is only asked again
            known[intent] = found
        return found
    return None


#: How many payment intents' invoices the process keeps.
_KEPT = 50_000


async def mapping_context(
    ctx: FlowContext,
    *,
    customer: str | None,
    currency: str | None,
    invoice: str | None = None,
    **ids: Any,
) -> MappingContext:
    """A mapping context with the customer (able to use *currency*) and the invoice
    ensured in NetSuite first."""
    currencies = await currency_ids(ctx)
    customer_id = await registry.ensure(ctx, "customer", customer) if customer else None
    if customer and customer_id and currency:
        await ensure_customer_currency(ctx, customer, customer_id, currencies, currency)
    invoice_id = await registry.ensure(ctx, "invoice", invoice) if invoice else None
    return MappingContext(
        account=ctx.account,
        customer_id=customer_id,
        invoice_id=invoice_id,
        currency_ids=currencies,
        customer_balance_item_id=ctx.account.items.customer_balance_item,
        **ids,
    )


async def ensure_customer_currency(
    ctx: FlowContext,
    customer: str,
    customer_id: str,
    currencies: Mapping[str, str],
    currency: str,
) -> None:
    """Add *currency* to the NetSuite customer's currency list, once.

    NetSuite refuses a transaction in a currency its customer does not list; a Stripe
    customer may pay in a currency it had not used when it was created.
    """
    currency = currency.lower()
    if not ctx.account.options.multi_currency or currency not in currencies:
        return
    role = f"currency:{currency}"
    # Known currency links are never removed: once seen, the process keeps the fact
    # rather than reading the link on every payment of the customer.
    seen: set[tuple[str, str]] = ctx.cache.setdefault("customer_currencies", set())
    if (customer, currency) in seen:
        return
    known = await links.read(ctx.database, account=ctx.name, stripe_id=customer, role=role)
    if known is not None:
        _remember(seen, customer, currency)
        return
    if ctx.preview is not None:
        return
    body = {"currencyList": {"items": [{"currency": {"id": currencies[currency]}}]}}
    # Adds a line to the keyed currency list: the customer's other currencies stay.
    await ctx.netsuite.patch("customer", customer_id, body, replace=())
    digest = await ctx.body_hash(body)
    await asyncio.to_thread(
        links.put,
        ctx.database,
        account=ctx.name,
        stripe_id=customer,
        role=role,
        record_type="customer",
        internal_id=customer_id,
        external_id="",
        body_hash=digest,
    )
    _remember(seen, customer, currency)


def _remember(seen: set[tuple[str, str]], customer: str, currency: str) -> None:
    if len(seen) >= _KEPT:
        seen.clear()  # a bound on memory; what is dropped is only read again
    seen.add((customer, currency))
