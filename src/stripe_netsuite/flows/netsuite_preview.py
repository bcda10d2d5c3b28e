"""``stripe-netsuite preview --netsuite invoice:1042``: what a NetSuite record would do in Stripe.

Reads the record and the Stripe object already made from it (if any) and says what the
NetSuite → Stripe flow would do, with the Stripe invoice it would issue; nothing is
written anywhere.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.flows import netsuite_invoice, netsuite_writes
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch
from stripe_netsuite.mapping import netsuite_customer as customer_mapping
from stripe_netsuite.mapping import netsuite_invoice as invoice_mapping
from stripe_netsuite.store import links, origins


@dataclass(frozen=True)
class StripePreview:
    """What syncing one NetSuite record would do in Stripe."""

    record_type: str
    internal_id: str
    #: What would happen, in words (``create``, ``void in_…``, ``nothing``, ``skip: …``).
    action: str
    #: The Stripe object already made from it, if any.
    stripe_id: str | None = None
    #: The parameters of what would be created.
    params: dict[str, Any] = field(default_factory=dict)
    items: tuple[dict[str, Any], ...] = ()


async def preview(ctx: FlowContext, reference: str) -> StripePreview:
    """Preview ``invoice:<id>`` or ``customer:<id>``."""
    record_type, _, internal_id = reference.partition(":")
    if record_type not in ("invoice", "customer") or not internal_id.isdigit():
        raise exceptions.MappingError(
            f"{reference!r}: give invoice:<internal id> or customer:<internal id>"
        )
    mirror = await asyncio.to_thread(
        origins.get, ctx.database, account=ctx.name, record_type=record_type,
        internal_id=internal_id,
    )  # fmt: skip
    record = await ctx.netsuite.get(record_type, internal_id, expand=True)
    if record is None:
        return StripePreview(record_type, internal_id, "skip: deleted_in_netsuite")
    stripe_id = mirror.stripe_id if mirror else None
    if record_type == "customer":
        params = customer_mapping.map_customer(record)
        return StripePreview(
            record_type, internal_id, "update" if mirror else "create", stripe_id, params
        )
    return await _invoice(ctx, record, stripe_id, mirror.state_hash if mirror else None)


async def _invoice(
    ctx: FlowContext, record: dict[str, Any], stripe_id: str | None, last_hash: str | None
) -> StripePreview:
    internal_id = str(record["id"])
    state = invoice_mapping.status(record)
    if stripe_id is None:
        if record.get(ctx.account.from_netsuite.invoice_rule_field) is not True:
            return StripePreview("invoice", internal_id, "skip: not_chosen_for_stripe")
        found = await asyncio.to_thread(
            links.to_record, ctx.database, account=ctx.name, record_type="invoice",
            internal_id=internal_id,
        )  # fmt: skip
        if netsuite_writes.made_from_stripe(found) is not None:
            return StripePreview("invoice", internal_id, "skip: made_from_stripe")
        if state == "void":
            return StripePreview("invoice", internal_id, "skip: voided_before_sync")
    plan = await netsuite_invoice.plan_for(ctx, record)
    action = "create" + (" (then paid out of band)" if state == "paid" else "")
    if stripe_id is not None:
        invoice = await fetch(ctx, "invoices", stripe_id)
        status = invoice.get("status")
        digest = await ctx.body_hash(netsuite_invoice.plan_body(plan))
        if state == "void":
            action = f"void {stripe_id}" if status in ("open", "uncollectible") else "nothing"
        elif state == "paid":
            action = f"mark {stripe_id} paid out of band" if status == "open" else "nothing"
        elif digest != last_hash:
            action = f"void {stripe_id} and issue a new invoice"
        else:
            action = "nothing"
    return StripePreview("invoice", internal_id, action, stripe_id, plan.invoice, tuple(plan.items))


def render(found: StripePreview) -> str:
    """The preview as text: the action, then the invoice and its items."""
    out = [f"netsuite {found.record_type} {found.internal_id}: {found.action}"]
    if found.stripe_id:
        out.append(f"  made in Stripe as {found.stripe_id}")
    for key, value in sorted(found.params.items()):
        out.append(f"  {key} = {value}")
    for number, item in enumerate(found.items, start=1):
        out.append(f"  item {number}: {item['amount']} {item.get('description') or ''}")
    return "\n".join(out)
