"""The NetSuite REST client: record API, upsert by externalId, SuiteQL.

Every request waits for a governor slot, carries fresh auth headers, and is
classified once by `errors.classify`. Retriable failures back off exponentially
with jitter (`retry.backoff`). Writes are idempotent (``PUT …/eid:`` and ``PATCH``),
so a write whose answer was lost is simply sent again.

Requests are built with httpx and sent with aiohttp (`aio_transport.AiohttpTransport`,
the default transport): httpx's own pool, streams and parser cost two fifths of the
client's CPU per upsert. A *transport* given (``httpx.MockTransport`` in tests) replaces it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from stripe_netsuite import exceptions, retry
from stripe_netsuite.netsuite import errors, jsonbody, paging
from stripe_netsuite.netsuite.aio_transport import AiohttpTransport
from stripe_netsuite.netsuite.auth import Auth, auth_from_config
from stripe_netsuite.netsuite.governor import Governor
from stripe_netsuite.settings import NetSuiteConfig

Sleep = Callable[[float], Awaitable[None]]

#: Logs methods, paths, statuses, codes and sizes of the exchanges, never a body.
log = logging.getLogger(__name__)

#: Told of each exchange: (method, HTTP status or 0 when no answer came, seconds on the
#: wire). `stripe_netsuite.engine.metrics` adds one; an observer must not raise.
Observer = Callable[[str, int, float], None]
OBSERVERS: list[Observer] = []

RECORD_PATH = "/services/rest/record/v1"
SUITEQL_PATH = "/services/rest/query/v1/suiteql"


def id_from_location(location: str | None) -> str | None:
    """The internal id at the end of a ``Location`` URL, whatever host it names."""
    if not location:
        return None
    last = urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]
    return last or None


class NetSuiteClient:
    """Async client of one NetSuite account's REST web services."""

    #: Seconds of waiting for a governor slot after which a request is signed again.
    resign_after = 60.0

    def __init__(
        self,
        *,
        base_url: str,
        auth: Auth,
        governor: Governor,
        timeout: float = 30,
        max_attempts: int = 5,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: retry.Jitter = retry.equal_jitter,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.governor = governor
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._jitter = jitter
        self._http = httpx.AsyncClient(
            transport=transport if transport is not None else AiohttpTransport(timeout=timeout),
            timeout=httpx.Timeout(timeout),
        )
        self._owned: list[httpx.AsyncClient] = []
        #: HTTP requests sent to NetSuite (retries and re-sends included).
        self.calls = 0

    @classmethod
    def from_config(
        cls,
        cfg: NetSuiteConfig,
        *,
        governor: Governor,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> NetSuiteClient:
        """A client for the account *cfg* describes (its own token-endpoint connection).

        The token endpoint is asked once an hour: its client keeps httpx's own transport.
        """
        token_http = httpx.AsyncClient(transport=transport, timeout=cfg.timeout_seconds)
        client = cls(
            base_url=cfg.rest_base_url,
            auth=auth_from_config(cfg, token_http),
            governor=governor,
            timeout=cfg.timeout_seconds,
            max_attempts=cfg.max_attempts,
            transport=transport,
        )
        client._owned.append(token_http)
        return client

    async def __aenter__(self) -> NetSuiteClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()
        for http in self._owned:
            await http.aclose()

    # -- URLs ----------------------------------------------------------------

    def record_url(
        self,
        record_type: str,
        internal_id: str | int | None = None,
        *,
        external_id: str | None = None,
    ) -> str:
        """``{base}/services/rest/record/v1/{type}[/{id} | /eid:{externalId}]``.

        Each id is one percent-encoded path segment whatever it holds, so an id that
        came from outside (``1/../customer/2``, ``5?x=1``, ``eid:…``) cannot name another
        record. The ``eid:`` form is only for external ids, given as such.
        """
        url = f"{self.base_url}{RECORD_PATH}/{_segment(record_type)}"
        if internal_id is not None and external_id is not None:
            raise ValueError("record_url takes an internal id or an external id, not both")
        if internal_id is not None:
            url += "/" + _segment(str(internal_id))
        elif external_id is not None:
            # Colons stay readable: NetSuite reads them, and our external ids hold them.
            url += "/eid:" + _segment(external_id, safe=":")
        return url

    # -- record API ----------------------------------------------------------

    async def get(
        self,
        record_type: str,
        internal_id: str | int,
        *,
        expand: bool = False,
        fields: list[str] | None = None,
    ) -> dict[str, Any] | None:
        """The record with this internal id, or None when NetSuite has none (404)."""
        url = self.record_url(record_type, internal_id)
        return await self._get(url, record_type, None, expand=expand, fields=fields)

    async def get_by_external_id(
        self,
        record_type: str,
        external_id: str,
        *,
        expand: bool = False,
        fields: list[str] | None = None,
    ) -> dict[str, Any] | None:
        """The record with this externalId (``…/eid:{externalId}``), or None (404)."""
        url = self.record_url(record_type, external_id=external_id)
        return await self._get(url, record_type, external_id, expand=expand, fields=fields)

    async def _get(
        self,
        url: str,
        record_type: str,
        external_id: str | None,
        *,
        expand: bool,
        fields: list[str] | None,
    ) -> dict[str, Any] | None:
        params: dict[str, str] = {}
        if expand:
            params["expandSubResources"] = "true"
        if fields:
            params["fields"] = ",".join(fields)
        response = await self._retrying(
            "GET",
            url,
            params=params,
            record_type=record_type,
            external_id=external_id,
            missing_ok=True,
        )
        if response.status_code == 404:
            return None
        return _json_object(response, record_type)

    async def patch(
        self,
        record_type: str,
        internal_id: str | int,
        body: dict[str, Any],
        *,
        replace: Collection[str] | None = None,
    ) -> None:
        """Change the given fields of a record (PATCH is idempotent: re-sent as it is).

        Every sublist in *body* replaces the record's lines (``?replace=…``, see
        `replace_param`); a caller that means to add lines to a keyed sublist, leaving
        the others, names the sublists to replace instead (``replace=()`` for none).
        """
        await self._retrying(
            "PATCH",
            self.record_url(record_type, internal_id),
            params=replace_param(body, replace),
            body=body,
            record_type=record_type,
            external_id=body.get("externalId"),
        )

    async def delete(self, record_type: str, internal_id: str | int) -> None:
        """Delete a record; one already gone (404) counts as deleted, so a retry is safe."""
        await self._retrying(
            "DELETE",
            self.record_url(record_type, internal_id),
            record_type=record_type,
            missing_ok=True,
        )

    async def upsert(
        self,
        record_type: str,
        external_id: str,
        body: dict[str, Any],
        *,
        replace: Collection[str] = (),
    ) -> str:
        """Create or update the record keyed by *external_id*; returns its internal id.

        ``PUT …/eid:{externalId}`` is idempotent, so a lost answer is simply sent again:
        NetSuite cannot make a second record with the same externalId. The body owns its
        sublists: each is named in ``?replace=…``, or an update of an existing record
        would append the lines to the ones it has. *replace* names sublists the record
        owns even when this body has no lines for them (a deposit's ``other``): each one
        missing is sent as ``{"items": []}``, so the lines an earlier version had go.
        """
        if not external_id:
            raise ValueError(f"upsert of {record_type} needs a non-empty external_id")
        missing = [name for name in replace if name not in body]
        if missing:
            body = {**body, **{name: {"items": []} for name in missing}}
        response = await self._retrying(
            "PUT",
            self.record_url(record_type, external_id=external_id),
            params=replace_param(body, None),
            body=body,
            record_type=record_type,
            external_id=external_id,
        )
        found = id_from_location(response.headers.get("Location"))
        if found is None:
            record = await self.get_by_external_id(record_type, external_id, fields=["id"])
            found = str(record["id"]) if record and record.get("id") else None
        if found is None:
            raise exceptions.NetSuiteRejected(
                "upsert answered without a Location and the record cannot be found",
                record_type=record_type,
                external_id=external_id,
                status_code=response.status_code,
            )
        return found

    # -- SuiteQL -------------------------------------------------------------

    async def suiteql(
        self, query: str, *, params: list[Any] | None = None, limit: int = paging.MAX_PAGE
    ) -> AsyncIterator[dict[str, Any]]:
        """Every row of a SuiteQL query (``links`` removed), paged ``limit`` at a time.

        Offsets stop at 100,000 rows; past that the query is continued by keyset,
        ``… WHERE (…) AND id > {last id} ORDER BY id``, which needs a query that selects
        ``id`` and ends with ``ORDER BY id`` (checked when the switch happens; see
        `paging.keyset_query`).
        """
        paging.check_page(limit, 0)
        current, offset, last_id = query, 0, None
        while True:
            body: dict[str, Any] = {"q": current}
            if params:
                body["params"] = params
            response = await self._retrying(
                "POST",
                self.base_url + SUITEQL_PATH,
                body=body,
                params={"limit": str(limit), "offset": str(offset)},
                headers={"Prefer": "transient"},
            )
            page = paging.page_from(_json_object(response, None), offset)
            for row in page.items:
                row.pop("links", None)
                if "id" in row:
                    last_id = str(row["id"])
                yield row
            if not page.items:
                return
            offset += len(page.items)
            # At the cap NetSuite may say hasMore false while totalResults shows more.
            more = page.has_more or (page.total_results or 0) > offset
            if not more:
                return
            if offset + limit > paging.OFFSET_CAP:
                if last_id is None:
                    raise ValueError(
                        "SuiteQL query returns more than 100,000 rows but selects no id column"
                    )
                current, offset = paging.keyset_query(query, last_id), 0

    # -- the one request path --------------------------------------------------

    async def _retrying(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        record_type: str | None = None,
        external_id: str | None = None,
        missing_ok: bool = False,
    ) -> httpx.Response:
        """Send until success, a permanent error, or ``max_attempts`` retriable failures."""
        content = jsonbody.dumps(body) if body is not None else None
        where = {"record_type": record_type, "external_id": external_id}
        for attempt in range(1, self.max_attempts + 1):
            try:
                return await self._send(
                    method,
                    url,
                    params=params,
                    content=content,
                    headers=headers,
                    missing_ok=missing_ok,
                    **where,
                )
            except exceptions.NetSuiteRetriable as exc:
                if attempt == self.max_attempts:
                    raise
                delay = retry.backoff(
                    attempt,
                    base=self.backoff_base,
                    cap=self.backoff_cap,
                    retry_after=exc.retry_after,
                    jitter=self._jitter,
                )
                log.debug(
                    "netsuite retry method=%s path=%s attempt=%s status=%s code=%s in=%.1fs",
                    method,
                    httpx.URL(url).path,
                    attempt,
                    exc.status_code,
                    exc.error_code,
                    delay,
                )
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None,
        content: str | None,
        headers: dict[str, str] | None,
        missing_ok: bool,
        record_type: str | None,
        external_id: str | None,
    ) -> httpx.Response:
        """One attempt, re-authenticating once on 401."""
        full_url = str(httpx.URL(url, params=params or None))
        request_headers = {
            "Accept": "application/json",
            "X-NetSuite-PropertyNameValidation": "Error",
            **(headers or {}),
        }
        if content is not None:
            request_headers["Content-Type"] = "application/json"
        where = {"record_type": record_type, "external_id": external_id}
        for authenticated_again in (False, True):
            # Built and signed (a token minted if need be) before taking a slot, so a slot
            # is held only while the request is on the wire.
            auth_headers = await self.auth.headers(method, full_url)
            request = self._http.build_request(
                method, full_url, content=content, headers={**request_headers, **auth_headers}
            )
            signed_at = time.monotonic()
            async with self.governor.slot():
                if time.monotonic() - signed_at > self.resign_after:
                    # A long wait for a slot: sign again, a TBA timestamp may have aged.
                    request.headers.update(await self.auth.headers(method, full_url))
                self.calls += 1
                sent_at = time.monotonic()
                try:
                    response = await self._http.send(request)
                except httpx.HTTPError as exc:
                    for observe in OBSERVERS:
                        observe(method, 0, time.monotonic() - sent_at)
                    raise errors.classify(exc, **where) from exc
                for observe in OBSERVERS:
                    observe(method, response.status_code, time.monotonic() - sent_at)
            log.debug(
                "netsuite answered method=%s path=%s status=%s bytes=%s",
                method,
                request.url.path,
                response.status_code,
                len(response.content),
            )
            if response.status_code == 401 and not authenticated_again:
                await self.auth.refresh()
                continue
            if response.is_success or (missing_ok and response.status_code == 404):
                return response
            if response.status_code == 429:
                self.governor.penalize()
            raise errors.classify(response, **where)
        raise AssertionError("unreachable")  # pragma: no cover


#: The keys of a reference (``{"id": "7"}``), the value a multi-select lists.
_REFERENCE_KEYS = frozenset({"id", "externalId", "refName"})


def sublist_names(body: dict[str, Any]) -> list[str]:
    """The sublists of a record body, in order: its fields holding ``{"items": [...]}``.

    A multi-select field (an item's ``subsidiary``: ``{"items": [{"id": "2"}]}``) has the
    same shape but is a value, not a sublist: a field whose lines are all references is
    left out. An empty ``{"items": []}`` is a sublist (replacing it empties it).
    """
    return [
        name
        for name, value in body.items()
        if isinstance(value, dict)
        and isinstance(value.get("items"), list)
        and (
            not value["items"]
            or any(
                not (isinstance(line, dict) and line.keys() <= _REFERENCE_KEYS)
                for line in value["items"]
            )
        )
    ]


def replace_param(body: dict[str, Any], replace: Collection[str] | None) -> dict[str, str]:
    """``{"replace": "item,apply"}`` for a write of *body*, or ``{}`` when nothing is named.

    NetSuite appends the lines of a sublist that is not named in ``replace`` to the lines
    the record has (a keyed sublist merges by key), so a record re-posted with changed
    lines would keep the old ones too. *replace* None names every sublist of *body*.
    """
    names = sublist_names(body) if replace is None else list(replace)
    return {"replace": ",".join(names)} if names else {}


def _segment(value: str, *, safe: str = "") -> str:
    """*value* as one path segment: every reserved character percent-encoded."""
    if not value:
        raise ValueError("a NetSuite record path segment must not be empty")
    encoded = quote(value, safe=safe)
    # "." and ".." are unreserved, but a URL parser resolves them as directories.
    return encoded.replace(".", "%2E") if not encoded.strip(".") else encoded


def _json_object(response: httpx.Response, record_type: str | None) -> dict[str, Any]:
    try:
        body = jsonbody.loads(response.content)
    except ValueError as exc:
        raise exceptions.NetSuiteRejected(
            "NetSuite answered with a body that is not JSON",
            record_type=record_type,
            status_code=response.status_code,
            # What came, not the body itself: it may be a record, and errors are logged.
            detail=f"{response.headers.get('content-type') or 'no content type'}, "
            f"{len(response.content)} bytes",
        ) from exc
    if not isinstance(body, dict):
        raise exceptions.NetSuiteRejected(
            "NetSuite answered with JSON that is not an object",
            record_type=record_type,
            status_code=response.status_code,
        )
    return body
