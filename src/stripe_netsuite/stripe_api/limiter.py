"""The token bucket that paces Stripe reads, and the one bucket each account shares.

Stripe meters reads per account and second (25 in test mode, 100 live). The backfill
pays its list pages and its queued objects' later fetches from a bucket of its own
(``SNS_BACKFILL_READS_PER_SECOND``); the engine's Stripe client takes every GET it sends
from the account's bucket (``SNS_STRIPE_READS_PER_SECOND``), so the worker, the events
poll and a backfill in one process stay under that rate together, whatever thread or
event loop each runs in.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

#: Objects asked for per list page (Stripe's largest page).
PAGE_SIZE = 100

Sleep = Callable[[float], Awaitable[None]]
_SLACK = 1e-9


@dataclass
class ReadLimiter:
    """A token bucket: at most *rate* reads per second on average, bursts of one second's.

    A rate of 0 does not limit. Each caller reserves its reads under a thread lock and
    then sleeps out its own wait, so callers queue in arrival order and one bucket can
    pace several event loops (the web app's worker thread and a backfill) at once.
    *clock* and *sleep* are injectable so tests can drive it without waiting.
    """

    rate: float
    clock: Callable[[], float] = time.monotonic
    sleep: Sleep = asyncio.sleep
    #: Seconds spent waiting for a token so far.
    waited: float = 0.0
    _tokens: float = field(init=False)
    _at: float = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.rate < 0:
            raise ValueError(f"read rate must not be negative, got {self.rate}")
        self._tokens = self.capacity
        self._at = self.clock()

    @property
    def capacity(self) -> float:
        """The largest burst: one second's reads (at least one)."""
        return max(self.rate, 1.0)

    async def acquire(self, reads: float = 1.0) -> None:
        """Wait until *reads* may be spent, and spend them.

        More reads than one second's burst are taken on credit: the bucket goes below
        zero and the next caller waits until it has refilled.
        """
        if self.rate <= 0 or reads <= 0:
            return
        wait = self.reserve(reads)
        if wait > 0:
            await self.sleep(wait)

    def reserve(self, reads: float) -> float:
        """Spend *reads* now; the seconds the caller must wait before sending them."""
        need = min(reads, self.capacity)
        with self._lock:
            now = self.clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            # The bucket may stand below zero: reads reserved by callers still waiting.
            # A hair of slack: a refill computed to the exact need may land a rounding
            # error short of it, and a wait of 1e-17 s would not move the clock.
            short = need - self._tokens
            wait = short / self.rate if short > _SLACK else 0.0
            self._tokens -= reads
            self.waited += wait
            return wait

    def batch_size(self, reads: float) -> int:
        """Items costing *reads* each that half a second pays for (1 to a page's worth)."""
        if self.rate <= 0 or reads <= 0:
            return PAGE_SIZE
        return max(1, min(PAGE_SIZE, int(self.rate / reads / 2)))


_SHARED: dict[tuple[str, float], ReadLimiter] = {}
_SHARED_LOCK = threading.Lock()


def account_limiter(stripe_account_id: str, rate: float) -> ReadLimiter:
    """The one bucket of this process that every client of *stripe_account_id* reads through.

    Keyed by the rate as well: one process has one settings object, and a client built
    with another rate (a test's) does not change the pace of the others.
    """
    key = (stripe_account_id, rate)
    limiter = _SHARED.get(key)
    if limiter is None:
        with _SHARED_LOCK:
            limiter = _SHARED.setdefault(key, ReadLimiter(rate))
    return limiter
