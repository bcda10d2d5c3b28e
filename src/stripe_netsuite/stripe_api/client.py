"""The Stripe client used by the engine, and the one place Stripe errors are classified.

The SDK is pinned (its API version travels in ``Stripe-Version``). A ``StripeClient``
built without ``max_network_retries`` does not retry at all, so it is always set; 429 is
never retried by the SDK, so `call` turns it into a `StripeUnavailable` for the queue's
own backoff.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import stripe

from stripe_netsuite import exceptions
from stripe_netsuite.settings import AccountConfig

T = TypeVar("T")

#: Network retries the SDK makes itself (connection errors, 409, 5xx).
SDK_RETRIES = 2


def make_client(account: AccountConfig, *, timeout: float = 30.0) -> stripe.StripeClient:
    """A ``StripeClient`` for one account, sync and async methods both usable."""
    base: dict[str, str] = {}
    if account.stripe_api_base:
        base["api"] = account.stripe_api_base.rstrip("/")
    return stripe.StripeClient(
        # The one place the key leaves its SecretStr: handed to the SDK.
        account.stripe_api_key.get_secret_value(),
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=SDK_RETRIES,
        http_client=stripe.HTTPXClient(timeout=timeout, allow_sync_methods=True),
    )


async def call(request: Callable[[], Awaitable[T]], *, object_id: str | None = None) -> T:
    """Run one SDK call; classify its failure into the error tree."""
    try:
        return await request()
    except stripe.RateLimitError as exc:
        raise exceptions.StripeUnavailable("Stripe rate limit", object_id=object_id) from exc
    except stripe.APIConnectionError as exc:
        raise exceptions.StripeUnavailable(
            f"Stripe unreachable: {exc.user_message or exc}", object_id=object_id
        ) from exc
    except stripe.AuthenticationError as exc:
        raise exceptions.StripeRejected("Stripe refused the API key", object_id=object_id) from exc
    except stripe.StripeError as exc:
        status = exc.http_status or 0
        if status >= 500 or status in (409, 429):
            raise exceptions.StripeUnavailable(
                f"Stripe error {status}: {exc.user_message or exc}", object_id=object_id
            ) from exc
        raise exceptions.StripeRejected(
            f"Stripe refused the request ({status}): {exc.user_message or exc}",
            object_id=object_id,
        ) from exc


def as_dict(obj: Any) -> dict[str, Any]:
    """A Stripe object as plain nested dicts (what the pure mapping functions take)."""
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return dict(obj)
