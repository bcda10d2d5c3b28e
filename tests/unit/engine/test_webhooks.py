"""Webhook verification: what passes, and the reason given for each thing that does not."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from stripe_netsuite.stripe_api.webhooks import WebhookRejected, event_ref, verify

SECRET = "whsec_unit"


def event(**overrides: object) -> bytes:
    body = {
        "id": "evt_1",
        "object": "event",
        "type": "customer.created",
        "created": 1_700_000_000,
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    body.update(overrides)
    return json.dumps(body).encode()


def sign(payload: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(
        payload.decode(), secret, timestamp=timestamp
    )


def test_valid_delivery_gives_ids_only() -> None:
    payload = event()
    ref = verify(payload, sign(payload), SECRET)
    assert (ref.event_id, ref.event_type, ref.object_type, ref.object_id) == (
        "evt_1",
        "customer.created",
        "customer",
        "cus_1",
    )
    assert ref.created == 1_700_000_000


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing Stripe-Signature"),
        ("t=1,v1=deadbeef", "signature does not match"),
        ("garbage", "signature does not match"),
    ],
)
def test_bad_headers_are_rejected_with_a_reason(header: str | None, reason: str) -> None:
    with pytest.raises(WebhookRejected, match=reason):
        verify(event(), header, SECRET)


def test_wrong_secret_is_rejected() -> None:
    payload = event()
    with pytest.raises(WebhookRejected, match="signature does not match"):
        verify(payload, sign(payload, secret="whsec_other"), SECRET)


def test_tampered_body_is_rejected() -> None:
    payload = event()
    header = sign(payload)
    with pytest.raises(WebhookRejected, match="signature does not match"):
        verify(payload.replace(b"cus_1", b"cus_2"), header, SECRET)


def test_stale_timestamp_is_rejected() -> None:
    payload = event()
    header = sign(payload, timestamp=int(time.time()) - 301)
    with pytest.raises(WebhookRejected, match="tolerance"):
        verify(payload, header, SECRET)


def test_signed_but_malformed_body_is_rejected() -> None:
    payload = b"{not json"
    with pytest.raises(WebhookRejected, match="not JSON"):
        verify(payload, sign(payload), SECRET)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], "not a Stripe event"),
        ({"object": "event", "type": "x", "data": {"object": {"id": "cus_1"}}}, "no id"),
        ({"object": "event", "id": "evt_1", "data": {"object": {"id": "cus_1"}}}, "no type"),
        ({"object": "event", "id": "evt_1", "type": "x", "data": {}}, "data.object.id"),
    ],
)
def test_event_shape_problems_are_named(body: object, reason: str) -> None:
    with pytest.raises(WebhookRejected, match=reason):
        event_ref(body)


@pytest.mark.parametrize(
    ("kind", "previous", "echo"),
    [
        ("customer.updated", {"metadata": {"netsuite_customer_id": None}}, True),
        ("price.updated", {"metadata": {"netsuite_service_sale_item_id": None}}, True),
        # The user's steering keys are not write-backs: flipping one syncs the object.
        ("customer.updated", {"metadata": {"netsuite_allow_integration": None}}, False),
        ("customer.updated", {"metadata": {"netsuite_block_integration": "true"}}, False),
        ("customer.updated", {"metadata": {"netsuite_customer_id": None, "tier": "a"}}, False),
        ("customer.updated", {"metadata": {"netsuite_customer_id": None}, "email": "x"}, False),
        ("customer.updated", {"email": "old@example.com"}, False),
        ("customer.created", {"metadata": {"netsuite_customer_id": None}}, False),
        ("customer.updated", None, False),
    ],
)
def test_our_own_write_back_is_recognised(kind: str, previous: object, echo: bool) -> None:
    body = json.loads(event(type=kind))
    if previous is not None:
        body["data"]["previous_attributes"] = previous
    assert event_ref(body).echo is echo
