"""NetSuite invoice → Stripe invoice: issued, finalized, kept in step, voided or paid out of band.

An invoice chosen by the rule (``from_netsuite.invoice_rule_field``) becomes one Stripe
invoice carrying ``netsuite_invoice_id``; the Stripe id and the hosted invoice URL are
written to its custom fields. Later changes:

- voided in NetSuite → the Stripe invoice is voided;
- paid in NetSuite (a payment applied there while the Stripe invoice is still open) →
  the Stripe invoice is marked ``paid_out_of_band``; a payment made in Stripe reaches
  NetSuite as a customer payment applied to this invoice (the charge flow), never as a
  second invoice, since the Stripe invoice is linked to this record;
- lines changed while the Stripe invoice is open and unpaid → it is voided and a new
  one issued (a finalized Stripe invoice cannot be edited).
"""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, datetime
from typing import Any

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.flows import netsuite_customer, netsuite_payment_link
from stripe_netsuite.flows import netsuite_writes as writes
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import fetch
from stripe_netsuite.flows.references import currency_ids
from stripe_netsuite.mapping import netsuite_invoice as mapping
from stripe_netsuite.mapping.transaction import id_of
from stripe_netsuite.store import links, origins
from stripe_netsuite.stripe_api.client import call

KIND = kinds.get("netsuite_invoice")


async def sync(ctx: FlowContext, internal_id: str) -> None:
    """Bring the Stripe invoice of one NetSuite invoice in line with it."""
    record = await ctx.netsuite.get("invoice", internal_id, expand=True)
    if record is None:
        raise exceptions.Skip("deleted_in_netsuite", object_id=internal_id)
    mirror = await asyncio.to_thread(
        origins.get, ctx.database, account=ctx.name, record_type="invoice", internal_id=internal_id
    )
    state = mapping.status(record)
    if mirror is None:
        await _first_sync(ctx, record, state)
        return
    invoice = await fetch(ctx, "invoices", mirror.stripe_id)
    if state == "void":
        await _void(ctx, invoice)
    elif state == "paid":
        await _paid_out_of_band(ctx, invoice, internal_id)
    else:
        plan = await plan_for(ctx, record)
        digest = await ctx.body_hash(plan_body(plan))
        if invoice.get("status") == "draft":
            # An earlier run stopped before finalizing: the same keys resume it; lines
            # changed since then start over on a fresh draft.
            if digest != mirror.state_hash and ctx.preview is None:
                await call(
                    lambda: ctx.stripe.v1.invoices.delete_async(invoice["id"]),
                    object_id=str(invoice["id"]),
                )
            await _issue(ctx, record, plan, digest)
        elif digest != mirror.state_hash:
            await _reissue(ctx, record, plan, digest, invoice)
        else:
            # Unchanged; a write-back an earlier run could not finish is made now.
            await _write_back(ctx, record, invoice)


async def _first_sync(ctx: FlowContext, record: dict[str, Any], state: str) -> None:
    internal_id = str(record["id"])
    rules = ctx.account.from_netsuite
    if record.get(rules.invoice_rule_field) is not True:
        raise exceptions.Skip("not_chosen_for_stripe", object_id=internal_id)
    found = await asyncio.to_thread(
        links.to_record, ctx.database, account=ctx.name, record_type="invoice",
        internal_id=internal_id,
    )  # fmt: skip
    if writes.made_from_stripe(found) is not None:
        # Posted here from a Stripe invoice: Stripe is where it comes from (loop prevention).
        raise exceptions.Skip("made_from_stripe", object_id=internal_id)
    if state == "void":
        raise exceptions.Skip("voided_before_sync", object_id=internal_id)
    plan = await plan_for(ctx, record)
    digest = await ctx.body_hash(plan_body(plan))
    invoice = await _issue(ctx, record, plan, digest)
    if state == "paid" and invoice is not None:
        await _paid_out_of_band(ctx, invoice, internal_id)


async def plan_for(ctx: FlowContext, record: dict[str, Any]) -> mapping.InvoicePlan:
    """The Stripe invoice the NetSuite invoice maps to (customer not yet resolved)."""
    by_id = {v: k for k, v in (await currency_ids(ctx)).items()}
    currency = by_id.get(str(id_of(record.get("currency")) or ""))
    if currency is None:
        raise exceptions.MappingError(
            f"NetSuite invoice {record.get('id')}: its currency is none the account knows"
        )
    today = datetime.now(UTC).date()
    return mapping.map_invoice(
        record, currency=currency, rules=ctx.account.from_netsuite, today=today
    )


def plan_body(plan: mapping.InvoicePlan) -> dict[str, Any]:
    """What a change is judged on: the lines, currency and total (not a due date moving)."""
    return {"currency": plan.currency, "items": plan.items, "total": plan.total}


