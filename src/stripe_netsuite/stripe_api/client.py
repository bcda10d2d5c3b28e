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
