"""Verification of Stripe webhook deliveries (signature, timestamp, body shape)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import stripe

from stripe_netsuite import kinds

#: Seconds a signed timestamp stays valid (Stripe's own default).
TOLERANCE_SECONDS = 300


class WebhookRejected(Exception):
    """A delivery failed verification; nothing from it may be stored."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class EventRef:
    """What the engine keeps of an event: ids and type, never the payload."""

    event_id: str
    event_type: str
    object_type: str
    object_id: str
    created: int
    #: The event only reports our own write-back of NetSuite ids into metadata.
    echo: bool = False


def verify(
    payload: bytes, signature: str | None, secret: str, *, tolerance: int = TOLERANCE_SECONDS
) -> EventRef:
    """Check the ``Stripe-Signature`` of the raw body and extract the event's ids."""
    if not signature:
        raise WebhookRejected("missing Stripe-Signature header")
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance)
    except stripe.SignatureVerificationError as exc:
        message = str(exc.user_message or exc)
        if "tolerance" in message.lower():
            raise WebhookRejected("timestamp outside the tolerance zone") from exc
        raise WebhookRejected(f"signature does not match: {message}") from exc
    try:
        event = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookRejected(f"body is not JSON: {exc}") from exc
    return event_ref(event)


def event_ref(event: Any) -> EventRef:
    """The ids of an event dict, or `WebhookRejected` naming the missing part."""
    if not isinstance(event, dict) or event.get("object") != "event":
        raise WebhookRejected("body is not a Stripe event object")
    obj = (event.get("data") or {}).get("object")
    for key, value in (("id", event.get("id")), ("type", event.get("type"))):
        if not isinstance(value, str) or not value:
            raise WebhookRejected(f"event has no {key}")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise WebhookRejected("event has no data.object.id")
    return EventRef(
        event_id=event["id"],
        event_type=event["type"],
        object_type=str(obj.get("object", "")),
        object_id=obj["id"],
        created=int(event.get("created") or 0),
        echo=_is_echo(event),
    )


def _is_echo(event: dict[str, Any]) -> bool:
    """Whether an ``*.updated`` event changed nothing but the engine's write-back keys.

    Syncing the object again would post the same body, so the event is recorded and
    nothing is queued (loop prevention). Other ``netsuite_*`` keys, such as
    ``netsuite_allow_integration``, are the user's steering and do sync the object.
    """
    if not str(event.get("type", "")).endswith(".updated"):
        return False
    previous = (event.get("data") or {}).get("previous_attributes")
    if not isinstance(previous, dict) or set(previous) != {"metadata"}:
        return False
    changed = previous["metadata"]
    return (
        isinstance(changed, dict)
        and bool(changed)
        and all(kinds.is_write_back_key(str(key)) for key in changed)
    )
