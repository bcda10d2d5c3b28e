"""Verification of Stripe webhook deliveries (signature, timestamp, body shape)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import stripe

from stripe_netsuite import kinds
from stripe_netsuite.store import tables

#: Seconds a signed timestamp stays valid (Stripe's own default), in either direction.
TOLERANCE_SECONDS = 300


class WebhookRejected(Exception):
    """A delivery failed verification; nothing from it may be stored."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class WriteBack:
    """A metadata key the engine writes back, as an event left it.

    The event is the engine's own echo only when *value* is the NetSuite internal id the
    engine's link for (*role*, *record_type*) holds; `engine.intake` asks the link table.
    """

    key: str
    #: The key's new value in ``data.object.metadata`` (None when it was removed).
    value: str | None
    #: The link role the engine keeps the id under.
    role: str
    #: For items, the record type the key names (their role is shared by every type).
    record_type: str | None = None


@dataclass(frozen=True)
class EventRef:
    """What the engine keeps of an event: ids and type, never the payload."""

    event_id: str
    event_type: str
    object_type: str
    object_id: str
    created: int
    #: Set when an ``*.updated`` event changed nothing but keys the engine writes back
    #: into this object's metadata: each of them with its new value. Empty otherwise.
    write_backs: tuple[WriteBack, ...] = ()
    #: Set when the object says it was made by the engine from a NetSuite record
    #: (``metadata.sns_origin = "netsuite"``): its events are the engine's own writes.
    netsuite_origin: bool = False


def _length(column: sa.Column[Any]) -> int:
    length = getattr(column.type, "length", None)
    assert isinstance(length, int), f"{column} has no length"
    return length


#: The longest value each inbox column keeps: a longer one is refused, never truncated
#: (two ids cut to one prefix would be one event) nor left to fail the insert.
_LIMITS = (
    ("event id", _length(tables.inbox.c.event_id)),
    ("event type", _length(tables.inbox.c.event_type)),
    ("object type", _length(tables.inbox.c.object_type)),
    ("object id", _length(tables.inbox.c.object_id)),
)


def verify(
    payload: bytes,
    signature: str | None,
    secret: str,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> EventRef:
    """Check the ``Stripe-Signature`` of the raw body and extract the event's ids."""
    if not signature:
        raise WebhookRejected("missing Stripe-Signature header")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Stripe signs the UTF-8 text of its JSON; other bytes were not sent by Stripe.
        raise WebhookRejected("body is not UTF-8") from exc
    try:
        # The age is checked below, against *now*, in both directions.
        stripe.WebhookSignature.verify_header(text, signature, secret, None)
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected(f"signature does not match: {exc.user_message or exc}") from exc
    # The SDK would refuse only old timestamps; a signature dated ahead would stay
    # replayable for as long as it is early.
    age = (time.time() if now is None else now) - _timestamp(signature)
    if tolerance and abs(age) > tolerance:
        raise WebhookRejected("timestamp outside the tolerance zone")
    try:
        event = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise WebhookRejected(f"body is not JSON: {exc}") from exc
    return event_ref(event)


def _timestamp(header: str) -> int:
    # Read as the SDK reads it, so this is the time it signed over: the first ``t=`` item,
    # up to a second ``=`` if any (the header verified, so it parses).
    for item in header.split(","):
        parts = item.split("=", 2)
        if parts[0] == "t" and len(parts) > 1:
            return int(parts[1])
    raise WebhookRejected("signature has no timestamp")  # pragma: no cover


def event_ref(event: Any) -> EventRef:
    """The ids of an event dict, or `WebhookRejected` naming the missing or unfit part."""
    if not isinstance(event, dict) or event.get("object") != "event":
        raise WebhookRejected("body is not a Stripe event object")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    for key, value in (("id", event.get("id")), ("type", event.get("type"))):
        if not isinstance(value, str) or not value:
            raise WebhookRejected(f"event has no {key}")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"]:
        raise WebhookRejected("event has no data.object.id")
    object_type = obj.get("object", "")
    created = event.get("created") or 0
    if not isinstance(object_type, str) or not isinstance(created, int):
        raise WebhookRejected("event has a malformed data.object.object or created")
    values = (event["id"], event["type"], object_type, obj["id"])
    for (what, limit), value in zip(_LIMITS, values, strict=True):
        if len(value) > limit:
            raise WebhookRejected(f"{what} is longer than {limit} characters")
        if not value.isprintable():
            raise WebhookRejected(f"{what} holds control characters")
    return EventRef(
        event_id=event["id"],
        event_type=event["type"],
        object_type=object_type,
        object_id=obj["id"],
        created=created,
        write_backs=_write_backs(event, obj),
        netsuite_origin=isinstance(obj.get("metadata"), dict)
        and obj["metadata"].get("sns_origin") == "netsuite",
    )


def _write_backs(event: dict[str, Any], obj: dict[str, Any]) -> tuple[WriteBack, ...]:
    """The engine's write-back keys an ``*.updated`` event changed, if it changed nothing else.

    Only such an event can be the engine's own echo. Whether it is depends on the values,
    which the intake compares with the links: a person may set the same key to another
    id, and other ``netsuite_*`` keys (``netsuite_block_integration``, ...) are always the
    user's steering.
    """
    if not str(event["type"]).endswith(".updated"):
        return ()
    previous = event["data"].get("previous_attributes")
    if not isinstance(previous, dict) or set(previous) != {"metadata"}:
        return ()
    changed = previous["metadata"]
    kind = kinds.by_object_type(str(obj.get("object", "")))
    if not isinstance(changed, dict) or not changed or kind is None:
        return ()
    metadata = obj.get("metadata")
    current = metadata if isinstance(metadata, dict) else {}
    found = []
    for key in changed:
        target = _target(kind, str(key))
        if target is None:
            return ()
        value = current.get(key)
        found.append(WriteBack(str(key), value if isinstance(value, str) else None, *target))
    return tuple(found)


def _target(kind: kinds.Kind, key: str) -> tuple[str, str | None] | None:
    """The link (role, record type) the engine writes *key* back from, for objects of *kind*."""
    if kind.write_back_key is not None:
        return (kind.role, None) if key == kind.write_back_key else None
    if kind.role == "item":
        # Prices, plans and products: the key follows the item record type posted.
        for record_type, item_key in kinds.ITEM_LINK_KEYS.items():
            if key == item_key:
                return kind.role, record_type
    return None
