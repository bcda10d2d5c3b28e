"""Signed webhook delivery: verification with the SDK, retries, and the fault switches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stripe_helpers import Served, serve
from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig, create_app


@dataclass
class Receiver:
    """A webhook endpoint that records what it gets and can refuse the first few."""

    server: RunningServer
    received: list[tuple[str, str]] = field(default_factory=list)
    refuse: int = 0
    refused: int = 0

    @property
    def url(self) -> str:
        return self.server.base_url + "/hook"


def _receiver() -> Receiver:
    box: list[Receiver] = []

    async def hook(request: Request) -> Response:
        rec = box[0]
        body = (await request.body()).decode()
        if rec.refuse > 0:
            rec.refuse -= 1
            rec.refused += 1
            return Response(status_code=500)
        rec.received.append((request.headers["stripe-signature"], body))
        return Response(status_code=200)

    server = serve_in_thread(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))
    box.append(Receiver(server=server))
    return box[0]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    rec = _receiver()
    yield rec
    rec.server.stop()


@pytest.fixture(scope="module")
def served(receiver: Receiver) -> Iterator[Served]:
    yield from serve(webhooks=[receiver.url], seed=7)


@pytest.fixture(autouse=True)
def _clean(receiver: Receiver, served: Served) -> Iterator[None]:
    served.flush()
    receiver.received.clear()
    receiver.refuse = 0
    yield


def test_secret_is_deterministic_from_seed(served: Served, receiver: Receiver) -> None:
    secret = served.sandbox.webhook_secrets[receiver.url]
    assert secret.startswith("whsec_")
    again = create_app(StripeSandboxConfig(webhooks=[receiver.url], seed=7))
    assert again.state.sandbox.webhook_secrets[receiver.url] == secret
    other_seed = create_app(StripeSandboxConfig(webhooks=[receiver.url], seed=8))
    assert other_seed.state.sandbox.webhook_secrets[receiver.url] != secret


def test_events_arrive_signed_and_verify(served: Served, receiver: Receiver) -> None:
    cus = served.client.v1.customers.create(params={"email": "hook@x.io"})
    report = served.flush()
    assert report["pending"] == 0
    secret = served.sandbox.webhook_secrets[receiver.url]
    events = [stripe.Webhook.construct_event(body, sig, secret) for sig, body in receiver.received]
    created = [e for e in events if e.type == "customer.created"]
    assert created and created[0].data.object["id"] == cus.id
    listed = served.http.get(f"/v1/events/{created[0].id}").json()
    assert listed["type"] == "customer.created"


def test_tampered_body_fails_verification(served: Served, receiver: Receiver) -> None:
    served.client.v1.products.create(params={"name": "tamper"})
    served.flush()
    sig, body = receiver.received[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            body.replace("tamper", "tamped"), sig, served.sandbox.webhook_secrets[receiver.url]
        )


def test_failed_delivery_is_retried(served: Served, receiver: Receiver) -> None:
    receiver.refuse = 1
    receiver.refused = 0
    served.client.v1.coupons.create(params={"percent_off": 5})
    for _ in range(3):  # the background task may have made the first attempt already
        if served.flush()["pending"] == 0 and receiver.received:
            break
    assert receiver.refused == 1
    assert len([b for _, b in receiver.received if '"coupon.created"' in b]) == 1


def test_runtime_endpoint_receives_events(served: Served) -> None:
    other = _receiver()
    try:
        resp = served.http.post("/__sandbox/webhooks", data={"url": other.url})
        secret = resp.json()["secret"]
        served.client.v1.tax_rates.create(
            params={"display_name": "T", "percentage": 5, "inclusive": False}
        )
        served.flush()
        types = [stripe.Webhook.construct_event(b, s, secret).type for s, b in other.received]
        assert "tax_rate.created" in types
    finally:
        other.server.stop()


def test_webhook_endpoints_api_returns_a_secret(served: Served) -> None:
    ep = served.client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/none", "enabled_events": ["charge.succeeded"]}
    )
    assert ep.secret is not None and ep.secret.startswith("whsec_")
    assert "secret" not in served.client.v1.webhook_endpoints.retrieve(ep.id).to_dict()
    served.client.v1.webhook_endpoints.delete(ep.id)


@pytest.fixture
def faulty(receiver: Receiver, request: pytest.FixtureRequest) -> Iterator[Served]:
    yield from serve(webhooks=[receiver.url], **request.param)


@pytest.mark.parametrize("faulty", [{"duplicate_rate": 1.0}], indirect=True)
def test_duplicate_rate_delivers_twice(faulty: Served, receiver: Receiver) -> None:
    receiver.received.clear()
    faulty.client.v1.customers.create(params={"email": "dup@x.io"})
    faulty.flush()
    bodies = [b for _, b in receiver.received if '"customer.created"' in b]
    assert len(bodies) == 2 and bodies[0] == bodies[1]


@pytest.mark.parametrize("faulty", [{"drop_rate": 1.0}], indirect=True)
def test_drop_rate_drops_but_events_stay_listed(faulty: Served, receiver: Receiver) -> None:
    receiver.received.clear()
    faulty.client.v1.customers.create(params={"email": "drop@x.io"})
    report = faulty.flush()
    assert receiver.received == [] and report["dropped"] >= 1
    assert faulty.events("customer.created")


# Deliveries held until the flush, so the whole batch is one (and it is shuffled whole,
# however busy the machine is).
@pytest.mark.parametrize(
    "faulty", [{"shuffle": True, "seed": 3, "deliver_webhooks": False}], indirect=True
)
def test_shuffle_reorders_a_batch(faulty: Served, receiver: Receiver) -> None:
    receiver.received.clear()
    made = [faulty.client.v1.products.create(params={"name": f"s{i}"}).id for i in range(12)]
    faulty.flush()
    seen = [json.loads(b)["data"]["object"]["id"] for _, b in receiver.received]
    assert sorted(seen) == sorted(made)
    assert seen != made
