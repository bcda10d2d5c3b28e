"""The ASGI app: Stripe webhook intake, health, and the worker in-process.

No status API and no OpenAPI schema or docs pages, which would tell anyone who can reach
the webhook URL about the engine's jobs and routes. Given the settings (``serve``,
``demo``), the app also serves the operations console, behind its login
(`stripe_netsuite.web.console`), and ``/metrics`` (behind ``SNS_METRICS_TOKEN`` when set).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.routing import Route

from stripe_netsuite import flows
from stripe_netsuite.engine import metrics
from stripe_netsuite.engine.intake import Intake, accept
from stripe_netsuite.settings import DEFAULT_WEBHOOK_MAX_BYTES, Config, Settings
from stripe_netsuite.stripe_api.webhooks import WebhookRejected, verify
from stripe_netsuite.web import delivery, netsuite_delivery, probes
from stripe_netsuite.web.request_ids import RequestIds

log = logging.getLogger(__name__)


def create_app(
    *,
    config: Config,
    database: sa.Engine,
    lifespan: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]] | None = None,
    webhook_max_bytes: int = DEFAULT_WEBHOOK_MAX_BYTES,
    settings: Settings | None = None,
) -> FastAPI:
    """The web app; *lifespan* may start the worker beside it (``serve``).

    *webhook_max_bytes* caps a webhook body (``SNS_WEBHOOK_MAX_BYTES``). With *settings*
    the app also serves the operations console (behind its login) and ``/metrics``.
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
    app.state.contexts = {}  # the runtime's flow contexts, likewise
    app.state.monitor = None
    app.add_middleware(RequestIds)

    async def stripe_webhook(request: Request) -> Response:
        # A plain Starlette endpoint: the route needs none of FastAPI's parameter parsing.
        account: str = request.path_params["account"]
        # Refusals come before the body is read, and an account that does not exist (or
        # has webhooks off) fails verification like a forgery: the answers tell no names.
        signature = request.headers.get("stripe-signature")
        if not signature:
            metrics.WEBHOOKS.labels("rejected").inc()
            return _rejected("missing Stripe-Signature header")
        try:
            payload = await delivery.read_body(request, limit=webhook_max_bytes)
        except delivery.BodyTooLarge as exc:
            log.warning("webhook refused account=%r reason=%s", account, exc)
            metrics.WEBHOOKS.labels("too_large").inc()
            return JSONResponse({"error": str(exc)}, status_code=413)
        except delivery.BadLength:
            return _rejected("Content-Length is not a number")
        secret, problem = delivery.signing_secret(config, account)
        try:
            ref = verify(payload, signature, secret)
        except WebhookRejected as exc:
            log.warning("webhook rejected account=%r reason=%s", account, problem or exc.reason)
            metrics.WEBHOOKS.labels("rejected").inc()
            return _rejected(exc.reason)
        cfg = config.account(account)
        outcome = await asyncio.to_thread(
            accept, database, account=account, ref=ref, kinds=flows.enabled_kinds(cfg)
        )
        metrics.WEBHOOKS.labels(outcome.value).inc()
        if outcome is Intake.QUEUED:
            app.state.wake()
        return JSONResponse({"received": True, "event": ref.event_id, "outcome": outcome.value})

    # The router answers other methods with 405.
    app.router.routes.append(Route("/webhooks/stripe/{account}", stripe_webhook, methods=["POST"]))

    netsuite_delivery.install(app, config=config, database=database, max_bytes=webhook_max_bytes)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        # Liveness only: the loop answers. The database and the loops are for /readyz.
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        status, body = await probes.readiness(database, app.state.heartbeats)
        return JSONResponse(body, status_code=status)

    if settings is not None:
        _serve_console(app, settings=settings, config=config, database=database)
    return app


def _serve_console(
    app: FastAPI, *, settings: Settings, config: Config, database: sa.Engine
) -> None:
    """Add ``/metrics``, the console and the alert monitor (run by `worker_lifespan`)."""
    from stripe_netsuite.engine.monitor import Monitor
    from stripe_netsuite.web import console

    metrics.install()
    monitor = Monitor(
        settings=settings, config=config, database=database,
        contexts=lambda: app.state.contexts, heartbeats=lambda: app.state.heartbeats,
    )  # fmt: skip
    app.state.monitor = monitor
    state = console.ConsoleState(
        settings=settings, config=config, database=database,
        contexts=lambda: app.state.contexts, heartbeats=lambda: app.state.heartbeats,
        wake=lambda: app.state.wake(), monitor=monitor,
    )  # fmt: skip
    collector = metrics.EngineCollector(
        database, governors=state.governors, heartbeats=state.heartbeats,
        differences=monitor.differences, unmatched_payouts=monitor.untied_payouts,
    )  # fmt: skip

    @app.get("/metrics")
    async def serve_metrics(request: Request) -> Response:
        token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
        if token and not secrets.compare_digest(
            request.headers.get("authorization", "").encode(), f"Bearer {token}".encode()
        ):
            return Response("unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"})
        body = await asyncio.to_thread(metrics.render, collector)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    console.install(app, state)


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
            app.state.contexts = runtime.contexts
            watch = asyncio.create_task(app.state.monitor.run()) if app.state.monitor else None
            try:
                yield
            finally:
                if watch is not None:
                    watch.cancel()
                    await asyncio.gather(watch, return_exceptions=True)

    return lifespan
