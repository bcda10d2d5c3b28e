"""``POST /webhooks/stripe/<account>``: Stripe's signed deliveries, as a plain ASGI handler.

Every Stripe event the engine learns of by webhook comes through here, so this is the
busiest path of the web app, and it needs nothing of the framework: `EngineApp` answers
it before the middleware stack (exception handlers, body limits, routing, request
objects) that the console's pages use. What those layers gave it, it does itself: a
request id on the log lines and the answer (as `request_ids.RequestIds` does), a capped
body read, and a 500 with nothing of the error in it when the store fails, so that
Stripe delivers the event again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import sqlalchemy as sa

from stripe_netsuite import flows, logs
from stripe_netsuite.engine import metrics
from stripe_netsuite.engine.intake import Intake, accept
from stripe_netsuite.settings import Config
from stripe_netsuite.store import db
from stripe_netsuite.stripe_api.webhooks import WebhookRejected, verify
from stripe_netsuite.web import delivery, request_ids

log = logging.getLogger(__name__)

PREFIX = "/webhooks/stripe/"

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


def account_of(scope: Scope) -> str | None:
    """The account a ``POST /webhooks/stripe/<account>`` names; None for any other request
    (the framework answers those: other methods get its 405, deeper paths its 404)."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path: str = scope["path"]
    if not path.startswith(PREFIX):
        return None
    account = path[len(PREFIX) :]
    return account if account and "/" not in account else None


class StripeWebhooks:
    """Verifies a delivery against its account's secret and records it through `accept`."""

    def __init__(
        self, *, config: Config, database: sa.Engine, max_bytes: int, wake: Callable[[], None]
    ) -> None:
        self.config = config
        self.database = database
        self.max_bytes = max_bytes
        #: Called when an event queued a job (the worker's `wake`, once it runs).
        self.wake = wake
        #: Each account's enabled kinds: the configuration is read once per process.
        self._kinds: dict[str, frozenset[str]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send, account: str) -> None:
        headers = dict(scope["headers"])
        rid = request_ids.request_id(headers)
        token = logs.request_id.set(rid)
        try:
            status, body = await self._answer(account, headers, receive)
        except delivery.Disconnected:
            return  # the sender went away mid-body: nobody to answer, nothing recorded
        except Exception:
            # The store failed (locked, down): no 2xx, so Stripe delivers the event again.
            log.exception("webhook failed account=%r", account)
            status, body = 500, {"error": "internal error"}
        finally:
            logs.request_id.reset(token)
        content = json.dumps(body, separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(content)).encode()),
                    (request_ids.HEADER, rid.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})

    async def _answer(
        self, account: str, headers: dict[bytes, bytes], receive: Receive
    ) -> tuple[int, dict[str, Any]]:
        # Refusals come before the body is read, and an account that does not exist (or
        # has webhooks off) fails verification like a forgery: the answers tell no names.
        signature = headers.get(b"stripe-signature", b"").decode("latin-1")
        if not signature:
            metrics.WEBHOOKS.labels("rejected").inc()
            return 400, {"error": "missing Stripe-Signature header"}
        declared = headers.get(b"content-length")
        try:
            payload = await delivery.read_stream(
                None if declared is None else declared.decode("latin-1"),
                _chunks(receive),
                limit=self.max_bytes,
            )
        except delivery.BodyTooLarge as exc:
            log.warning("webhook refused account=%r reason=%s", account, exc)
            metrics.WEBHOOKS.labels("too_large").inc()
            return 413, {"error": str(exc)}
        except delivery.BadLength:
            return 400, {"error": "Content-Length is not a number"}
        secret, problem = delivery.signing_secret(self.config, account)
        try:
            ref = verify(payload, signature, secret)
        except WebhookRejected as exc:
            log.warning("webhook rejected account=%r reason=%s", account, problem or exc.reason)
            metrics.WEBHOOKS.labels("rejected").inc()
            return 400, {"error": exc.reason}
        kinds = self._kinds.get(account)
        if kinds is None:
            kinds = self._kinds[account] = flows.enabled_kinds(self.config.account(account))
        outcome = await db.run_write(self.database, accept, account=account, ref=ref, kinds=kinds)
        metrics.WEBHOOKS.labels(outcome.value).inc()
        if outcome is Intake.QUEUED:
            self.wake()
        return 200, {"received": True, "event": ref.event_id, "outcome": outcome.value}


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise delivery.Disconnected
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return
