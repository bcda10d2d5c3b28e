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
