"""NetSuite changes into the same inbox and coalesced queue as Stripe's events.

Both the SuiteQL poller and the SuiteScript's signed push come through `accept`, one
transaction per change. A change that only reports the engine's own write is recorded
and left alone (loop prevention): the ``lastModifiedDate`` the engine's write-back left
on a mirrored record, or any change to a record the engine made from a Stripe object
(Stripe is where that record's changes come from).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection

import sqlalchemy as sa

from stripe_netsuite.engine.intake import Intake
from stripe_netsuite.flows import netsuite_writes
from stripe_netsuite.flows.context import FlowContext
from stripe_netsuite.flows.posting import LINKED
from stripe_netsuite.netsuite import changes
from stripe_netsuite.netsuite.changes import Change
from stripe_netsuite.settings import FromNetSuite
from stripe_netsuite.store import cursors, db, inbox, links, origins, queue

log = logging.getLogger(__name__)


def accept(
    database: sa.Engine,
    *,
    account: str,
    change: Change,
    kinds: Collection[str],
    rules: FromNetSuite,
) -> Intake:
    """Record the change once and queue the job of its record, unless it is an echo."""
    kind = changes.KIND_OF_RECORD.get(change.record_type)
    with db.write_transaction(database) as conn:
        wanted = kind is not None and kind in kinds and not left_alone(conn, account, change, rules)
        new = inbox.record_event(
            conn,
            account=account,
            event_id=change.event_id,
            event_type=f"netsuite.{change.record_type}.changed",
            object_type=f"netsuite.{change.record_type}",
            object_id=change.internal_id,
            ignored=not wanted,
        )
        if not new:
            return Intake.DUPLICATE
        if not wanted or kind is None:
            return Intake.IGNORED
        queue.enqueue(conn, account=account, kind=kind, object_id=change.internal_id)
    return Intake.QUEUED


def left_alone(conn: sa.Connection, account: str, change: Change, rules: FromNetSuite) -> bool:
    """Whether the change is the engine's own write, or a record Stripe is the source of."""
    mirror = origins.get(
        conn, account=account, record_type=change.record_type, internal_id=change.internal_id
    )
    if mirror is not None:
        return mirror.own_stamp is not None and mirror.own_stamp == change.mark
    made_from_stripe = any(
        link.body_hash != LINKED and link.external_id
        for link in links.to_record(
            conn, account=account, record_type=change.record_type, internal_id=change.internal_id
        )
    )
    if change.record_type == "customer":
        if made_from_stripe:
            return rules.customer_system_of_record != "netsuite"
        # A customer no invoice took to Stripe yet waits for one, unless all are wanted.
        return rules.customers != "all"
    return made_from_stripe


async def poll(ctx: FlowContext, kinds: Collection[str]) -> int:
    """One SuiteQL poll of each record type the account follows; the changes queued."""
    rules = ctx.account.from_netsuite
    queued = 0
    for kind, record_type in changes.RECORD_TYPES.items():
        if kind not in kinds:
            continue
        name = changes.cursor_name(ctx.name, record_type)
        cursor = await asyncio.to_thread(cursors.get, ctx.database, name)
        since = changes.start(
            cursor,
            overlap_seconds=rules.overlap_seconds,
            sync_start=ctx.account.options.sync_start,
        )
        read = await changes.changed(ctx.netsuite, record_type, since, rules)
        found = [await netsuite_writes.signed(ctx, change) for change in read]
        for change in found:
            outcome = await asyncio.to_thread(
                accept, ctx.database, account=ctx.name, change=change, kinds=kinds, rules=rules
            )
            queued += outcome is Intake.QUEUED
        after = changes.cursor_after(cursor, found)
        if after is not None and after != cursor:
            await asyncio.to_thread(cursors.put, ctx.database, name, after)
    if queued:
        log.info("netsuite changes queued account=%s count=%s", ctx.name, queued)
    return queued
