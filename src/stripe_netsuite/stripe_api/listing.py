"""Reading Stripe's list endpoints over a ``created`` window, at a pace Stripe accepts.

A historical backfill reads objects older than the events list keeps (30 days) from the
object lists themselves (``GET /v1/customers?created[gte]=…&created[lt]=…``). Each page
is one read, taken from a client-side token bucket so the backfill stays under the
account's read limit, and a 429 is waited out rather than failed: Stripe answers a rate
limit with ``Stripe-Should-Retry: false`` (its SDKs then do not retry at once), and the
read, which changes nothing, is sent again after ``Retry-After`` when Stripe gives one,
or after a backoff with jitter. Pages follow the SDK's own paging (``starting_after`` the
last id, newest first), so a stored id resumes the list where a stopped run left it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import stripe

from stripe_netsuite import exceptions, retry
from stripe_netsuite.stripe_api.client import call
from stripe_netsuite.stripe_api.limiter import PAGE_SIZE as PAGE_SIZE
from stripe_netsuite.stripe_api.limiter import ReadLimiter as ReadLimiter
from stripe_netsuite.stripe_api.limiter import Sleep

#: Reads of one page tried before the failure is raised (each after a backoff).
PAGE_ATTEMPTS = 8
#: Backoff of a refused or failed read: from one second (Stripe meters per second) ...
BACKOFF_BASE_SECONDS = 1.0
#: ... doubling up to this many.
BACKOFF_CAP_SECONDS = 30.0
#: The longest ``Retry-After`` obeyed; a longer one is taken as this.
RETRY_AFTER_CAP_SECONDS = 60.0


@dataclass(frozen=True)
class Hint:
    """What a refused read's answer says about sending it again."""

    #: 429: Stripe's rate limit (as opposed to an outage or a 5xx).
    rate_limited: bool
    #: ``Stripe-Should-Retry``: True, False, or None when absent.
    should_retry: bool | None
    #: ``Retry-After`` in seconds, capped; None when absent or unreadable.
    retry_after: float | None


def hint(exc: exceptions.StripeUnavailable) -> Hint:
    """Read the retry headers of the Stripe error behind *exc*."""
    cause = exc.__cause__
    headers: Mapping[str, str] = {}
    status = None
    if isinstance(cause, stripe.StripeError):
        headers = {k.lower(): v for k, v in (cause.headers or {}).items()}
        status = cause.http_status
    should = headers.get("stripe-should-retry")
    after: float | None = None
    try:
        after = min(float(headers["retry-after"]), RETRY_AFTER_CAP_SECONDS)
    except (KeyError, ValueError):
        after = None
    return Hint(
        rate_limited=status == 429 or isinstance(cause, stripe.RateLimitError),
        should_retry=None if should is None else should.lower() == "true",
        retry_after=after if after is None or after >= 0 else None,
    )


def no_such_list(exc: exceptions.StripeRejected) -> bool:
    """Whether Stripe answered 404 to a list: the account has no such list (a product it
    does not use, or an emulator without it)."""
    cause = exc.__cause__
    return isinstance(cause, stripe.StripeError) and cause.http_status == 404


@dataclass(frozen=True)
class Window:
    """Objects created at or after *since* and before *until* (Unix seconds)."""

    since: int
    until: int

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise ValueError(
                f"empty window: until ({self.until}) is not after since ({self.since})"
            )

    def params(self) -> dict[str, Any]:
        """The list filter for this window."""
        return {"created": {"gte": self.since, "lt": self.until}}


@dataclass(frozen=True)
class Listed:
    """One object of a list page: only what queueing it needs."""

    id: str
    object_type: str
    created: int


@dataclass(frozen=True)
class Page:
    """One page of a list, newest first."""

    objects: tuple[Listed, ...]
    has_more: bool

    @property
    def last_id(self) -> str | None:
        """The id to read on after (the oldest of the page)."""
        return self.objects[-1].id if self.objects else None


@dataclass
class Lister:
    """Reads pages of one account's lists under a `ReadLimiter`, waiting out 429s."""

    client: stripe.StripeClient
    limiter: ReadLimiter
    sleep: Sleep = asyncio.sleep
    jitter: retry.Jitter = retry.equal_jitter
    attempts: int = PAGE_ATTEMPTS
    #: Reads sent (refused ones included) and reads Stripe refused with 429.
    reads: int = 0
    refused: int = 0
    #: Called with each wait before a read is sent again (seconds, the hint).
    on_wait: Callable[[float, Hint], None] | None = None

    async def page(self, resource: str, window: Window, *, after: str | None = None) -> Page:
        """The page of *resource* (``customers``, ``checkout.sessions``) after the id *after*."""
        service = _service(self.client, resource)
        params: dict[str, Any] = {"limit": PAGE_SIZE, **window.params()}
        if after:
            params["starting_after"] = after
        attempt = 0
        while True:
            attempt += 1
            await self.limiter.acquire()
            self.reads += 1
            try:
                found = await call(lambda: service.list_async(params=dict(params)))
            except exceptions.StripeUnavailable as exc:
                told = hint(exc)
                if told.rate_limited:
                    self.refused += 1
                if attempt >= self.attempts:
                    raise
                delay = retry.backoff(
                    attempt,
                    base=BACKOFF_BASE_SECONDS,
                    cap=BACKOFF_CAP_SECONDS,
                    retry_after=told.retry_after,
                    jitter=self.jitter,
                )
                if self.on_wait is not None:
                    self.on_wait(delay, told)
                await self.sleep(delay)
                continue
            return Page(
                objects=tuple(_listed(obj) for obj in found.data),
                has_more=bool(found.has_more),
            )


def _listed(obj: Any) -> Listed:
    return Listed(id=str(obj["id"]), object_type=str(obj["object"]), created=int(obj["created"]))


def _service(client: stripe.StripeClient, resource: str) -> Any:
    service: Any = client.v1
    for part in resource.split("."):
        service = getattr(service, part)
    return service
