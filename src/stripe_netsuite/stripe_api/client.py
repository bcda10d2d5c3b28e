"""The Stripe client used by the engine, and the one place Stripe errors are classified.

The SDK is pinned (its API version travels in ``Stripe-Version``). A ``StripeClient``
built without ``max_network_retries`` does not retry at all, so it is always set; 429 is
never retried by the SDK, so `call` turns it into a `StripeUnavailable` for the queue's
own backoff.

`retrieve` and `update_metadata` go through the SDK's raw requests: the same
authentication, API version, retries and errors, but the answer stays the plain JSON the
mapping functions take. Building the SDK's objects from it, and turning them back into
dicts, cost more CPU than the rest of a job's Stripe exchange.

Every async GET (``retrieve``, ``list_page``, the SDK's ``*_async`` calls, each SDK retry
too) first takes a token from the account's read bucket when ``reads_per_second`` is set
(`limiter.account_limiter`); with it at 0 the check is one attribute test.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
import stripe

from stripe_netsuite import exceptions
from stripe_netsuite.settings import AccountConfig
from stripe_netsuite.stripe_api.limiter import account_limiter

T = TypeVar("T")

#: Network retries the SDK makes itself (connection errors, 409, 5xx).
SDK_RETRIES = 2

#: Told of each async exchange with Stripe: (method, HTTP status or 0 when no answer came).
#: `stripe_netsuite.engine.metrics` adds one; an observer must not raise.
Observer = Callable[[str, int], None]
OBSERVERS: list[Observer] = []


def make_client(
    account: AccountConfig, *, timeout: float = 30.0, http_client: EngineHTTPClient | None = None
) -> stripe.StripeClient:
    """A ``StripeClient`` for one account, sync and async methods both usable.

    Whoever passes *http_client* closes it (`EngineHTTPClient.close_async`) when done.
    """
    base: dict[str, str] = {}
    if account.stripe_api_base:
        base["api"] = account.stripe_api_base.rstrip("/")
    return stripe.StripeClient(
        # The one place the key leaves its SecretStr: handed to the SDK.
        account.stripe_api_key.get_secret_value(),
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=SDK_RETRIES,
        http_client=http_client or EngineHTTPClient(timeout=timeout),
    )


class EngineHTTPClient(stripe.HTTPXClient):
    """The SDK's HTTP client: aiohttp for the engine's async calls, httpx for sync ones.

    httpx spends about 0.5 ms of CPU on each request (its pool looks at every idle
    connection, and its parser is pure Python), eight times what aiohttp spends; the
    engine makes two to four Stripe requests per job. The rare synchronous SDK call
    (scripts, the sandbox's own tools) still goes through the SDK's httpx client.
    """

    def __init__(
        self, *, timeout: float, reads_per_second: float = 0.0, stripe_account_id: str = ""
    ) -> None:
        """*reads_per_second* (0: no limit) paces the GETs of *stripe_account_id*."""
        super().__init__(timeout=timeout, allow_sync_methods=True)
        if reads_per_second < 0:
            raise ValueError(f"reads_per_second must not be negative, got {reads_per_second}")
        self._reads_per_second = reads_per_second
        self._stripe_account_id = stripe_account_id
        self._aio_timeout = aiohttp.ClientTimeout(total=timeout)
        self._ssl: ssl.SSLContext | bool = False
        if self._verify_ssl_certs:
            self._ssl = ssl.create_default_context(cafile=stripe.ca_bundle_path)
        self._aio: aiohttp.ClientSession | None = None
        self._aio_loop: asyncio.AbstractEventLoop | None = None

    def _session(self) -> aiohttp.ClientSession:
        # One session per event loop: a session cannot outlive the loop it was made in.
        loop = asyncio.get_running_loop()
        if self._aio is None or self._aio.closed or self._aio_loop is not loop:
            connector = aiohttp.TCPConnector(ssl=self._ssl)
            self._aio = aiohttp.ClientSession(connector=connector, timeout=self._aio_timeout)
            self._aio_loop = loop
        return self._aio

    def _proxy_url(self) -> str | None:
        return self._proxy["https"] if self._proxy else None

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        """One request, its whole body read (what the SDK's retry loop calls)."""
        if self._reads_per_second and method == "get":
            await account_limiter(self._stripe_account_id, self._reads_per_second).acquire()
        try:
            async with self._session().request(
                method, url, headers=dict(headers), data=post_data, proxy=self._proxy_url()
            ) as response:
                body = await response.read()
        except Exception as exc:
            for observe in OBSERVERS:
                observe(method, 0)
            self._handle_request_error(exc)
        for observe in OBSERVERS:
            observe(method, response.status)
        return body, response.status, response.headers

    async def request_stream_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[Any, int, Mapping[str, str]]:
        """One request whose body is read as it streams (file downloads)."""
        if self._reads_per_second and method == "get":
            await account_limiter(self._stripe_account_id, self._reads_per_second).acquire()
        try:
            response = await self._session().request(
                method, url, headers=dict(headers), data=post_data, proxy=self._proxy_url()
            )
        except Exception as exc:
            self._handle_request_error(exc)
        return response.content, response.status, response.headers

    async def close_async(self) -> None:
        """Close both clients' connections."""
        if self._aio is not None and not self._aio.closed:
            await self._aio.close()
        await super().close_async()  # type: ignore[no-untyped-call]


async def call(request: Callable[[], Awaitable[T]], *, object_id: str | None = None) -> T:
    """Run one SDK call; classify its failure into the error tree.

    The error keeps Stripe's status, code, parameter and request id, never Stripe's
    message: that text may quote what was refused (an email, an amount), and it is
    logged and stored. The request id finds the whole exchange in Stripe's dashboard.
    """
    try:
        return await request()
    except stripe.RateLimitError as exc:
        raise exceptions.StripeUnavailable("Stripe rate limit", **_facts(exc, object_id)) from exc
    except stripe.APIConnectionError as exc:
        network = type(exc.__cause__).__name__ if exc.__cause__ is not None else None
        raise exceptions.StripeUnavailable(
            "Stripe unreachable", network_error=network, object_id=object_id
        ) from exc
    except stripe.AuthenticationError as exc:
        raise exceptions.StripeRejected(
            "Stripe refused the API key", **_facts(exc, object_id)
        ) from exc
    except stripe.StripeError as exc:
        status = exc.http_status or 0
        if status >= 500 or status in (409, 429):
            raise exceptions.StripeUnavailable(
                f"Stripe error {status}", **_facts(exc, object_id)
            ) from exc
        raise exceptions.StripeRejected(
            f"Stripe refused the request ({status})", **_facts(exc, object_id)
        ) from exc


def _facts(exc: stripe.StripeError, object_id: str | None) -> dict[str, Any]:
    return {
        "object_id": object_id,
        "code": exc.code,
        "param": getattr(exc, "param", None),
        "request_id": exc.request_id,
    }


def as_dict(obj: Any) -> dict[str, Any]:
    """A Stripe object as plain nested dicts (what the pure mapping functions take)."""
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return dict(obj)


def resource_path(resource: str, object_id: str) -> str:
    """``/v1/{resource}/{id}`` for a resource such as ``customers`` or ``checkout.sessions``.

    The id is one percent-encoded path segment, so an id from outside cannot name
    another path.
    """
    if not object_id:
        raise ValueError(f"a {resource} id must not be empty")
    return f"/v1/{resource.replace('.', '/')}/{quote(object_id, safe='')}"


async def retrieve(
    client: stripe.StripeClient, resource: str, object_id: str, *, expand: Sequence[str] = ()
) -> dict[str, Any]:
    """The object as Stripe has it now, as plain dicts (classified like `call`)."""
    params: dict[str, Any] = {"expand": list(expand)} if expand else {}
    path = resource_path(resource, object_id)
    response = await call(
        lambda: client.raw_request_async("get", path, **params), object_id=object_id
    )
    return _object(response, object_id)


async def list_page(
    client: stripe.StripeClient, path: str, params: Mapping[str, Any], *, object_id: str
) -> list[dict[str, Any]]:
    """One page of a list endpoint such as ``/v1/invoice_payments``, as plain dicts.

    The SDK's list services build an object per item; a page read here is parsed JSON.
    """
    response = await call(
        lambda: client.raw_request_async("get", path, **params), object_id=object_id
    )
    items = _object(response, object_id).get("data")
    if not isinstance(items, list):
        raise exceptions.StripeRejected(
            f"Stripe answered {path} with something that is not a list", object_id=object_id
        )
    return [item for item in items if isinstance(item, dict)]


async def update_metadata(
    client: stripe.StripeClient,
    resource: str,
    object_id: str,
    metadata: Mapping[str, str],
    *,
    idempotency_key: str,
) -> dict[str, Any]:
    """Set metadata keys of an object; returns the object as Stripe answered it."""
    path = resource_path(resource, object_id)
    response = await call(
        lambda: client.raw_request_async(
            "post", path, metadata=dict(metadata), idempotency_key=idempotency_key
        ),
        object_id=object_id,
    )
    return _object(response, object_id)


def _object(response: Any, object_id: str) -> dict[str, Any]:
    data = response.data
    if not isinstance(data, dict):
        raise exceptions.StripeRejected(
            "Stripe answered with JSON that is not an object", object_id=object_id
        )
    return data
