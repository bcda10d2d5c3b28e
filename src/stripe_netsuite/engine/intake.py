"""Turns a Stripe event reference into an inbox row and a coalesced job, in one transaction.

Both the webhook route and the events poller come through here, so an event seen by
both is recorded once and syncs its object once.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

import sqlalchemy as sa

from stripe_netsuite import kinds
from stripe_netsuite.store import db, inbox, links, origins, queue
from stripe_netsuite.stripe_api.webhooks import EventRef

#: Kinds whose Stripe objects may mirror a NetSuite record (their events are then ignored).
MIRRORED = frozenset({"customer", "invoice"})


class Intake(StrEnum):
    """What became of one event."""

    #: First sight; its object's job is queued (or coalesced into a pending one).
    QUEUED = "queued"
    #: Seen before (a redelivery, or both webhook and poll); nothing done.
    DUPLICATE = "duplicate"
    #: Recorded, but nothing to do: no enabled flow handles its object type, or it only
    #: reports the engine's own write-back of NetSuite ids.
    IGNORED = "ignored"


def kind_for(ref: EventRef, enabled: Collection[str]) -> str | None:
    """The flow for the event's object, if that flow is enabled."""
    found = kinds.by_object_type(ref.object_type)
    return found.name if found is not None and found.name in enabled else None


def accept(database: sa.Engine, *, account: str, ref: EventRef, kinds: Collection[str]) -> Intake:
    """Record the event once and queue its object's flow."""
    kind = kind_for(ref, kinds)
    # The echo check reads before the inbox row is written: on SQLite the write lock is
    # taken up front, or the read's snapshot could not be upgraded while another process
    # writes (an immediate "database is locked", which no busy timeout waits out).
    with db.write_transaction(database) as conn:
        if kind is not None and is_echo(conn, account=account, ref=ref):
            kind = None
        if kind in MIRRORED and (
            ref.netsuite_origin or origins.is_mirror(conn, account=account, stripe_id=ref.object_id)
        ):
            # Made by the engine from a NetSuite record, which it follows: the engine's
            # own writes to it queue nothing (loop prevention).
            kind = None
        new = inbox.record_event(
            conn,
            account=account,
            event_id=ref.event_id,
            event_type=ref.event_type,
            object_type=ref.object_type,
            object_id=ref.object_id,
            ignored=kind is None,
        )
        if not new:
            return Intake.DUPLICATE
        if kind is None:
            return Intake.IGNORED
        queue.enqueue(conn, account=account, kind=kind, object_id=ref.object_id)
    return Intake.QUEUED


def is_echo(conn: sa.Connection, *, account: str, ref: EventRef) -> bool:
    """Whether the event only reports the engine's own write-back of NetSuite ids.

    Every key it changed must be one the engine writes back for this object, now holding
    the very internal id the engine's link keeps: syncing again would post the same body,
    so nothing is queued (loop prevention). A person who sets such a key to another id
    (or removes it) changes which record the object names, and that is synced. Read in
    the caller's transaction, beside the inbox row it decides about.
    """
    if not ref.write_backs:
        return False
    for write_back in ref.write_backs:
        link = links.get(conn, account=account, stripe_id=ref.object_id, role=write_back.role)
        if link is None or write_back.value is None or link.internal_id != write_back.value:
            return False
        if write_back.record_type is not None and link.record_type != write_back.record_type:
            return False
    return True
