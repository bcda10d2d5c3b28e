"""NetSuite ids a mapping refers to that come from NetSuite itself, looked up once."""

from __future__ import annotations

from collections.abc import Mapping

from stripe_netsuite.flows.context import FlowContext


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
