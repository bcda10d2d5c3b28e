"""Catch-up: read Stripe's events list from a stored cursor and hand each event on.

Webhooks arrive late, twice or never; the events list is the record. Each poll reads
from the newest ``created`` seen, less an overlap (events of one second may straddle
a poll), and relies on the receiver (the engine's intake, with the inbox's unique
event id) to drop what it has seen.

The list is read page by page, each page through `client.call`, so a failure on the
tenth page is classified (a Stripe 500 becomes `StripeUnavailable`) exactly like one
on the first.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
import stripe

from stripe_netsuite.store import cursors
from stripe_netsuite.stripe_api.client import as_dict, call
from stripe_netsuite.stripe_api.webhooks import EventRef, WebhookRejected, event_ref

Outcome = TypeVar("Outcome")
Outcome_co = TypeVar("Outcome_co", covariant=True)


class Accept(Protocol[Outcome_co]):
    """Takes one event in (records it, queues its object) and says what became of it."""

    def __call__(self, *, ref: EventRef) -> Outcome_co: ...


#: Seconds re-read before the cursor on every poll.
OVERLAP_SECONDS = 300
#: Events asked for per page (Stripe's largest page).
PAGE_SIZE = 100


def cursor_name(account: str) -> str:
    """The name of the cursor that keeps *account*'s place in the events list."""
    return f"stripe.events:{account}"


async def catch_up(
    client: stripe.StripeClient,
    database: sa.Engine,
    *,
    account: str,
    accept: Accept[Outcome],
    since: int | None = None,
    overlap: int = OVERLAP_SECONDS,
    progress: Callable[[], None] | None = None,
) -> Counter[Outcome]:
    """Hand every event since the cursor to *accept*; returns how often each outcome came.

    *accept* is called in a worker thread (it writes to the database), one event at a
    time, and *progress* after each page. The cursor moves on only once every event was
    accepted, so an event whose acceptance (or whose page) failed is read again by the
    next poll.
    """
    stored = await asyncio.to_thread(cursors.get, database, cursor_name(account))
    start = int(stored) - overlap if stored else since
    params: dict[str, Any] = {"limit": PAGE_SIZE}
    if start:
        params["created"] = {"gte": max(start, 0)}
    newest = int(stored) if stored else 0
    outcomes: Counter[Outcome] = Counter()
    while True:
        page = await call(functools.partial(client.v1.events.list_async, params=dict(params)))  # type: ignore[arg-type]
        for event in page.data:
            try:
                ref = event_ref(as_dict(event))
            except WebhookRejected:
                continue  # not an object-bearing event (e.g. a v2 thin event)
            outcomes[await asyncio.to_thread(accept, ref=ref)] += 1
            newest = max(newest, ref.created)
        if progress is not None:
            progress()
        if not page.has_more or not page.data:
            break
        # Newest first: the next page starts after the oldest event of this one.
        params["starting_after"] = page.data[-1]["id"]
    if newest:
        await asyncio.to_thread(cursors.put, database, cursor_name(account), str(newest))
    return outcomes
