"""What the NetSuite → Stripe flows share: writing back to NetSuite without an echo, and
creating in Stripe exactly once.

A write-back moves the record's ``lastModifiedDate``; the stamp it left is kept with the
record's mirror, so the poller does not queue the engine's own write (loop prevention).
Every Stripe create carries an idempotency key derived from the account and the NetSuite
record, so a retry after a lost answer returns the object already made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from stripe_netsuite import exceptions
from stripe_netsuite.flows import posting
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.posting import LINKED
from stripe_netsuite.netsuite import changes
from stripe_netsuite.store import links, origins
from stripe_netsuite.stripe_api.client import as_dict, call

T = TypeVar("T")
_TABLE = {"customer": "customer"}
_ORACLE_FORMAT = "YYYY-MM-DD HH24:MI:SS"
#: Hex digits of a change's signature kept (with its stamp it fits ``origins.own_stamp``).
SIGNATURE_LENGTH = 12


def idempotency_key(ctx: FlowContext, *parts: str) -> str:
    """The Stripe idempotency key of one create made from a NetSuite record."""
    return "sns-ns-" + "-".join((ctx.name, *parts))


async def stripe_create(
    ctx: FlowContext, request: Callable[[Any], Awaitable[Any]], key: str, *, about: str
) -> dict[str, Any]:
    """Run one Stripe create (or action) with *key* as its idempotency key; as plain dicts.

    *request* is given the request options (the SDK's ``options=``).
    """
    options: Any = {"idempotency_key": key}
    found = await call(lambda: request(options), object_id=about)
    return as_dict(found)


async def signed(ctx: FlowContext, change: changes.Change) -> changes.Change:
    """The change with its signature: the install's keyed hash of its state (no amount is
    kept, only this hash, as with the links' body hashes)."""
    if not change.state:
        return change
    digest = await ctx.body_hash({"state": change.state})
    return replace(change, signature=digest[:SIGNATURE_LENGTH], state="")


async def own_stamp(ctx: FlowContext, record_type: str, internal_id: str) -> str | None:
    """The record's change mark as the poller reads it (same query, same signature)."""
    table = _TABLE.get(record_type, "transaction")
    if not internal_id.isdigit():
        raise exceptions.MappingError(f"{internal_id!r} is no NetSuite internal id")
    columns = f", {changes.state_columns(record_type)}"
    query = (
        f"SELECT id, TO_CHAR(lastmodifieddate, '{_ORACLE_FORMAT}') AS lm{columns} FROM {table}"
        f" WHERE id = {internal_id}"
    )
    rows = [row async for row in ctx.netsuite.suiteql(query)]
    if not rows or not rows[0].get("lm"):
        return None
    found = changes.Change(
        record_type, internal_id, str(rows[0]["lm"]), state=changes.state_of(rows[0], record_type)
    )
    return (await signed(ctx, found)).mark


async def write_fields(
    ctx: FlowContext, record_type: str, internal_id: str, fields: Mapping[str, Any]
) -> None:
    """Patch the record's custom fields, then keep the stamp the write left as ours."""
    if not fields or ctx.preview is not None:
        return
    await ctx.netsuite.patch(record_type, internal_id, dict(fields))
    stamp = await own_stamp(ctx, record_type, internal_id)
    await asyncio.to_thread(
        origins.stamp,
        ctx.database,
        account=ctx.name,
        record_type=record_type,
        internal_id=internal_id,
        own_stamp=stamp,
    )


async def remember(
    ctx: FlowContext,
    *,
    record_type: str,
    internal_id: str,
    stripe_id: str,
    role: str,
    state_hash: str | None = None,
) -> None:
    """Record the pair both ways: the mirror (origin NetSuite) and the link the Stripe →
    NetSuite flows read, marked as linked, so they never post the record a second time."""
    await asyncio.to_thread(
        origins.put,
        ctx.database,
        account=ctx.name,
        record_type=record_type,
        internal_id=internal_id,
        stripe_id=stripe_id,
        state_hash=state_hash,
    )
    await posting.link_existing(
        ctx, stripe_id=stripe_id, role=role, record_type=record_type, internal_id=internal_id
    )


def made_from_stripe(found: list[links.Link]) -> links.Link | None:
    """The link of a Stripe object the engine posted this NetSuite record for, if any."""
    return next((link for link in found if link.body_hash != LINKED and link.external_id), None)
