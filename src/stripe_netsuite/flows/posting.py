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

from stripe_netsuite import kinds
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.fetch import service_for
from stripe_netsuite.mapping.records import NetSuiteRecord
from stripe_netsuite.store import links
from stripe_netsuite.stripe_api.client import call

log = logging.getLogger(__name__)

#: The body hash of a link to a record that existed before (nothing was posted).
LINKED = "linked"


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
    digest = links.body_hash(record.body)
    link = await asyncio.to_thread(
        links.get, ctx.database, account=ctx.name, stripe_id=record.stripe_id, role=record.role
    )
    if ctx.preview is not None:
        ctx.preview.append(record)
        return link.internal_id if link is not None else placeholder(record.external_id)
    if link is not None and (link.body_hash == digest or not update):
        return link.internal_id
    if link is not None and link.internal_id and update_body is not None:
        await ctx.netsuite.patch(record.record_type, link.internal_id, dict(update_body))
        internal_id = link.internal_id
    else:
        internal_id = await ctx.netsuite.upsert(
            record.record_type, record.external_id, dict(record.body)
        )
    await asyncio.to_thread(
        links.put,
        ctx.database,
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


async def is_own_record(ctx: FlowContext, *, stripe_id: str, role: str, internal_id: str) -> bool:
    """Whether *internal_id* is the record this engine posted for the object.

    Metadata holding our own written-back id must not be mistaken for a request to
    link a pre-existing record.
    """
    link = await asyncio.to_thread(
        links.get, ctx.database, account=ctx.name, stripe_id=stripe_id, role=role
    )
    return link is not None and link.internal_id == internal_id and link.body_hash != LINKED


def placeholder(external_id: str) -> str:
    """Stands for the internal id of a record not yet created (in a preview)."""
    return f"new:{external_id}"


async def linked_instead(
    ctx: FlowContext, *, stripe_id: str, role: str, record_type: str, internal_id: str | None
) -> bool:
    """Link to the NetSuite record named in the object's metadata, instead of posting.

    True when the object names a record of its own choosing (``netsuite_*_id``); False
    when it names none, or names the one this engine made and wrote back.
    """
    if not internal_id or await is_own_record(
        ctx, stripe_id=stripe_id, role=role, internal_id=internal_id
    ):
        return False
    await link_existing(
        ctx, stripe_id=stripe_id, role=role, record_type=record_type, internal_id=internal_id
    )
    return True


async def link_existing(
    ctx: FlowContext, *, stripe_id: str, role: str, record_type: str, internal_id: str
) -> None:
    """Record a link to a NetSuite record that already existed (``netsuite_*_id`` metadata)."""
    if ctx.preview is not None:
        return
    await asyncio.to_thread(
        links.put,
        ctx.database,
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
    service = service_for(ctx, kind.resource)
    await call(
        lambda: service.update_async(
            object_id,
            params={"metadata": {key: internal_id}},
            options={"idempotency_key": f"sns-writeback-{object_id}-{key}-{internal_id}"},
        ),
        object_id=object_id,
    )
    return True