async def _issue(
    ctx: FlowContext, record: dict[str, Any], plan: mapping.InvoicePlan, digest: str
) -> dict[str, Any] | None:
    internal_id = plan.netsuite_id
    entity = id_of(record.get("entity"))
    if not entity:
        raise exceptions.MappingError(f"NetSuite invoice {internal_id} names no customer")
    customer = await netsuite_customer.ensure(ctx, entity)
    if ctx.preview is not None:
        return None
    version = digest[:12]
    invoices = ctx.stripe.v1.invoices
    params: Any = {**plan.invoice, "customer": customer}
    draft = await writes.stripe_create(
        ctx, lambda o: invoices.create_async(params=params, options=o),
        writes.idempotency_key(ctx, "invoice", internal_id, version),
        about=f"netsuite invoice {internal_id}",
    )  # fmt: skip
    stripe_id = str(draft["id"])
    # Linked before anything else happens to it, so its events find their NetSuite record.
    await writes.remember(
        ctx, record_type="invoice", internal_id=internal_id, stripe_id=stripe_id,
        role=KIND.role, state_hash=digest,
    )  # fmt: skip
    items = ctx.stripe.v1.invoice_items
    for number, item in enumerate(plan.items):
        line: Any = {**item, "customer": customer, "invoice": stripe_id, "currency": plan.currency}
        await writes.stripe_create(
            ctx,
            functools.partial(_create_item, items, line),
            writes.idempotency_key(ctx, "invoice", internal_id, version, "line", str(number)),
            about=stripe_id,
        )
    final = await writes.stripe_create(
        ctx,
        lambda o: invoices.finalize_invoice_async(
            stripe_id, params={"auto_advance": False}, options=o
        ),
        writes.idempotency_key(ctx, "invoice", internal_id, version, "finalize"),
        about=stripe_id,
    )
    if int(final.get("total") or 0) != plan.total:
        raise exceptions.NeedsAttention(
            f"Stripe invoice {stripe_id} totals {final.get('total')}, NetSuite invoice "
            f"{internal_id} {plan.total} (minor units)",
            stripe_id=stripe_id,
        )
    await _write_back(ctx, record, final)
    return final


async def _create_item(service: Any, params: Any, options: Any) -> Any:
    return await service.create_async(params=params, options=options)


async def _write_back(ctx: FlowContext, record: dict[str, Any], invoice: dict[str, Any]) -> None:
    rules = ctx.account.from_netsuite
    fields: dict[str, Any] = {}
    if rules.invoice_stripe_id_field:
        fields[rules.invoice_stripe_id_field] = invoice["id"]
    if rules.hosted_url_field and invoice.get("hosted_invoice_url"):
        fields[rules.hosted_url_field] = invoice["hosted_invoice_url"]
    fields.update(await netsuite_payment_link.fields_for(ctx, record, invoice))
    fields = {k: v for k, v in fields.items() if record.get(k) != v}
    await writes.write_fields(ctx, "invoice", str(record["id"]), fields)


async def _void(ctx: FlowContext, invoice: dict[str, Any]) -> None:
    if invoice.get("status") not in ("open", "uncollectible") or ctx.preview is not None:
        return
    await writes.stripe_create(
        ctx,
        lambda o: ctx.stripe.v1.invoices.void_invoice_async(invoice["id"], options=o),
        writes.idempotency_key(ctx, "void", str(invoice["id"])),
        about=str(invoice["id"]),
    )


async def _paid_out_of_band(ctx: FlowContext, invoice: dict[str, Any], internal_id: str) -> None:
    # Open in Stripe while paid in NetSuite: no Stripe payment can have paid it (those
    # reach NetSuite only once Stripe marks the invoice paid), so NetSuite took the money.
    if invoice.get("status") != "open" or ctx.preview is not None:
        return
    await writes.stripe_create(
        ctx,
        lambda o: ctx.stripe.v1.invoices.pay_async(
            invoice["id"],
            params={"paid_out_of_band": True},
            options=o,
        ),
        writes.idempotency_key(ctx, "oob", str(invoice["id"])),
        about=str(invoice["id"]),
    )


async def _reissue(
    ctx: FlowContext,
    record: dict[str, Any],
    plan: mapping.InvoicePlan,
    digest: str,
    invoice: dict[str, Any],
) -> None:
    if invoice.get("status") != "open" or int(invoice.get("amount_paid") or 0) != 0:
        raise exceptions.NeedsAttention(
            f"NetSuite invoice {plan.netsuite_id} changed after its Stripe invoice "
            f"{invoice['id']} was {invoice.get('status')}; it is not issued again",
            stripe_id=str(invoice["id"]),
        )
    await _void(ctx, invoice)
    await _issue(ctx, record, plan, digest)
