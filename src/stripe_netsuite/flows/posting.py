"""The idempotent path every flow posts through: hash, upsert by externalId, link.

An object whose mapped body hashes the same as the last one posted costs no NetSuite
call. NetSuite writes are upserts on ``eid:<externalId>``, so a retry after a lost
answer overwrites the record it already made instead of making a second one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from stripe_netsuite import exceptions, kinds
from stripe_netsuite.flows import periods
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.mapping.records import NetSuiteRecord
from stripe_netsuite.netsuite.errors import PeriodClosed
from stripe_netsuite.store import db, links
from stripe_netsuite.stripe_api.client import update_metadata

log = logging.getLogger(__name__)

#: The body hash of a link to a record that existed before (nothing was posted).
LINKED = "linked"
#: The body hash of a link to a record taken back by an adjustment (`retract`): posting it
#: again finds a different hash and compares with what NetSuite holds.
RETRACTED = "retracted"


async def post(
    ctx: FlowContext,
    record: NetSuiteRecord,
    *,
    update: bool = True,
    update_body: Mapping[str, Any] | None = None,
) -> str:
    """Upsert *record* unless the linked record already has this exact body.

    With ``update=False`` an already linked record is left as it is; with an
    *update_body*, a changed linked record is patched with that subset instead.
    """
    link = await links.read(
        ctx.database, account=ctx.name, stripe_id=record.stripe_id, role=record.role
    )
    if ctx.preview is not None:
        ctx.preview.append(record)
        return link.internal_id if link is not None else placeholder(record.external_id)
    # Hashed after the preview's return: a preview writes nothing, not even a new key.
    digest = await ctx.body_hash(record.body)
    if link is not None and (link.body_hash == digest or not update):
        return link.internal_id
    try:
        internal_id = await _write(ctx, await periods.place(ctx, record), link, update_body)
    except PeriodClosed as refused:
        internal_id = await _in_closed_period(ctx, record, link, update_body, refused)
    await db.run_write(
        ctx.database,
        links.put,
        account=ctx.name,
        stripe_id=record.stripe_id,
        role=record.role,
        record_type=record.record_type,
        internal_id=internal_id,
        external_id=record.external_id,
        body_hash=digest,
    )
    log.info(
        "posted record_type=%s external_id=%s internal_id=%s",
        record.record_type,
        record.external_id,
        internal_id,
    )
    return internal_id


async def _write(
    ctx: FlowContext,
    record: NetSuiteRecord,
    link: links.Link | None,
    update_body: Mapping[str, Any] | None,
) -> str:
    if link is not None and link.internal_id and update_body is not None:
        await ctx.netsuite.patch(record.record_type, link.internal_id, dict(update_body))
        return link.internal_id
    return await ctx.netsuite.upsert(
        record.record_type, record.external_id, dict(record.body), replace=record.replace
    )


async def _in_closed_period(
    ctx: FlowContext,
    record: NetSuiteRecord,
    link: links.Link | None,
    update_body: Mapping[str, Any] | None,
    refused: PeriodClosed,
) -> str:
    # A posted record is never edited in a closed period: its change is posted as adjustments.
    if link is not None and link.internal_id:
        for adjustment in await periods.adjustments(ctx, record, link.internal_id, refused):
            await post(ctx, adjustment)
        return link.internal_id
    if refused.status_code is None:
        raise refused  # the policy held it, not NetSuite
    # NetSuite closed the period after the calendar was read: read it again, place again.
    periods.forget(ctx)
    placed = await periods.place(ctx, record)
    if placed is record:
        raise refused
    return await _write(ctx, placed, link, update_body)


async def retract(ctx: FlowContext, link: links.Link) -> None:
    """Take back a record the engine posted (a write-off once the invoice is paid, a refund's
    own credit memo once a credit note names the refund) and forget its link.

    A record in a period that is now closed or locked is not deleted (NetSuite refuses, and
    the month's books stay as they were closed): its lines are reversed by an adjustment in
    the first open period, and its link is kept, marked `RETRACTED`.
    """
    if ctx.preview is not None:
        return
    try:
        await ctx.netsuite.delete(link.record_type, link.internal_id)
    except PeriodClosed as refused:
        posted = await ctx.netsuite.get(link.record_type, link.internal_id, expand=True)
        if posted is None:
            raise
        record = periods.emptied(link, posted)
        for adjustment in await periods.adjustments(ctx, record, link.internal_id, refused):
            await post(ctx, adjustment)
        await db.run_write(
            ctx.database, links.put, account=ctx.name, stripe_id=link.stripe_id,
            role=link.role, record_type=link.record_type, internal_id=link.internal_id,
            external_id=link.external_id, body_hash=RETRACTED,
        )  # fmt: skip
        log.info(
            "reversed in an open period record_type=%s internal_id=%s",
            link.record_type,
            link.internal_id,
        )
        return
    await asyncio.to_thread(
        links.delete, ctx.database, account=ctx.name, stripe_id=link.stripe_id, role=link.role
    )


def placeholder(external_id: str) -> str:
    """Stands for the internal id of a record not yet created (in a preview)."""
    return f"new:{external_id}"


async def linked_instead(
    ctx: FlowContext, *, stripe_id: str, role: str, record_type: str, internal_id: str | None
) -> bool:
    """Link to the NetSuite record named in the object's metadata, instead of posting.

    True when the object names a record of its own choosing (``netsuite_*_id``) and it
    passed `check_named_record`; False when it names none, names the one this engine made
    and wrote back, or the account has ``options.link_from_metadata`` off (the record is
    then created as usual).
    """
    if not internal_id or not ctx.account.options.link_from_metadata:
        return False
    link = await links.read(ctx.database, account=ctx.name, stripe_id=stripe_id, role=role)
    if link is not None and (link.record_type, link.internal_id) == (record_type, internal_id):
        # Our own record written back, or one linked (and checked) on an earlier run.
        return link.body_hash == LINKED
    await check_named_record(
        ctx, stripe_id=stripe_id, role=role, record_type=record_type, internal_id=internal_id
    )
    await link_existing(
        ctx, stripe_id=stripe_id, role=role, record_type=record_type, internal_id=internal_id
    )
    return True


async def check_named_record(
    ctx: FlowContext, *, stripe_id: str, role: str, record_type: str, internal_id: str
) -> None:
    """Refuse a metadata link that would let the object take over a record not meant for it.

    The record must not belong to another Stripe object already (its writes would land on
    that object's record), and it must exist as *record_type* (a GET of that type by its
    internal id). Either failure is `NeedsAttention` naming the key and the object.
    """
    key = kinds.ITEM_LINK_KEYS.get(record_type) if role == "item" else kinds.link_key(role)
    named = f"metadata {key} on {stripe_id} names NetSuite {record_type} {internal_id}"
    holders = await asyncio.to_thread(
        links.to_record,
        ctx.database,
        account=ctx.name,
        record_type=record_type,
        internal_id=internal_id,
    )
    others = sorted({held.stripe_id for held in holders if held.stripe_id != stripe_id})
    if others:
        raise exceptions.NeedsAttention(
            f"{named}, which is already linked to {', '.join(others)}", stripe_id=stripe_id
        )
    if await ctx.netsuite.get(record_type, internal_id, fields=["id"]) is None:
        raise exceptions.NeedsAttention(
            f"{named}, which does not exist as a {record_type}", stripe_id=stripe_id
        )


async def link_existing(
    ctx: FlowContext, *, stripe_id: str, role: str, record_type: str, internal_id: str
) -> None:
    """Record a link to a NetSuite record that already existed (``netsuite_*_id`` metadata)."""
    if ctx.preview is not None:
        return
    await db.run_write(
        ctx.database,
        links.put,
        account=ctx.name,
        stripe_id=stripe_id,
        role=role,
        record_type=record_type,
        internal_id=internal_id,
        external_id="",
        body_hash=LINKED,
    )


async def write_back(
    ctx: FlowContext,
    kind: kinds.Kind,
    *,
    object_id: str,
    metadata: Mapping[str, Any],
    internal_id: str,
    key: str | None = None,
) -> bool:
    """Put the NetSuite internal id into the Stripe object's metadata, once.

    It goes under the kind's write-back key, or under *key* for items (whose key follows
    the record type posted). The update triggers a ``*.updated`` event; its job maps to
    the same body and so costs no NetSuite call, which is what stops the loop.
    """
    key = key or kind.write_back_key
    if key is None:
        raise ValueError(f"{kind.name} objects have no write-back key")
    if ctx.preview is not None:
        return False
    if not ctx.account.options.write_back_ids or metadata.get(key) == internal_id:
        return False
    await update_metadata(
        ctx.stripe,
        kind.resource,
        object_id,
        {key: internal_id},
        idempotency_key=f"sns-writeback-{object_id}-{key}-{internal_id}",
    )
    return True
