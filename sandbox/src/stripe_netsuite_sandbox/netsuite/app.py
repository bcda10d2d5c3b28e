"""The NetSuite sandbox as an ASGI app: REST record API, SuiteQL, OAuth 2.0 token endpoint.

``create_app(SandboxConfig(...))`` returns the app; ``/__sandbox/*`` adds statistics and an
export of every record for tests and the demo.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stripe_netsuite_sandbox.netsuite import (
    auth,
    errors,
    gl,
    governance,
    jsonio,
    periods,
    suiteql,
    user,
)
from stripe_netsuite_sandbox.netsuite.account import Account
from stripe_netsuite_sandbox.netsuite.filters import compile_filter
from stripe_netsuite_sandbox.netsuite.governance import Governor, Policy, Stats
from stripe_netsuite_sandbox.netsuite.render import Renderer

SINGULAR = "application/vnd.oracle.resource+json; type=singular"
COLLECTION = "application/vnd.oracle.resource+json; type=collection"
MAX_LIMIT = 1000
MAX_RESULTS = 100_000


@dataclass
class SandboxConfig:
    """How the sandbox account is set up; every field has a documented default."""

    account_id: str = "1234567_SB1"
    consumer_key: str = "sandbox-consumer-key"
    consumer_secret: str = "sandbox-consumer-secret"
    token_id: str = "sandbox-token-id"
    token_secret: str = "sandbox-token-secret"
    client_id: str = "sandbox-client"
    certificate_id: str = "sandbox-cert"
    #: OAuth 2.0 client certificate's public key (PEM key or X.509 certificate); None refuses
    #: OAuth 2.0 unless ``allow_any_bearer``.
    public_key_pem: bytes | None = None
    concurrency: int = 5
    latency_ms: int = 0
    fault_rate: float = 0.0
    #: SQLite file that keeps the records across restarts; None keeps them in memory.
    db_path: str | None = None
    #: Seed of the fault-injection random generator.
    seed: int = 0
    auth_required: bool = True
    #: Accept any bearer token without the token endpoint (demos without a certificate).
    allow_any_bearer: bool = False
    #: How long an injected hang lasts before the answer (a 500) is written.
    hang_seconds: float = 120.0
    #: First and last fiscal year of the accounting-period calendar (``periods``).
    period_years: tuple[int, int] = (periods.FIRST_YEAR, periods.LAST_YEAR)


class _Sandbox:
    """Request handlers bound to one account."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.stats = Stats()
        self.account = Account(
            db_path=config.db_path, on_write=self._count_write, period_years=config.period_years
        )
        key = auth.load_public_key(config.public_key_pem) if config.public_key_pem else None
        self.auth = auth.Authenticator(
            auth.Credentials(
                account_id=config.account_id,
                consumer_key=config.consumer_key,
                consumer_secret=config.consumer_secret,
                token_id=config.token_id,
                token_secret=config.token_secret,
                client_id=config.client_id,
                certificate_id=config.certificate_id,
                public_key=key,
                allow_any_bearer=config.allow_any_bearer,
            )
        )

    def _count_write(self) -> None:
        self.stats.writes += 1

    # -- plumbing -----------------------------------------------------------------------------

    async def _authenticate(self, request: Request) -> bytes:
        body = await request.body()
        if not self.config.auth_required:
            return body
        raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
        raw = raw_path.decode("latin-1").split("?", 1)[0]
        self.auth.check(
            method=request.method,
            scheme=request.scope.get("scheme", "http"),
            host=_host(request),
            raw_path=raw,
            query=request.scope.get("query_string", b"").decode("latin-1"),
            authorization=request.headers.get("authorization", ""),
            body=body,
        )
        return body

    def _renderer(self, request: Request) -> Renderer:
        acc = self.account
        return Renderer(acc.dic, acc.store, acc.ledger, _base(request))

    # -- record API --------------------------------------------------------------------------

    async def collection(self, request: Request) -> Response:
        raw = await self._authenticate(request)
        rtype = self.account.record_type(request.path_params["rtype"])
        if request.method == "POST":
            # A new record has no lines to keep: replace is checked and changes nothing.
            self.account.sublist_names(rtype, request.query_params.get("replace"))
            converter = self.account.converter(_name_validation(request))
            body = converter.record(rtype, jsonio.loads(raw))
            rid = self.account.create(rtype, body)
            return _created(request, rid)
        return self._list(request, rtype)

    def _list(self, request: Request, rtype: str) -> Response:
        limit, offset = _paging(request, default_limit=MAX_LIMIT)
        q = request.query_params.get("q")
        store = self.account.store
        ids = store.ids(rtype)
        if q:
            pred = compile_filter(q, self.account.dic.records[rtype])
            ids = [rid for rid in ids if pred(store.get(rtype, rid) or {})]
        total = len(ids)
        page = ids[offset : offset + limit]
        renderer = self._renderer(request)
        url = f"{renderer.href(request.path_params['rtype'])}"
        items = [{"links": renderer.links(rtype, rid), "id": rid} for rid in page]
        payload = _page(url, {"q": q} if q else {}, items, limit, offset, total)
        return _json(payload, COLLECTION)

    async def item(self, request: Request) -> Response:
        raw = await self._authenticate(request)
        acc = self.account
        rtype = acc.record_type(request.path_params["rtype"])
        key = request.path_params["rid"]
        if request.method == "GET":
            body = acc.get(rtype, key)
            fields = request.query_params.get("fields")
            rendered = self._renderer(request).record(
                rtype,
                body,
                expand=_flag(request, "expandSubResources"),
                simple_enum=_flag(request, "simpleEnumFormat"),
                fields={f.strip().lower() for f in fields.split(",")} if fields else None,
            )
            return _json(rendered, SINGULAR)
        if request.method == "DELETE":
            acc.delete(rtype, key)
            return Response(status_code=204)
        replace = acc.sublist_names(rtype, request.query_params.get("replace"))
        converter = acc.converter(_name_validation(request))
        body = converter.record(rtype, jsonio.loads(raw))
        if request.method == "PUT":
            if not key.startswith("eid:") or len(key) == 4:
                raise errors.invalid_request(
                    "You can only use the upsert operation when you use an external ID in the "
                    "request URL (eid:...) and the PUT method."
                )
            rid = acc.upsert(rtype, key[4:], body, replace)
        else:
            rid = acc.patch(rtype, key, body, replace)
        return _created(request, rid, rtype_path=request.path_params["rtype"])

    async def subresource(self, request: Request) -> Response:
        raw = await self._authenticate(request)
        acc = self.account
        rtype = acc.record_type(request.path_params["rtype"])
        sub = request.path_params["sub"]
        body = acc.get(rtype, request.path_params["rid"])
        if sub.startswith("!transform/") and request.method == "POST":
            target = acc.record_type(sub.split("/", 1)[1])
            overrides = jsonio.loads(raw) if raw.strip() else {}
            converter = acc.converter(_name_validation(request))
            converted = converter.record(target, overrides)
            rid = acc.transform(rtype, body, target, converted)
            return _created(request, rid, rtype_path=target)
        schema = acc.dic.records[rtype]
        spec = schema.lookup(sub)
        if request.method != "GET" or spec is None or spec.name not in schema.sublists:
            raise errors.not_found()
        renderer = self._renderer(request)
        full = renderer.record(rtype, body, expand=True)
        return _json(full.get(spec.name) or {"links": [], "items": []}, COLLECTION)

    async def suiteql(self, request: Request) -> Response:
        raw = await self._authenticate(request)
        if request.headers.get("prefer", "").strip().lower() != "transient":
            raise errors.NetSuiteError(
                400,
                "INVALID_HEADER",
                "Invalid or missing header Prefer: SuiteQL queries require 'Prefer: transient'.",
            )
        payload = jsonio.loads(raw)
        if not isinstance(payload, dict) or not isinstance(payload.get("q"), str):
            raise errors.invalid_request('The body must be {"q": "SELECT ..."}.')
        params = payload.get("params") or []
        if not isinstance(params, list):
            raise errors.invalid_request("params must be a list.")
        limit, offset = _paging(request, default_limit=MAX_LIMIT)
        rows = suiteql.run(self.account, payload["q"], [str(p) for p in params])
        if len(rows) > MAX_RESULTS and offset + limit > MAX_RESULTS:
            raise errors.NetSuiteError(
                400,
                "INVALID_PARAMETER",
                "The query returned more than 100000 results; narrow the query (for example "
                "with WHERE id > last id ORDER BY id).",
            )
        page = rows[offset : offset + limit]
        url = f"{_base(request)}/services/rest/query/v1/suiteql"
        items = [{"links": [], **row} for row in page]
        return _json(_page(url, {}, items, limit, offset, len(rows)), COLLECTION)

    async def token(self, request: Request) -> Response:
        raw = await request.body()
        form = dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))
        urls = {
            f"{_base(request)}{auth.TOKEN_PATH}",
            f"https://{auth.host_slug(self.config.account_id)}.suitetalk.api.netsuite.com"
            f"{auth.TOKEN_PATH}",
        }
        return JSONResponse(self.auth.issue_token(form, token_urls=urls))

    async def governance_limits(self, request: Request) -> Response:
        await self._authenticate(request)
        return JSONResponse(
            {
                "accountConcurrencyLimit": self.config.concurrency,
                "accountUnallocatedConcurrencyLimit": self.config.concurrency,
                "integrationLimitType": "accountLimit",
            }
        )

    async def unknown(self, request: Request) -> Response:
        raise errors.NetSuiteError(
            404, "INVALID_REQUEST", f"Invalid URL: {request.url.path} is not a REST resource."
        )

    # -- sandbox-only ------------------------------------------------------------------------

    async def get_stats(self, request: Request) -> Response:
        return JSONResponse(self.stats.as_json())

    async def reset_stats(self, request: Request) -> Response:
        self.stats.reset()
        return JSONResponse(self.stats.as_json())

    async def set_period(self, request: Request) -> Response:
        # Close, lock or reopen one month: {"closed": true}, {"arLocked": false}, ...
        raw = await request.body()
        change = periods.Change.from_json(jsonio.loads(raw) if raw.strip() else {})
        found = periods.set_flags(self.account.store, request.path_params["key"], change)
        return Response(jsonio.dumps(found), media_type="application/json")

    async def get_gl(self, request: Request) -> Response:
        params = request.query_params
        acc = self.account
        sums = gl.balances(
            acc,
            currency=params.get("currency"),
            as_of=params.get("as_of"),
            subsidiary=params.get("subsidiary"),
        )
        out = {
            "balances": sums,
            "unbalanced": [
                {
                    "transaction": found.transaction,
                    "type": found.record_type,
                    "debits": found.debits,
                    "credits": found.credits,
                    "problems": list(found.problems),
                }
                for found in gl.unbalanced(acc)
            ],
        }
        return Response(jsonio.dumps(out), media_type="application/json")

    async def user_action(self, request: Request) -> Response:
        raw = await request.body()
        body = jsonio.loads(raw) if raw.strip() else {}
        answer = user.act(self.account, request.path_params["action"], body)
        return Response(jsonio.dumps(answer), media_type="application/json")

    async def get_records(self, request: Request) -> Response:
        renderer = self._renderer(request)
        out = {
            rtype: [renderer.record(rtype, body, expand=True) for body in bodies]
            for rtype, bodies in self.account.all_records().items()
        }
        return Response(jsonio.dumps(out), media_type="application/json")


