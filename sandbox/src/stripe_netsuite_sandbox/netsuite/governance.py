"""Account governance and trouble on demand: the concurrency limit, latency, injected faults.

Wraps the sandbox's ASGI app. Only NetSuite's own paths (``/services/rest/``, minus the token
endpoint) are governed and counted; ``/__sandbox`` is never touched.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from stripe_netsuite_sandbox.netsuite import errors

Scope = dict[str, Any]
Message = dict[str, Any]
FAULT_KINDS = ("error", "hang", "drop", "lost")
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ConnectionDropped(Exception):
    """Raised after a partial response so the server closes the connection mid-answer."""


class _QuietDrops(logging.Filter):
    """Keeps injected drops out of the server's error log: they are on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


def quiet_server_logs() -> None:
    """Install the filter on uvicorn's error logger (once per process)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in logger.filters):
        logger.addFilter(_QuietDrops())


@dataclass
class Stats:
    """What the sandbox has seen since start or the last reset."""

    by_method: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    writes: int = 0
    throttled: int = 0
    in_flight: int = 0
    max_in_flight: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": sum(self.by_method.values()),
            "by_method": dict(self.by_method),
            "by_status": dict(self.by_status),
            "writes": self.writes,
            "throttled": self.throttled,
            "faults": sum(self.faults.values()),
            "faults_by_kind": dict(self.faults),
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
        }

    def reset(self) -> None:
        in_flight = self.in_flight
        self.__init__()  # type: ignore[misc]
        self.in_flight = in_flight
        self.max_in_flight = in_flight


@dataclass
class Policy:
    """The knobs of governance and fault injection."""

    concurrency: int
    latency_ms: int
    fault_rate: float
    seed: int
    hang_seconds: float


class Governor:
    """ASGI middleware enforcing the policy around *app*."""

    def __init__(self, app: Any, policy: Policy, stats: Stats) -> None:
        self.app = app
        self.policy = policy
        self.stats = stats
        self.rng = random.Random(policy.seed)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not path.startswith("/services/rest/")
            or path.startswith("/services/rest/auth/")
        ):
            await self.app(scope, receive, send)
            return
        stats = self.stats
        stats.by_method[scope["method"]] += 1

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                stats.by_status[str(message["status"])] += 1
            await send(message)

        if stats.in_flight >= self.policy.concurrency:
            stats.throttled += 1
            await _send_error(counting_send, errors.concurrency_exceeded())
            return
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        released = False
        try:
            if self.policy.latency_ms:
                await asyncio.sleep(self.policy.latency_ms / 1000)
            fault = self._pick_fault()
            if fault == "hang":
                # Release the slot first: a client that gave up must not starve the account.
                stats.in_flight -= 1
                released = True
                await _hang(receive, self.policy.hang_seconds)
                await _send_error(counting_send, errors.unexpected())
            elif fault == "error":
                await _send_error(counting_send, errors.unexpected())
            elif fault == "drop":
                await _drop(send)
            elif fault == "lost":
                await self.app(scope, receive, _discard)
                if self.rng.random() < 0.5:
                    await _send_error(counting_send, errors.unexpected())
                else:
                    await _drop(send)
            else:
                await self.app(scope, receive, counting_send)
        finally:
            if not released:
                stats.in_flight -= 1

    def _pick_fault(self) -> str | None:
        if self.policy.fault_rate <= 0 or self.rng.random() >= self.policy.fault_rate:
            return None
        kind = self.rng.choice(FAULT_KINDS)
        self.stats.faults[kind] += 1
        return kind


async def _hang(receive: Any, seconds: float) -> None:
    """Say nothing for *seconds*, or until the client gives up and disconnects."""

    async def until_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(until_disconnect(), timeout=seconds)
    except TimeoutError:
        pass


async def _discard(message: Message) -> None:
    return None


async def _send_error(send: Any, error: errors.NetSuiteError) -> None:
    body = error.encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", errors.ERROR_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Any) -> None:
    """Start an answer and break off, which makes the server close the connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"', "more_body": True})
    raise ConnectionDropped("connection dropped by fault injection")
