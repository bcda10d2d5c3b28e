"""NetSuite ids a mapping refers to that come from NetSuite itself, looked up once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.mapping import reversal
from stripe_netsuite.store import links


async def currency_ids(ctx: FlowContext) -> Mapping[str, str]:
    """NetSuite currency ids by lower-case ISO code: the config's, else read by SuiteQL."""
    if ctx.account.currencies:
        return ctx.account.currencies
    cached = ctx.cache.get("currency_ids")
    if cached is None:
        cached = {}
        async for row in ctx.netsuite.suiteql("SELECT id, symbol FROM currency"):
            symbol = str(row.get("symbol", "")).lower()
            if symbol:
                cached[symbol] = str(row["id"])
        ctx.cache["currency_ids"] = cached
    return dict(cached)


async def base_currency(ctx: FlowContext) -> str | None:
    """The ISO code of the account's subsidiary currency (what a customer gets when its
    record names none); None without a subsidiary."""
    if not ctx.account.subsidiary:
        return None
    if "base_currency" not in ctx.cache:
        record = await ctx.netsuite.get("subsidiary", ctx.account.subsidiary)
        currency = (record or {}).get("currency") or {}
        by_id = {v: k for k, v in (await currency_ids(ctx)).items()}
        ctx.cache["base_currency"] = by_id.get(str(currency.get("id", "")))
    found = ctx.cache["base_currency"]
    return str(found) if found else None


async def charge_invoice(ctx: FlowContext, charge_id: str) -> str | None:
    """The NetSuite invoice made for a standalone charge (``acct:inv:ch_…``), if any."""
    link = await links.read(ctx.database, account=ctx.name, stripe_id=charge_id, role="invoice")
    return link.internal_id if link is not None else None


async def sale_lines(ctx: FlowContext, invoice_id: str | None) -> list[reversal.SaleLine]:
    """The item lines of the NetSuite invoice a reversal credits, read from NetSuite.

    Read, not recomputed from Stripe: the reversal must credit what was posted. Empty in
    a preview of a record not yet created (the credit memo then shows one generic line).
    """
    if not invoice_id or invoice_id.startswith("new:"):
        return []
    record = await ctx.netsuite.get("invoice", invoice_id, expand=True)
    if record is None:
        raise exceptions.NeedsAttention(
            f"NetSuite invoice {invoice_id} no longer exists; its reversal cannot be posted"
        )
    return reversal.sale_lines(record, tax_item=ctx.account.items.tax_item)


async def refuse_foreign_document(ctx: FlowContext, document: Mapping[str, Any]) -> None:
    """On a single-currency account, refuse an invoice in another currency than the base.

    A document has no rate of its own in Stripe (only the money that settles it does), so
    it cannot be converted at Stripe's rate, and it is never posted at face value: the
    error names it, and its payment waits with it. Unknown base currency (no subsidiary
    configured): nothing to compare with, so nothing is refused.
    """
    if ctx.account.options.multi_currency:
        return
    currency = str(document.get("currency") or "").lower()
    base = await base_currency(ctx)
    if currency and base and currency != base:
        sid = str(document.get("id"))
        raise exceptions.MappingError(
            f"{sid} is in {currency.upper()} but this NetSuite account has one currency"
            f" ({base.upper()}), and Stripe gives a document no exchange rate",
            stripe_id=sid,
        )
