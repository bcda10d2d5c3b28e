"""Stripe's read rate limit: a token bucket per account, refused with 429 ``rate_limit``.

Stripe meters API reads per second per account (25 in test mode, 100 live) with a token
bucket, so a short burst passes and a sustained rate above the limit is refused. A
refusal did nothing; Stripe answers ``Stripe-Should-Retry: false`` to tell its SDKs not
to retry at once (they retry only lock timeouts), leaving the backoff to the caller.

The bucket runs on real (monotonic) time, not the sandbox clock: the sandbox clock may
stand still or jump by days, and a rate limit is about the caller's pace.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from stripe_netsuite_sandbox.stripe import errors

#: Stripe test mode's read limit, per second.
TEST_MODE_READS_PER_SECOND = 25.0

MESSAGE = (
    "Too many requests hit the API too quickly. We recommend an exponential backoff of "
    "your requests."
)


@dataclass
class ReadLimiter:
    """Admits at most *rate* reads per second on average, bursts up to *burst* (default: rate).

    A rate of 0 admits everything (no limit). Counts what it admitted and refused, for
    benchmarks that report how close to the limit they ran.
    """

    rate: float
    burst: float | None = None
    clock: Callable[[], float] = time.monotonic
    #: Reads admitted so far.
    admitted: int = 0
    #: Reads refused so far.
    refused: int = 0
    _tokens: float = field(init=False)
    _at: float = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.rate < 0:
            raise ValueError(f"read rate limit must not be negative, got {self.rate}")
        self._tokens = self.capacity
        self._at = self.clock()

    @property
    def capacity(self) -> float:
        """The largest burst admitted at once."""
        return self.burst if self.burst is not None else max(self.rate, 1.0)

    def admit(self) -> bool:
        """Take one read's token; False when the bucket is empty (answer 429)."""
        if self.rate <= 0:
            self.admitted += 1
            return True
        with self._lock:
            now = self.clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                self.admitted += 1
                return True
            self.refused += 1
            return False


def refusal() -> errors.StripeError:
    """The error Stripe answers a rate-limited request with."""
    return errors.StripeError(MESSAGE, status=429, type="invalid_request_error", code="rate_limit")


#: Headers of a rate-limited answer: no immediate retry (the SDKs obey this).
REFUSAL_HEADERS = {"Stripe-Should-Retry": "false"}
