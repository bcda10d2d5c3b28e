"""Shared helpers for the Stripe sandbox tests: a served sandbox and clients for it."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import httpx
import stripe

from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig, build_sandbox, create_app
from stripe_netsuite_sandbox.stripe.delivery import Deliverer
from stripe_netsuite_sandbox.stripe.state import Sandbox

KEY = "sk_test_sandbox"
#: 2026-01-01T01:00:00Z: one hour after midnight, so day boundaries are easy to reason about.
START = 1767229200


@dataclass
class Served:
    """A sandbox on a loopback port with an SDK client and a raw HTTP client."""

    server: RunningServer
    client: stripe.StripeClient
    http: httpx.Client

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def sandbox(self) -> Sandbox:
        sb: Sandbox = self.server.app.state.sandbox
        return sb

    def reset(self, **config: Any) -> None:
        """Swap in a fresh sandbox state behind the same server (cheap test isolation)."""
        config.setdefault("start_time", START)
        app = self.server.app
        app.state.sandbox = build_sandbox(StripeSandboxConfig(**config))
        app.state.deliverer = Deliverer(app.state.sandbox)

    def advance(self, seconds: int) -> dict[str, Any]:
        """Move the sandbox clock forward."""
        resp = self.http.post("/__sandbox/advance", data={"seconds": seconds})
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def flush(self) -> dict[str, Any]:
        """Deliver every pending webhook now."""
        resp = self.http.post("/__sandbox/webhooks/flush")
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def events(self, event_type: str) -> list[dict[str, Any]]:
        """Every event of *event_type*, newest first."""
        resp = self.http.get("/v1/events", params={"type": event_type, "limit": 100})
        resp.raise_for_status()
        data: list[dict[str, Any]] = resp.json()["data"]
        return data


def serve(**config: Any) -> Generator[Served, None, None]:
    """Start a sandbox (for a module-scoped fixture) and stop it afterwards."""
    config.setdefault("start_time", START)
    # These tests read as fast as they can; the read limit has tests of its own.
    config.setdefault("read_rate_limit", 0.0)
    app = create_app(StripeSandboxConfig(**config))
    server = serve_in_thread(app)
    client = stripe.StripeClient(
        KEY, base_addresses={"api": server.base_url}, max_network_retries=0
    )
    http = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}"})
    try:
        yield Served(server=server, client=client, http=http)
    finally:
        http.close()
        server.stop()


def card_payment(
    served: Served, amount: int, *, card: str = "pm_card_visa", currency: str = "usd", **more: Any
) -> stripe.PaymentIntent:
    """A confirmed payment intent."""
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency,
        "payment_method": card,
        "confirm": True,
        **more,
    }
    return served.client.v1.payment_intents.create(params=params)  # type: ignore[arg-type]
