"""Catch-up: read Stripe's events list from a stored cursor into the same inbox.

Webhooks arrive late, twice or never; the events list is the record. Each poll reads
from the newest ``created`` seen, less an overlap (events of one second may straddle
a poll), and relies on the inbox's unique event id to drop what it has seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

import sqlalchemy as sa
import stripe

from stripe_netsuite.engine.intake import Intake, accept
from stripe_netsuite.store import cursors
from stripe_netsuite.stripe_api.client import as_dict, call
from stripe_netsuite.stripe_api.webhooks import WebhookRejected, event_ref

#: Seconds re-read before the cursor on every poll.
OVERLAP_SECONDS = 300


def cursor_name(account: str) -> str:
    return f"stripe.events:{account}"


async def catch_up(
    client: stripe.StripeClient,
    database: sa.Engine,
    *,
    account: str,
    kinds: Collection[str],
    since: int | None = None,
    overlap: int = OVERLAP_SECONDS,
) -> dict[Intake, int]:
    """Queue every event not yet seen; returns how many events had each outcome."""
    stored = await asyncio.to_thread(cursors.get, database, cursor_name(account))
    start = int(stored) - overlap if stored else since
    params: dict[str, object] = {"limit": 100}
    if start:
        params["created"] = {"gte": max(start, 0)}
    page = await call(lambda: client.v1.events.list_async(params=params))  # type: ignore[arg-type]
    newest = int(stored) if stored else 0
    outcomes = dict.fromkeys(Intake, 0)
    async for event in page.auto_paging_iter():
        try:
            ref = event_ref(as_dict(event))
        except WebhookRejected:
            continue  # not an object-bearing event (e.g. a v2 thin event)
        outcome = await asyncio.to_thread(accept, database, account=account, ref=ref, kinds=kinds)
        outcomes[outcome] += 1
        newest = max(newest, ref.created)
    if newest:
        await asyncio.to_thread(cursors.put, database, cursor_name(account), str(newest))
    return outcomes
