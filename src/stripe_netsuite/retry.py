"""Trying again: exponential backoff with jitter, and the worker's retry policy.

Both the job queue (a failed job waits before it runs again) and the NetSuite client (a
failed request waits before it is sent again) compute their delays here. The bottom
layer: it imports only the standard library.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

#: Maps a capped delay to the delay actually waited; tests pin it (``lambda d: d``).
Jitter = Callable[[float], float]

# 2**62 seconds outlives every cap; a larger exponent would only overflow the float.
_MAX_EXPONENT = 62


def equal_jitter(delay: float) -> float:
    """Somewhere between half of *delay* and all of it, so workers do not retry in step."""
    return random.uniform(delay / 2, delay)


def backoff(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    jitter: Jitter = equal_jitter,
) -> float:
    """Seconds to wait after failed *attempt* (1-based): ``base * 2**(attempt-1)``, capped.

    The capped delay goes through *jitter*. A server's own hint (*retry_after*, from
    ``Retry-After``) wins when it asks for longer: it knows when it will be ready.
    Attempt 0 waits as long as attempt 1.
    """
    if attempt < 0:
        raise ValueError(f"backoff: attempt must be >= 0, got {attempt}")
    exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
    delay = jitter(min(cap, base * 2.0**exponent))
    return delay if retry_after is None else max(delay, retry_after)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing job is tried again."""

    #: Attempts a job failing with a `RetriableError` gets before it is parked.
    max_attempts: int = 8
    #: The wait after the first failure; it doubles with each further one ...
    base_seconds: float = 2.0
    #: ... up to this.
    cap_seconds: float = 600.0
    #: Attempts a job failing with an unclassified error (a bug, or something transient
    #: no one classified) gets before it is parked.
    unexpected_attempts: int = 3

    def __post_init__(self) -> None:
        for name in ("max_attempts", "unexpected_attempts", "base_seconds", "cap_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"RetryPolicy.{name} must be positive, got {getattr(self, name)}")
        if self.cap_seconds < self.base_seconds:
            raise ValueError(
                f"RetryPolicy.cap_seconds ({self.cap_seconds}) must be at least "
                f"base_seconds ({self.base_seconds})"
            )

    def delay(
        self, attempt: int, *, retry_after: float | None = None, jitter: Jitter = equal_jitter
    ) -> float:
        """Seconds a job waits after failed *attempt*; see `backoff`."""
        return backoff(
            attempt,
            base=self.base_seconds,
            cap=self.cap_seconds,
            retry_after=retry_after,
            jitter=jitter,
        )
