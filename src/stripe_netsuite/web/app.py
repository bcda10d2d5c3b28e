"""The ASGI app: Stripe webhook intake, a JSON status API, health, and the worker in-process."""

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
from stripe_netsuite.settings import Config
from stripe_netsuite.store import inbox, queue
from stripe_netsuite.stripe_api.webhooks import WebhookRejected, verify

log = logging.getLogger(__name__)


def create_app(
    *,
    config: Config,
    database: sa.Engine,
    lifespan: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """The web app; *lifespan* may start the worker beside it (``serve``)."""
    app = FastAPI(title="stripe-netsuite", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.wake = lambda: None

    @app.post("/webhooks/stripe/{account}")
    async def stripe_webhook(account: str, request: Request) -> JSONResponse:
        cfg = config.accounts.get(account)
        if cfg is None:
            return _rejected(f"unknown account {account!r}")
        if not cfg.stripe_webhook_secret:
            return _rejected(f"account {account!r} has no stripe_webhook_secret; webhooks are off")
        payload = await request.body()
        secret = cfg.stripe_webhook_secret.get_secret_value()
        try:
            ref = verify(payload, request.headers.get("stripe-signature"), secret)
        except WebhookRejected as exc:
            log.warning("webhook rejected account=%s reason=%s", account, exc.reason)
            return _rejected(exc.reason)
        outcome = await asyncio.to_thread(
            accept, database, account=account, ref=ref, kinds=flows.enabled_kinds(cfg)
        )
        if outcome is Intake.QUEUED:
            app.state.wake()
        return JSONResponse({"received": True, "event": ref.event_id, "outcome": outcome.value})

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        await asyncio.to_thread(_ping, database)
        return {"status": "ok"}

    @app.get("/api/status")
    async def status() -> dict[str, Any]:
        counts = await asyncio.to_thread(queue.counts, database)
        events = await asyncio.to_thread(inbox.counts, database)
        jobs: dict[str, dict[str, int]] = {}
        for (kind, state), n in counts.items():
            jobs.setdefault(kind, {})[state] = n
        return {"jobs": jobs, "events": events}

    return app


def _rejected(reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=400)


def _ping(database: sa.Engine) -> None:
    with database.connect() as conn:
        conn.execute(sa.text("select 1"))


def worker_lifespan(
    runtime_factory: Callable[[], Any],
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """A lifespan that runs the engine's worker and scheduler beside the web app."""
    from stripe_netsuite.engine.runtime import running

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(runtime_factory()) as worker:
            app.state.wake = worker.wake
            yield

    return lifespan
