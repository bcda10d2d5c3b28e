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


@dataclass
class FakeNetSuite:
    """A tiny record store speaking the REST record API; routes on the path.

    ``faults`` is consumed one per request: a status to answer with, or an exception
    to raise (after the write when ``apply_then_fail`` lists that request number).
    """

    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    faults: list[int | Exception | None] = field(default_factory=list)
    apply_then_fail: set[int] = field(default_factory=set)
    next_id: int = 100

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        number = len(self.requests)
        fault = self.faults.pop(0) if self.faults else None
        if isinstance(fault, int):
            return ns_error(fault, "CONCURRENCY_LIMIT_EXCEEDED" if fault == 429 else "X", "fault")
        if isinstance(fault, Exception) and number not in self.apply_then_fail:
            raise fault
        response = self.route(request)
        if isinstance(fault, Exception):
            raise fault
        return response

    def find(self, record_type: str, key: str) -> tuple[str, dict[str, Any]] | None:
        table = self.records.get(record_type, {})
        if key.startswith("eid:"):
            for rid, rec in table.items():
                if rec.get("externalId") == key[4:]:
                    return rid, rec
            return None
        return (key, table[key]) if key in table else None

    def location(self, record_type: str, rid: str) -> dict[str, str]:
        return {"Location": f"{BASE}/services/rest/record/v1/{record_type}/{rid}"}

    def route(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")[5:]  # after /services/rest/record/v1
        method = request.method
        record_type, key = parts[0], parts[1]
        found = self.find(record_type, key)
        if method == "PUT":
            body = body_of(request)
            if found is None:
                self.next_id += 1
                rid = str(self.next_id)
                self.records.setdefault(record_type, {})[rid] = {
                    "id": rid,
                    "externalId": key[4:],
                    **body,
                }
            else:
                rid = found[0]
                found[1].update(body)
            return httpx.Response(204, headers=self.location(record_type, rid))
        if found is None:
            return ns_error(404, "NONEXISTENT_ID", "Record does not exist.")
        rid, record = found
        if method == "GET":
            return httpx.Response(200, json=record)
        if method == "PATCH":
            record.update(body_of(request))
            return httpx.Response(204, headers=self.location(record_type, rid))
        return httpx.Response(405)
