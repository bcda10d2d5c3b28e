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

from stripe_netsuite.engine import metrics
from stripe_netsuite.settings import DEFAULT_WEBHOOK_MAX_BYTES, Config, Settings
from stripe_netsuite.web import netsuite_delivery, probes
from stripe_netsuite.web.request_ids import RequestIds
from stripe_netsuite.web.stripe_webhook import PREFIX, StripeWebhooks, account_of

log = logging.getLogger(__name__)


class EngineApp(FastAPI):
    """The framework's app, with Stripe's webhooks answered before its middleware stack.

    A webhook is the one request that comes with every Stripe event, and it needs none of
    what the console's pages need (`stripe_webhook` says what it does instead).
    """

    stripe_webhooks: StripeWebhooks | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        account = account_of(scope) if self.stripe_webhooks is not None else None
        if account is None:
            await super().__call__(scope, receive, send)
            return
        assert self.stripe_webhooks is not None
        await self.stripe_webhooks(scope, receive, send, account)


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
    app = EngineApp(
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
    app.stripe_webhooks = StripeWebhooks(
        config=config, database=database, max_bytes=webhook_max_bytes,
        wake=lambda: app.state.wake(),
    )  # fmt: skip

    # Declared for the router's 405 to other methods; a POST is answered before routing.
    app.router.routes.append(Route(PREFIX + "{account}", _answered_first, methods=["POST"]))
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


async def _answered_first(request: Request) -> Response:
    raise AssertionError("EngineApp answers Stripe's webhooks before routing")


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
