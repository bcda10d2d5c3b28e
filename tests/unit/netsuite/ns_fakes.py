"""Test helpers: a fake NetSuite behind `httpx.MockTransport`, and stand-ins for auth."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from stripe_netsuite.netsuite import LocalGovernor, NetSuiteClient

BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeAuth:
    """Counts header requests and refreshes; the token changes on refresh."""

    token: int = 1
    refreshes: int = 0
    signed: list[tuple[str, str]] = field(default_factory=list)

    async def headers(self, method: str, url: str) -> dict[str, str]:
        self.signed.append((method, url))
        return {"Authorization": f"Bearer t{self.token}"}

    async def refresh(self) -> None:
        self.refreshes += 1
        self.token += 1


@dataclass
class Sleeps:
    """A fake `asyncio.sleep` that records the delays instead of waiting."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def ns_error(status: int, code: str, detail: str, path: str | None = None) -> httpx.Response:
    """A NetSuite problem document."""
    entry: dict[str, Any] = {"detail": detail, "o:errorCode": code}
    if path:
        entry["o:errorPath"] = path
    body = {
        "type": "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html",
        "title": "Error",
        "status": status,
        "o:errorDetails": [entry],
    }
    return httpx.Response(status, json=body)


def make_client(
    handler: Handler,
    *,
    auth: FakeAuth | None = None,
    sleeps: Sleeps | None = None,
    max_attempts: int = 5,
    governor: LocalGovernor | None = None,
) -> NetSuiteClient:
    """A client on the fake transport, jitter pinned to the full delay."""
    return NetSuiteClient(
        base_url=BASE,
        auth=auth or FakeAuth(),
        governor=governor or LocalGovernor(5),
        max_attempts=max_attempts,
        transport=httpx.MockTransport(handler),
        sleep=sleeps or Sleeps(),
        jitter=lambda delay: delay,
    )


def body_of(request: httpx.Request) -> Any:
    """The JSON body of a recorded request."""
    return json.loads(request.content)
