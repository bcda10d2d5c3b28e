"""``POST /webhooks/netsuite/<account>``: the SuiteScript's signed push of changed record ids.

Verified like Stripe's webhooks (`netsuite.push`); an account that does not exist, or has
no ``from_netsuite.push_secret``, fails verification the same way, so the answer tells no
names. Each record goes through the same intake as a poll would put it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from stripe_netsuite import flows
from stripe_netsuite.engine import netsuite_intake
from stripe_netsuite.engine.intake import Intake
from stripe_netsuite.netsuite import push
from stripe_netsuite.settings import Config
from stripe_netsuite.web import delivery

log = logging.getLogger(__name__)
#: Signs nothing anyone holds (unknown accounts, pushes off): they fail like a forgery.
_NOBODYS_SECRET = secrets.token_hex(32)


def install(app: FastAPI, *, config: Config, database: sa.Engine, max_bytes: int) -> None:
    """Add the push route to *app*."""

    @app.post("/webhooks/netsuite/{account}")
    async def netsuite_push(account: str, request: Request) -> JSONResponse:
        header = request.headers.get(push.HEADER)
        if not header:
            return JSONResponse({"error": "missing X-SNS-Signature header"}, status_code=400)
        try:
            payload = await delivery.read_body(request, limit=max_bytes)
        except delivery.BodyTooLarge as exc:
            return JSONResponse({"error": str(exc)}, status_code=413)
        except delivery.BadLength:
            return JSONResponse({"error": "Content-Length is not a number"}, status_code=400)
        cfg = config.accounts.get(account)
        key = cfg.from_netsuite.push_secret if cfg is not None else None
        secret = key.get_secret_value() if key is not None else ""
        try:
            found = push.verify(payload, header, secret or _NOBODYS_SECRET)
        except push.PushRejected as exc:
            log.warning("netsuite push rejected account=%r reason=%s", account, exc.reason)
            return JSONResponse({"error": exc.reason}, status_code=400)
        assert cfg is not None  # a known secret verified, so the account exists
        kinds = flows.enabled_kinds(cfg)
        outcomes = []
        for change in found:
            outcome = await asyncio.to_thread(
                netsuite_intake.accept, database, account=account, change=change, kinds=kinds,
                rules=cfg.from_netsuite,
            )  # fmt: skip
            outcomes.append(outcome.value)
        if Intake.QUEUED.value in outcomes:
            app.state.wake()
        return JSONResponse({"received": True, "outcomes": outcomes})
