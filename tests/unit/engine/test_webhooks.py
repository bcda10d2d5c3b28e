"""Webhook verification: what passes, and the reason given for each thing that does not."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from stripe_netsuite.stripe_api.webhooks import WebhookRejected, WriteBack, event_ref, verify

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


def updated(kind: str, previous: object, metadata: dict[str, str] | None = None) -> object:
    body = json.loads(event(type=kind))
    body["data"]["object"] = {
        "id": "cus_1" if kind.startswith("customer") else "price_1",
        "object": kind.rsplit(".", 1)[0],
        "metadata": metadata or {},
    }
    if previous is not None:
        body["data"]["previous_attributes"] = previous
    return body


def test_a_write_back_key_change_carries_its_new_value_for_the_intake() -> None:
    body = updated(
        "customer.updated",
        {"metadata": {"netsuite_customer_id": None}},
        {"netsuite_customer_id": "42"},
    )
    assert event_ref(body).write_backs == (
        WriteBack(key="netsuite_customer_id", value="42", role="customer"),
    )


def test_an_item_write_back_names_its_record_type() -> None:
    previous = {"metadata": {"netsuite_service_sale_item_id": "7"}}
    body = updated("price.updated", previous, {"netsuite_service_sale_item_id": "8"})
    assert event_ref(body).write_backs == (
        WriteBack("netsuite_service_sale_item_id", "8", "item", "serviceSaleItem"),
    )


def test_a_removed_write_back_key_has_no_value() -> None:
    body = updated("customer.updated", {"metadata": {"netsuite_customer_id": "42"}})
    assert event_ref(body).write_backs == (WriteBack("netsuite_customer_id", None, "customer"),)


@pytest.mark.parametrize(
    ("kind", "previous"),
    [
        # The user's steering keys are never write-backs: flipping one syncs the object.
        ("customer.updated", {"metadata": {"netsuite_allow_integration": None}}),
        ("customer.updated", {"metadata": {"netsuite_block_integration": "true"}}),
        ("customer.updated", {"metadata": {"crm_segment": "smb"}}),
        ("customer.updated", {"metadata": {"netsuite_customer_id": None, "tier": "a"}}),
        ("customer.updated", {"metadata": {"netsuite_customer_id": None}, "email": "x"}),
        ("customer.updated", {"email": "old@example.com"}),
        ("customer.updated", {"metadata": {}}),
        ("customer.created", {"metadata": {"netsuite_customer_id": None}}),
        ("customer.updated", None),
        # Another kind's key is not one the engine writes on a customer.
        ("customer.updated", {"metadata": {"netsuite_invoice_id": None}}),
        ("price.updated", {"metadata": {"netsuite_discount_item_id": None}}),
    ],
)
def test_other_changes_carry_no_write_backs(kind: str, previous: object) -> None:
    metadata = {"netsuite_customer_id": "42", "netsuite_invoice_id": "42"}
    assert event_ref(updated(kind, previous, metadata)).write_backs == ()


@pytest.mark.parametrize(
    ("header_time", "reason"),
    [(+301, "tolerance"), (-301, "tolerance")],
)
def test_timestamps_beyond_the_tolerance_either_way_are_rejected(
    header_time: int, reason: str
) -> None:
    payload = event()
    now = 1_800_000_000
    header = sign(payload, timestamp=now + header_time)
    with pytest.raises(WebhookRejected, match=reason):
        verify(payload, header, SECRET, now=now, tolerance=300)


def test_a_body_that_is_not_utf8_is_rejected() -> None:
    payload = event().replace(b"cus_1", b"cus_\xff")
    header = "t=1,v1=" + "0" * 64
    with pytest.raises(WebhookRejected, match="not UTF-8"):
        verify(payload, header, SECRET)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"id": "evt_" + "x" * 252}, "event id is longer than 255 characters"),
        ({"type": "t" * 256}, "event type is longer than 255 characters"),
        ({"id": "evt_\u0000"}, "event id holds control characters"),
        ({"data": []}, "data.object.id"),
        ({"created": "soon"}, "malformed"),
    ],
)
def test_unfit_ids_are_rejected_not_stored(overrides: dict[str, object], reason: str) -> None:
    with pytest.raises(WebhookRejected, match=reason):
        event_ref(json.loads(event(**overrides)))
