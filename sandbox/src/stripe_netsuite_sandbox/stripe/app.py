"""The Stripe sandbox ASGI app: Stripe's v1 wire protocol over the in-process state."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stripe_netsuite_sandbox.stripe import (
    charges,
    checkout,
    clock,
    collection,
    delivery,
    disputes,
    errors,
    forms,
    hosted,
    ledger,
    params,
    payment_links,
    ratelimit,
    routes,
)
from stripe_netsuite_sandbox.stripe.state import API_VERSION, Sandbox
from stripe_netsuite_sandbox.stripe.store import Store

log = logging.getLogger(__name__)


@dataclass
class StripeSandboxConfig:
    """How a sandbox starts: credentials, webhooks, persistence, faults and the clock."""

    api_key: str = "sk_test_sandbox"
    account_id: str = "acct_sandbox"
    default_currency: str = "usd"
    #: Currencies held and paid out as they are; others settle in ``default_currency``.
    settlement_currencies: tuple[str, ...] = ()
    webhooks: list[str] = field(default_factory=list)
    db_path: str | None = None
    duplicate_rate: float = 0.0
    shuffle: bool = False
    drop_rate: float = 0.0
    seed: int = 0
    deliver_webhooks: bool = True
    start_time: int | None = None
    #: Days of sandbox time the events list reaches back. Stripe keeps 30; a run that
    #: compresses weeks of sandbox time into seconds may keep more, so that a poller that
    #: is down for seconds of real time is not taken to be down for weeks.
    event_retention_days: int = 30
    #: Share of /v1 requests answered 429 (rate limited) before doing anything.
    rate_limit_rate: float = 0.0
    #: Share of /v1 requests answered 500 (`Stripe-Should-Retry: true`) before doing anything.
    server_error_rate: float = 0.0
    #: Reads (GET /v1/...) admitted per second, as Stripe meters them (a token bucket of
    #: one second's reads); above it, 429 ``rate_limit``. Test mode's figure; 0: no limit.
    read_rate_limit: float = ratelimit.TEST_MODE_READS_PER_SECOND

    def __post_init__(self) -> None:
        for name in ("duplicate_rate", "drop_rate", "rate_limit_rate", "server_error_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"StripeSandboxConfig.{name} must be within [0, 1], got {value}")
        if not self.api_key:
            raise ValueError("StripeSandboxConfig.api_key must not be empty")
        if self.event_retention_days < 1:
            raise ValueError("StripeSandboxConfig.event_retention_days must be at least 1")
        if self.read_rate_limit < 0:
            raise ValueError("StripeSandboxConfig.read_rate_limit must not be negative")


def build_sandbox(config: StripeSandboxConfig) -> Sandbox:
    """The state object for *config* (loads the database when there is one)."""
    store = Store(config.db_path)
    sb = Sandbox(
        api_key=config.api_key,
        account_id=config.account_id,
        default_currency=config.default_currency.lower(),
        settlement_currencies=frozenset(c.lower() for c in config.settlement_currencies),
        seed=config.seed,
        store=store,
        frozen=config.start_time is not None,
        duplicate_rate=config.duplicate_rate,
        shuffle=config.shuffle,
        drop_rate=config.drop_rate,
        deliver_webhooks=config.deliver_webhooks,
        event_retention=config.event_retention_days * 86_400,
        rng=random.Random(config.seed),
        fault_rng=random.Random(config.seed + 1),
    )
    sb.faults = (config.rate_limit_rate, config.server_error_rate)
    sb.start_clock(config.start_time if config.start_time is not None else int(time.time()))
    store.kv.setdefault("processed_until", sb.wall())
    sb.includables[("invoice", "payments")] = lambda inv: collection.payments(sb, inv)
    sb.includables[("checkout.session", "line_items")] = lambda cs: checkout.line_items(sb, cs)
    sb.includables[("charge", "refunds")] = lambda ch: charges.refunds_list(sb, ch)
    sb.includables[("dispute", "balance_transactions")] = lambda dp: disputes.balance_transactions(
        sb, dp
    )
    for ep in store.all_of("webhook_endpoint"):
        if not ep.get("_deleted"):
            sb.webhook_secrets[ep["url"]] = ep["_secret"]
    for url in config.webhooks:
        sb.add_webhook(url)
    sb.commit()
    return sb


def _authenticate(sb: Sandbox, request: Request) -> None:
    header = request.headers.get("authorization", "")
    key = ""
    if header.lower().startswith("bearer "):
        key = header[7:].strip()
    elif header.lower().startswith("basic "):
        try:
            key = base64.b64decode(header[6:].strip()).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            key = ""
    if not key:
        raise errors.StripeError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
            status=401,
            type="invalid_request_error",
        )
    if key != sb.api_key:
        shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else key
        raise errors.StripeError(
            f"Invalid API Key provided: {shown}", status=401, type="invalid_request_error"
        )


async def _read_params(request: Request) -> dict[str, Any]:
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    q = forms.decode(pairs)
    if request.method in {"POST", "DELETE"}:
        body = await request.body()
        if body:
            kind = request.headers.get("content-type", "")
            if "json" in kind:
                try:
                    data = json.loads(body)
                except ValueError:
                    raise errors.invalid("The request body is not valid JSON.") from None
                if not isinstance(data, dict):
                    raise errors.invalid("The request body must be a JSON object.")
                q.update(data)
            else:
                try:
                    text = body.decode()
                except UnicodeDecodeError:
                    raise errors.invalid("The request body is not valid UTF-8.") from None
                q.update(forms.decode(parse_qsl(text, keep_blank_values=True)))
    return q


def _response(sb: Sandbox, status: int, body: Any, extra: dict[str, str] | None = None) -> Response:
    headers = {"Request-Id": sb.request_id or "", "Stripe-Version": API_VERSION}
    headers.update(extra or {})
    return JSONResponse(body, status_code=status, headers=headers)


def _injected_fault(sb: Sandbox) -> Response | None:
    rate_limited, server_error = sb.faults
    if rate_limited and sb.fault_rng.random() < rate_limited:
        err = errors.StripeError(
            "Too many requests hit the API too quickly. We recommend an exponential backoff "
            "of your requests.",
            status=429,
            type="invalid_request_error",
            code="rate_limit",
        )
        return _response(sb, 429, err.body(), {"Stripe-Should-Retry": "false"})
    if server_error and sb.fault_rng.random() < server_error:
        body = {"error": {"type": "api_error", "message": "An unknown error occurred"}}
        return _response(sb, 500, body, {"Stripe-Should-Retry": "true"})
    return None


async def api(request: Request) -> Response:
    """Every `/v1/...` request."""
    sb: Sandbox = request.app.state.sandbox
    stored_key = None
    try:
        q = await _read_params(request)
        # Set only after the last await: requests interleave at awaits, and these are
        # shared by the one sandbox.
        sb.request_id = "req_" + sb.token(14)
        sb.idempotency_key = request.headers.get("idempotency-key")
        _authenticate(sb, request)
        method, path = request.method, request.url.path
        if method == "GET" and not request.app.state.read_limiter.admit():
            refused = ratelimit.refusal()
            return _response(sb, 429, refused.body(), ratelimit.REFUSAL_HEADERS)
        fault = _injected_fault(sb)
        if fault is not None:
            return fault
        if method == "POST" and sb.idempotency_key:
            stored_key = "idem:" + hashlib.sha256(sb.idempotency_key.encode()).hexdigest()
            fingerprint = hashlib.sha256(
                json.dumps([method, path, q], sort_keys=True).encode()
            ).hexdigest()
            seen = sb.store.kv.get(stored_key)
            if seen is not None:
                if seen["fp"] != fingerprint:
                    raise errors.StripeError(
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with. Try using a key other than "
                        f"'{sb.idempotency_key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    )
                return _response(sb, seen["status"], seen["body"], {"Idempotent-Replayed": "true"})
        found = routes.match(method, path)
        if found is None:
            raise errors.StripeError(
                f"Unrecognized request URL ({method}: {path}). Please see "
                "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                status=404,
            )
        if sb.wall() >= sb.next_check:
            clock.run_due(sb)
        handler, ids = found
        result = handler(sb, q, *ids)
        expand = [str(e) for e in params.array(q, "expand")]
        if isinstance(result, dict) and result.get("object") in {"list", "search_result"}:
            body = result
        else:
            body = sb.render(result, expand)
        status = 200
    except errors.StripeError as exc:
        status, body = exc.status, exc.body()
        body["error"]["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{sb.request_id}"
    except Exception:
        log.exception("sandbox request failed path=%s", request.url.path)
        status = 500
        body = {"error": {"type": "api_error", "message": "An unknown error occurred"}}
    if stored_key is not None:
        sb.store.set(stored_key, {"fp": fingerprint, "status": status, "body": body})
    sb.commit()
    sb.request_id = None
    sb.idempotency_key = None
    return _response(sb, status, body)


async def sandbox_api(request: Request) -> Response:
    """`/__sandbox/...`: clock, payouts, object export, webhook flush."""
    sb: Sandbox = request.app.state.sandbox
    deliverer: delivery.Deliverer = request.app.state.deliverer
    sb.request_id = "req_" + sb.token(14)
    try:
        _authenticate(sb, request)
        q = await _read_params(request)
        name = request.path_params["name"]
        body: Any
        if request.method == "POST" and name == "advance":
            body = clock.advance(sb, q)
        elif request.method == "POST" and name == "payout_all":
            body = clock.payout_all(sb)
        elif request.method == "GET" and name == "objects":
            body = export(sb)
        elif request.method == "GET" and name == "clock":
            body = {"object": "sandbox.clock", "now": sb.wall()}
        elif request.method == "POST" and name == "webhooks/flush":
            sb.commit()
            body = await deliverer.flush()
        elif request.method == "POST" and name == "webhooks":
            url = params.string(q, "url", required=True)
            assert url is not None
            body = {"url": url, "secret": sb.add_webhook(url)}
        elif request.method == "POST" and name.startswith("payouts/") and name.endswith("/fail"):
            po = sb.need(name.split("/")[1], "payout")
            code = params.string(q, "failure_code") or "account_closed"
            body = sb.render(ledger.fail_payout(sb, po, code))
        elif request.method == "POST" and name == "balance_transactions":
            body = sb.render(_adjustment(sb, q))
        else:
            raise errors.StripeError(
                f"Unknown sandbox endpoint: {request.method} /__sandbox/{name}", status=404
            )
        status = 200
    except errors.StripeError as exc:
        status, body = exc.status, exc.body()
    sb.commit()
    return _response(sb, status, body)


def _adjustment(sb: Sandbox, q: dict[str, Any]) -> Any:
    """An account adjustment as Stripe's staff make them (available at once)."""
    amount = params.integer(q, "amount", required=True)
    assert amount is not None
    return ledger.record(
        sb,
        amount=amount,
        currency_code=params.currency(q) or sb.default_currency,
        type=params.string(q, "type") or "adjustment",
        category=params.string(q, "reporting_category") or "other_adjustment",
        source=params.string(q, "source") or "",
        description=params.string(q, "description") or "Account adjustment",
        available_on=sb.now(),
    )


