"""The webhook route: good deliveries are recorded once and coalesced; bad ones store nothing."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
import stripe

from stripe_netsuite.settings import parse_config
from stripe_netsuite.store import db, inbox, queue
from stripe_netsuite.web.app import create_app

SECRET = "whsec_intake"
CONFIG = {
    "accounts": {
        "main": {
            "stripe_account_id": "acct_1",
            "stripe_api_key": "sk_test_1",
            "stripe_webhook_secret": SECRET,
            "netsuite": {"account_id": "1234567_SB1"},
        },
        "quiet": {
            "stripe_account_id": "acct_2",
            "stripe_api_key": "sk_test_2",
            "netsuite": {"account_id": "1234567_SB1"},
        },
    }
}


def event(event_id: str = "evt_1", *, kind: str = "customer.created", obj: str = "cus_1") -> bytes:
    object_type = kind.split(".")[0]
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": {"id": obj, "object": object_type}},
        }
    ).encode()


def signed(payload: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(
        payload.decode(), secret, timestamp=timestamp
    )
    return {"Stripe-Signature": header, "Content-Type": "application/json"}


@pytest.fixture
def database(database_url: str) -> sa.Engine:
    database = db.make_database(database_url)
    db.migrate(database)
    return database


@pytest.fixture
async def http(database: sa.Engine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(config=parse_config(CONFIG), database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engine") as client:
        yield client


def stored(database: sa.Engine) -> tuple[int, int]:
    return sum(inbox.counts(database).values()), sum(queue.counts(database).values())


async def test_signed_event_is_recorded_and_queued(
    http: httpx.AsyncClient, database: sa.Engine
) -> None:
    payload = event()
    response = await http.post("/webhooks/stripe/main", content=payload, headers=signed(payload))
    assert response.status_code == 200
    assert response.json()["outcome"] == "queued"
    assert queue.counts(database) == {("customer", "pending"): 1}


async def test_duplicate_delivery_is_answered_200_and_ignored(
    http: httpx.AsyncClient, database: sa.Engine
) -> None:
    payload = event()
    for _ in range(3):
        response = await http.post(
            "/webhooks/stripe/main", content=payload, headers=signed(payload)
        )
        assert response.status_code == 200
    assert response.json()["outcome"] == "duplicate"
    assert stored(database) == (1, 1)


async def test_events_for_one_object_coalesce_into_one_job(
    http: httpx.AsyncClient, database: sa.Engine
) -> None:
    for n in range(10):
        payload = event(f"evt_{n}", kind="customer.updated")
        response = await http.post(
            "/webhooks/stripe/main", content=payload, headers=signed(payload)
        )
        assert response.status_code == 200
    assert stored(database) == (10, 1)


async def test_unknown_event_type_is_recorded_as_ignored(
    http: httpx.AsyncClient, database: sa.Engine
) -> None:
    payload = event(kind="issuing_card.created", obj="ic_1")
    response = await http.post("/webhooks/stripe/main", content=payload, headers=signed(payload))
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert inbox.counts(database)["ignored"] == 1
    assert inbox.counts(database)["pending"] == 0
    assert queue.counts(database) == {}


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("bad_signature", "signature does not match"),
        ("wrong_secret", "signature does not match"),
        ("stale", "tolerance"),
        ("missing_header", "missing Stripe-Signature"),
        ("malformed", "not JSON"),
        ("not_an_event", "not a Stripe event"),
        # Answered like a forgery: the answer must not tell which account names exist.
        ("unknown_account", "signature does not match"),
        ("webhooks_off", "signature does not match"),
    ],
)
async def test_bad_delivery_gets_400_with_reason_and_stores_nothing(
    http: httpx.AsyncClient, database: sa.Engine, case: str, reason: str
) -> None:
    payload, account = event(), "main"
    headers = signed(payload)
    if case == "bad_signature":
        headers["Stripe-Signature"] = headers["Stripe-Signature"][:-4] + "beef"
    elif case == "wrong_secret":
        headers = signed(payload, secret="whsec_someone_else")
    elif case == "stale":
        headers = signed(payload, timestamp=int(time.time()) - 600)
    elif case == "missing_header":
        del headers["Stripe-Signature"]
    elif case == "malformed":
        payload = b'{"id": "evt_1", "object": "event", '
        headers = signed(payload)
    elif case == "not_an_event":
        payload = json.dumps({"id": "cus_1", "object": "customer"}).encode()
        headers = signed(payload)
    elif case == "unknown_account":
        account = "nobody"
    elif case == "webhooks_off":
        account = "quiet"
    response = await http.post(f"/webhooks/stripe/{account}", content=payload, headers=headers)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert stored(database) == (0, 0)


async def test_a_delivery_queues_one_job_per_flow(
    http: httpx.AsyncClient, database: sa.Engine
) -> None:
    payload = event()
    await http.post("/webhooks/stripe/main", content=payload, headers=signed(payload))
    assert queue.counts(database) == {("customer", "pending"): 1}
    assert (await http.get("/healthz")).json() == {"status": "ok"}
