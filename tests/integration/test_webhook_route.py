"""The Stripe webhook route, answered before the framework: what the framework did for it."""

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

SECRET = "whsec_route"
CONFIG = {
    "accounts": {
        "main": {
            "stripe_account_id": "acct_1",
            "stripe_api_key": "sk_test_1",
            "stripe_webhook_secret": SECRET,
            "netsuite": {"account_id": "1234567_SB1"},
        }
    }
}


def _delivery(event_id: str) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "customer.created",
            "created": int(time.time()),
            "data": {"object": {"id": "cus_1", "object": "customer"}},
        }
    ).encode()
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), SECRET)
    return payload, {"Stripe-Signature": header, "Content-Type": "application/json"}


@pytest.fixture
def database(database_url: str) -> sa.Engine:
    database = db.make_database(database_url)
    db.migrate(database)
    return database


@pytest.fixture
async def http(database: sa.Engine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(config=parse_config(CONFIG), database=database)
    woken: list[bool] = []
    app.state.wake = lambda: woken.append(True)
    app.state.woken = woken
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engine") as client:
        yield client


async def test_delivery_keeps_the_request_id_and_wakes_the_worker(
    http: httpx.AsyncClient, database: sa.Engine
) -> None:
    payload, headers = _delivery("evt_route_1")
    response = await http.post(
        "/webhooks/stripe/main", content=payload, headers={**headers, "X-Request-ID": "trace-7"}
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "trace-7"
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"received": True, "event": "evt_route_1", "outcome": "queued"}
    assert queue.counts(database) == {("customer", "pending"): 1}
    transport = http._transport
    assert isinstance(transport, httpx.ASGITransport)
    assert transport.app.state.woken == [True]  # type: ignore[attr-defined]


async def test_other_methods_and_deeper_paths_still_go_through_the_router(
    http: httpx.AsyncClient, database: sa.Engine
) -> None:
    payload, headers = _delivery("evt_route_2")
    assert (await http.get("/webhooks/stripe/main")).status_code == 405
    deeper = await http.post("/webhooks/stripe/main/extra", content=payload, headers=headers)
    assert deeper.status_code == 404
    assert (await http.post("/webhooks/stripe/", content=payload, headers=headers)).status_code in {
        404,
        405,
    }
    assert sum(inbox.counts(database).values()) == 0
    assert queue.counts(database) == {}


async def test_a_refusal_carries_a_request_id(http: httpx.AsyncClient, database: sa.Engine) -> None:
    payload, _ = _delivery("evt_route_3")
    response = await http.post("/webhooks/stripe/main", content=payload)
    assert response.status_code == 400
    assert response.json() == {"error": "missing Stripe-Signature header"}
    assert len(response.headers["x-request-id"]) == 32
    assert sum(inbox.counts(database).values()) == 0


async def test_a_store_failure_is_a_bare_500_so_stripe_delivers_again(
    http: httpx.AsyncClient, database: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*args: object, **kwargs: object) -> None:
        raise sa.exc.OperationalError("INSERT INTO inbox", {}, Exception("database is locked"))

    monkeypatch.setattr("stripe_netsuite.web.stripe_webhook.accept", locked)
    payload, headers = _delivery("evt_route_4")
    response = await http.post(
        "/webhooks/stripe/main", content=payload, headers={**headers, "X-Request-ID": "trace-9"}
    )
    assert response.status_code == 500
    assert response.json() == {"error": "internal error"}
    assert "inbox" not in response.text and "locked" not in response.text
    assert response.headers["x-request-id"] == "trace-9"
    monkeypatch.undo()
    again = await http.post("/webhooks/stripe/main", content=payload, headers=headers)
    assert again.json()["outcome"] == "queued"


async def test_a_sender_gone_mid_body_gets_no_answer_and_records_nothing(
    database: sa.Engine,
) -> None:
    app = create_app(config=parse_config(CONFIG), database=database)
    payload, headers = _delivery("evt_route_5")
    messages = iter(
        [
            {"type": "http.request", "body": payload[:10], "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return next(messages)

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": "POST", "path": "/webhooks/stripe/main", "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    await app(scope, receive, send)
    assert sent == []
    assert sum(inbox.counts(database).values()) == 0