def export(sb: Sandbox) -> dict[str, Any]:
    """Every object, grouped by its `object` type, oldest first."""
    out: dict[str, list[Any]] = {}
    for oid in sorted(sb.store.objects, key=lambda i: sb.store.seq[i]):
        obj = sb.store.objects[oid]
        out.setdefault(str(obj.get("object")), []).append(sb.render(obj))
    return {"object": "sandbox.objects", "now": sb.wall(), "objects": out}


def create_app(config: StripeSandboxConfig | None = None) -> Starlette:
    """The sandbox as an ASGI app; `app.state.sandbox` is its state."""
    config = config or StripeSandboxConfig()
    sb = build_sandbox(config)
    deliverer = delivery.Deliverer(sb)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await deliverer.start()
        try:
            yield
        finally:
            await deliverer.stop()
            sb.store.close()

    app = Starlette(
        routes=[
            Route("/__sandbox/{name:path}", sandbox_api, methods=["GET", "POST"]),
            Route(hosted.PATH, hosted.page, methods=["GET", "POST"]),
            Route(checkout.PATH, checkout.page, methods=["GET", "POST"]),
            Route(payment_links.PATH, payment_links.page, methods=["GET", "POST"]),
            Route("/{path:path}", api, methods=["GET", "POST", "DELETE"]),
        ],
        lifespan=lifespan,
    )
    app.state.sandbox = sb
    app.state.deliverer = deliverer
    app.state.read_limiter = ratelimit.ReadLimiter(config.read_rate_limit)
    return app
