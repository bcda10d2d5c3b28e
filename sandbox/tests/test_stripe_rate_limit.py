"""The Stripe sandbox's read rate limit: a token bucket, refused as Stripe refuses."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import stripe

from stripe_netsuite_sandbox.serving import serve_in_thread
from stripe_netsuite_sandbox.stripe import ratelimit
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig, create_app

KEY = "sk_test_sandbox"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_admits_a_burst_of_one_second_then_the_rate() -> None:
    clock = Clock()
    limiter = ratelimit.ReadLimiter(25.0, clock=clock)
    assert [limiter.admit() for _ in range(26)] == [True] * 25 + [False]
    clock.now += 0.2  # five reads' worth of tokens
    assert [limiter.admit() for _ in range(6)] == [True] * 5 + [False]
    clock.now += 60  # a long pause refills one second's burst, no more
    assert sum(limiter.admit() for _ in range(40)) == 25
    assert (limiter.admitted, limiter.refused) == (55, 17)


def test_zero_rate_admits_everything() -> None:
    limiter = ratelimit.ReadLimiter(0.0, clock=Clock())
    assert all(limiter.admit() for _ in range(1000))


def test_test_mode_is_the_default_and_a_negative_limit_is_refused() -> None:
    assert StripeSandboxConfig().read_rate_limit == 25.0
    with pytest.raises(ValueError, match="read_rate_limit"):
        StripeSandboxConfig(read_rate_limit=-1)


@pytest.fixture
def limited() -> Iterator[tuple[str, Clock]]:
    app = create_app(StripeSandboxConfig(read_rate_limit=3, start_time=1767229200))
    clock = Clock()
    app.state.read_limiter = ratelimit.ReadLimiter(3, clock=clock)  # time stands still
    server = serve_in_thread(app)
    try:
        yield server.base_url, clock
    finally:
        server.stop()


def test_reads_over_the_limit_get_429_rate_limit_and_writes_do_not(
    limited: tuple[str, Clock],
) -> None:
    url, clock = limited
    client = stripe.StripeClient(KEY, base_addresses={"api": url}, max_network_retries=2)
    made = [client.v1.customers.create(params={"name": f"C{n}"}).id for n in range(5)]
    for oid in made[:3]:
        assert client.v1.customers.retrieve(oid).id == oid
    with pytest.raises(stripe.RateLimitError) as refused:
        client.v1.customers.list()
    # Stripe-Should-Retry: false: the SDK does not retry at once, whatever its retries.
    assert refused.value.http_status == 429
    assert refused.value.json_body["error"]["code"] == "rate_limit"  # type: ignore[index]
    assert (refused.value.headers or {}).get("stripe-should-retry") == "false"
    with httpx.Client(base_url=url, auth=(KEY, "")) as http:
        raw = http.get("/v1/customers")
        assert raw.status_code == 429
        assert raw.json()["error"]["type"] == "invalid_request_error"
        assert raw.headers["request-id"].startswith("req_")
        assert http.get("/__sandbox/clock").status_code == 200  # not a /v1 read
    clock.now += 1.0  # a second later the reads go through again
    assert len(client.v1.customers.list(params={"limit": 10}).data) == 5
