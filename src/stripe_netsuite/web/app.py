"""The ASGI app: Stripe webhook intake, health, and the worker in-process.

Nothing else answers: no status API and no OpenAPI schema or docs pages, which would tell
anyone who can reach the webhook URL about the engine's jobs and routes. Job and event
counts are ``stripe-netsuite status``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from stripe_netsuite import flows
from stripe_netsuite.engine.intake import Intake, accept
from stripe_netsuite.settings import DEFAULT_WEBHOOK_MAX_BYTES, Config
from stripe_netsuite.stripe_api.webhooks import WebhookRejected, verify
from stripe_netsuite.web import delivery, probes

log = logging.getLogger(__name__)


def create_app(
    *,
    config: Config,
    database: sa.Engine,
    lifespan: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]] | None = None,
    webhook_max_bytes: int = DEFAULT_WEBHOOK_MAX_BYTES,
) -> FastAPI:
    """The web app; *lifespan* may start the worker beside it (``serve``).

    *webhook_max_bytes* caps a webhook body (``SNS_WEBHOOK_MAX_BYTES``).
    """
    app = FastAPI(
        title="stripe-netsuite",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.wake = lambda: None
    app.state.heartbeats = {}  # the worker's and the scheduler's, when the lifespan runs them

    @app.post("/webhooks/stripe/{account}")
    async def stripe_webhook(account: str, request: Request) -> JSONResponse:
        # Refusals come before the body is read, and an account that does not exist (or
        # has webhooks off) fails verification like a forgery: the answers tell no names.
        signature = request.headers.get("stripe-signature")
        if not signature:
            return _rejected("missing Stripe-Signature header")
        try:
            payload = await delivery.read_body(request, limit=webhook_max_bytes)
        except delivery.BodyTooLarge as exc:
            log.warning("webhook refused account=%r reason=%s", account, exc)
            return JSONResponse({"error": str(exc)}, status_code=413)
        except delivery.BadLength:
            return _rejected("Content-Length is not a number")
        secret, problem = delivery.signing_secret(config, account)
        try:
            ref = verify(payload, signature, secret)
        except WebhookRejected as exc:
            log.warning("webhook rejected account=%r reason=%s", account, problem or exc.reason)
            return _rejected(exc.reason)
        cfg = config.account(account)
        outcome = await asyncio.to_thread(
            accept, database, account=account, ref=ref, kinds=flows.enabled_kinds(cfg)
        )
        if outcome is Intake.QUEUED:
            app.state.wake()
        return JSONResponse({"received": True, "event": ref.event_id, "outcome": outcome.value})

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        # Liveness only: the loop answers. The database and the loops are for /readyz.
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        status, body = await probes.readiness(database, app.state.heartbeats)
        return JSONResponse(body, status_code=status)

    return app


def _rejected(reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=400)


def worker_lifespan(
    runtime_factory: Callable[[], Any],
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """A lifespan that runs the engine's worker and scheduler beside the web app."""
    from stripe_netsuite.engine.runtime import running

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = runtime_factory()
        async with running(runtime) as worker:
            app.state.wake = worker.wake
            app.state.heartbeats = runtime.heartbeats
            yield

    return lifespan
