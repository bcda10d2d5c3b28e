"""Signed webhook delivery from a background task, with retries and fault switches."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from typing import Any

import httpx

from stripe_netsuite_sandbox.stripe.state import Delivery, Sandbox

log = logging.getLogger(__name__)

#: Retries after the first attempt, and the backoff before each (seconds).
RETRY_DELAYS = (1.0, 4.0, 16.0)


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    """`t=…,v1=HMAC_SHA256(secret, "t.payload")`, as Stripe signs webhooks."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class Deliverer:
    """Posts queued events to their endpoints; `flush()` delivers everything now."""

    def __init__(self, sb: Sandbox, *, timeout: float = 10.0) -> None:
        self.sb = sb
        self.timeout = timeout
        self.client: httpx.AsyncClient | None = None
        self.lock: asyncio.Lock | None = None
        self.wake: asyncio.Event | None = None
        self.task: asyncio.Task[None] | None = None
        self.stats = {"delivered": 0, "failed": 0, "dropped": 0, "duplicated": 0}

    def _ensure(self) -> tuple[httpx.AsyncClient, asyncio.Lock]:
        if self.client is None:
            self.client = httpx.AsyncClient(timeout=self.timeout)
        if self.lock is None:
            self.lock = asyncio.Lock()
        return self.client, self.lock

    async def start(self) -> None:
        """Start the background task (from the app's lifespan)."""
        self._ensure()
        self.wake = asyncio.Event()
        self.sb.on_outbox = self.wake.set
        if self.sb.outbox:
            self.wake.set()
        self.task = asyncio.create_task(self._run(), name="stripe-sandbox-webhooks")

    async def stop(self) -> None:
        """Stop the background task and close the HTTP client."""
        self.sb.on_outbox = None
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
            self.task = None
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    async def _run(self) -> None:
        assert self.wake is not None
        while True:
            waits = [d.not_before for d in self.sb.outbox]
            timeout = None
            if waits and self.sb.deliver_webhooks:
                # Sleep until the earliest retry is due (never a busy loop).
                timeout = max(0.05, min(waits) - time.monotonic())
            try:
                await asyncio.wait_for(self.wake.wait(), timeout)
            except TimeoutError:
                pass
            self.wake.clear()
            if not self.sb.deliver_webhooks:
                continue
            try:
                await self.deliver(force=False)
            except Exception:  # the loop must survive a bad endpoint
                log.exception("webhook delivery round failed")

    async def flush(self) -> dict[str, int]:
        """Deliver every pending event now (retries included); returns counters."""
        return await self.deliver(force=True)

    async def deliver(self, *, force: bool) -> dict[str, int]:
        """One delivery round over what is due (or everything, when *force*)."""
        client, lock = self._ensure()
        async with lock:
            now = time.monotonic()
            due = [d for d in self.sb.outbox if force or d.not_before <= now]
            if not due:
                return self._report(0)
            taken = {id(d) for d in due}
            self.sb.outbox[:] = [d for d in self.sb.outbox if id(d) not in taken]
            if self.sb.shuffle:
                self.sb.rng.shuffle(due)
            sent = 0
            for d in due:
                if self.sb.drop_rate and self.sb.rng.random() < self.sb.drop_rate:
                    self.stats["dropped"] += 1
                    continue
                ok = await self._post(client, d)
                sent += 1
                if ok and self.sb.duplicate_rate and self.sb.rng.random() < self.sb.duplicate_rate:
                    self.stats["duplicated"] += 1
                    await self._post(client, d)
                if not ok:
                    self._retry(d)
            return self._report(sent)

    def _report(self, sent: int) -> dict[str, int]:
        return {"sent": sent, "pending": len(self.sb.outbox), **self.stats}

    def _retry(self, d: Delivery) -> None:
        if d.attempts > len(RETRY_DELAYS):
            self.stats["failed"] += 1
            log.warning("webhook gave up url=%s event_id=%s", d.url, d.event_id)
            return
        d.not_before = time.monotonic() + RETRY_DELAYS[d.attempts - 1]
        self.sb.outbox.append(d)

    async def _post(self, client: httpx.AsyncClient, d: Delivery) -> bool:
        d.attempts += 1
        headers: dict[str, Any] = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature_header(d.payload, d.secret),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        try:
            resp = await client.post(d.url, content=d.payload.encode(), headers=headers)
        except httpx.HTTPError as exc:
            log.info("webhook failed url=%s event_id=%s error=%s", d.url, d.event_id, exc)
            return False
        if 200 <= resp.status_code < 300:
            self.stats["delivered"] += 1
            event = self.sb.store.get(d.event_id)
            if event is not None and event.get("pending_webhooks"):
                event["pending_webhooks"] -= 1
                self.sb.touch(event)
            return True
        log.info(
            "webhook refused url=%s event_id=%s status=%s", d.url, d.event_id, resp.status_code
        )
        return False
