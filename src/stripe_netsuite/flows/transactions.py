"""What the money flows share: resolving the customer, invoice and payment behind a charge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stripe_netsuite.flows import registry
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.references import currency_ids
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.transaction import id_of
from stripe_netsuite.stripe_api.client import call


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
    params: dict[str, Any] = {
        "payment": {"type": "payment_intent", "payment_intent": intent},
        "limit": 1,
    }
    page = await call(
        lambda: ctx.stripe.v1.invoice_payments.list_async(params=params),  # type: ignore[arg-type]
        object_id=str(charge.get("id")),
    )
    for payment in page.data:
        return id_of(payment.get("invoice"))
    return None


async def mapping_context(
    ctx: FlowContext,
    *,
    customer: str | None,
    invoice: str | None = None,
    **ids: Any,
) -> MappingContext:
    """A mapping context with the customer and invoice ensured in NetSuite first."""
    customer_id = await registry.ensure(ctx, "customer", customer) if customer else None
    invoice_id = await registry.ensure(ctx, "invoice", invoice) if invoice else None
    return MappingContext(
        account=ctx.account,
        customer_id=customer_id,
        invoice_id=invoice_id,
        currency_ids=await currency_ids(ctx),
        customer_balance_item_id=ctx.account.items.customer_balance_item,
        **ids,
    )