def _host(request: Request) -> str:
    host = request.headers.get("host")
    if host:
        return host
    server = request.scope.get("server") or ("localhost", 80)
    return f"{server[0]}:{server[1]}"


def _base(request: Request) -> str:
    return f"{request.scope.get('scheme', 'http')}://{_host(request)}"


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() == "true"


def _name_validation(request: Request) -> str:
    return request.headers.get("x-netsuite-propertynamevalidation", "warning")


def _json(payload: Any, content_type: str, status: int = 200) -> Response:
    return Response(
        jsonio.dumps(payload),
        status_code=status,
        media_type=None,
        headers={"content-type": content_type},
    )


def _created(request: Request, rid: str, *, rtype_path: str | None = None) -> Response:
    rtype = rtype_path or request.path_params["rtype"]
    location = f"{_base(request)}/services/rest/record/v1/{rtype}/{rid}"
    return Response(status_code=204, headers={"location": location})


def _paging(request: Request, *, default_limit: int) -> tuple[int, int]:
    def number(name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise _bad_param(name, f"'{raw}' is not an integer.") from exc

    limit, offset = number("limit", default_limit), number("offset", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise _bad_param("limit", f"The limit must be between 1 and {MAX_LIMIT}.")
    if offset < 0 or offset % limit:
        raise _bad_param("offset", "The offset must be a non-negative multiple of the limit.")
    return limit, offset


def _bad_param(name: str, detail: str) -> errors.NetSuiteError:
    return errors.NetSuiteError(
        400, "INVALID_PARAMETER", f"Invalid query parameter {name}. {detail}"
    )


def _page(
    url: str, extra: dict[str, str], items: list[Any], limit: int, offset: int, total: int
) -> dict[str, Any]:
    def link(rel: str, at: int) -> dict[str, str]:
        query = urlencode({**extra, "limit": limit, "offset": at})
        return {"rel": rel, "href": f"{url}?{query}"}

    has_more = offset + len(items) < total
    links = []
    if offset > 0:
        links += [link("first", 0), link("prev", max(offset - limit, 0))]
    if has_more:
        last = ((total - 1) // limit) * limit
        links += [link("next", offset + limit), link("last", last)]
    links.append(link("self", offset))
    return {
        "links": links,
        "count": len(items),
        "hasMore": has_more,
        "items": items,
        "offset": offset,
        "totalResults": total,
    }


async def _error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.NetSuiteError)
    return Response(
        exc.encode(), status_code=exc.status, headers={"content-type": errors.ERROR_CONTENT_TYPE}
    )


async def _http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        error = errors.NetSuiteError(
            405, "INVALID_REQUEST", f"Method {request.method} is not allowed on {request.url.path}."
        )
    else:
        error = errors.NetSuiteError(exc.status_code, "INVALID_REQUEST", str(exc.detail))
    return await _error_handler(request, error)


async def _crash_handler(request: Request, exc: Exception) -> Response:
    # A bug in the sandbox still answers like NetSuite does; the server logs the traceback.
    return await _error_handler(request, errors.unexpected())


def create_app(config: SandboxConfig) -> Any:
    """The sandbox ASGI app for *config*."""
    sandbox = _Sandbox(config)
    rec = "/services/rest/record/v1"
    routes = [
        Route(auth.TOKEN_PATH, sandbox.token, methods=["POST"]),
        Route("/services/rest/query/v1/suiteql", sandbox.suiteql, methods=["POST"]),
        Route(
            "/services/rest/system/v1/governanceLimits", sandbox.governance_limits, methods=["GET"]
        ),
        Route(rec + "/{rtype}", sandbox.collection, methods=["GET", "POST"]),
        Route(rec + "/{rtype}/{rid}", sandbox.item, methods=["GET", "PATCH", "PUT", "DELETE"]),
        Route(rec + "/{rtype}/{rid}/{sub:path}", sandbox.subresource, methods=["GET", "POST"]),
        Route("/__sandbox/stats", sandbox.get_stats, methods=["GET"]),
        Route("/__sandbox/stats/reset", sandbox.reset_stats, methods=["POST"]),
        Route("/__sandbox/periods/{key}", sandbox.set_period, methods=["POST"]),
        Route("/__sandbox/records", sandbox.get_records, methods=["GET"]),
        Route("/__sandbox/gl", sandbox.get_gl, methods=["GET"]),
        Route("/__sandbox/user/{action:path}", sandbox.user_action, methods=["POST"]),
        Route(
            "/services/rest/{rest:path}",
            sandbox.unknown,
            methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        ),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        sandbox.account.store.close()

    app = Starlette(
        routes=routes,
        exception_handlers={
            errors.NetSuiteError: _error_handler,
            HTTPException: _http_error_handler,
            Exception: _crash_handler,
        },
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    policy = Policy(
        concurrency=config.concurrency,
        latency_ms=config.latency_ms,
        fault_rate=config.fault_rate,
        seed=config.seed,
        hang_seconds=config.hang_seconds,
    )
    governance.quiet_server_logs()
    governed = Governor(app, policy, sandbox.stats)
    governed.sandbox = sandbox  # type: ignore[attr-defined]
    return governed
