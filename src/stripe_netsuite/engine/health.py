"""How the engine's loops are doing: heartbeats for readiness, backoff after a failed pass.

The worker's claim loop and the scheduler each beat a `Heartbeat` when a pass completes.
``/readyz`` reads them: a loop that has not beaten for `Heartbeat.stale_after` seconds is
stalled (a lock it waits on, a connection that hangs) and a loop that has ended is dead;
either way the process is not ready. `runtime.running` also copies the beats to the store
(`store.heartbeats`), where the alert monitor and the console of any process see them.
A pass that fails is logged and waited out with a `Backoff` (exponential, with jitter,
from `retry`), so no error ends a loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from stripe_netsuite import retry

#: A loop counts as stalled after this many of its intervals without a heartbeat ...
STALE_INTERVALS = 5
#: ... and never sooner than this many seconds (``SNS_READY_STALL_SECONDS``): a healthy
#: pass may wait out SQLite's busy timeout (30 s) or a slow Stripe page with its retries.
STALL_SECONDS = 120.0


class Heartbeat:
    """When a loop last completed a pass, and how long it may go without one."""

    def __init__(
        self,
        name: str,
        *,
        interval: float,
        at_least: float = STALL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        #: Seconds between the loop's passes when all is well.
        self.interval = interval
        #: Seconds without a beat after which the loop counts as stalled.
        self.stale_after = max(STALE_INTERVALS * interval, at_least)
        self.clock = clock
        # Counted from creation, so a loop that never completes a pass goes stale too.
        self.last = clock()
        self.beats = 0
        self.stopped = False

    def beat(self) -> None:
        """Record that the loop completed a pass."""
        self.last = self.clock()
        self.beats += 1

    def stop(self) -> None:
        """Record that the loop has ended (stopped, cancelled or crashed)."""
        self.stopped = True

    def age(self) -> float:
        """Seconds since the last beat (or since the loop was set up)."""
        return max(0.0, self.clock() - self.last)

    def beat_at(self) -> datetime:
        """The wall-clock time of the last beat (what the store's heartbeat row keeps)."""
        return datetime.now(UTC) - timedelta(seconds=self.age())

    def problem(self) -> str | None:
        """Why the loop is not healthy, or None when it is."""
        if self.stopped:
            return f"{self.name} is not running"
        age = self.age()
        if age > self.stale_after:
            return (
                f"{self.name} made no progress for {age:.1f} s "
                f"(stalled after {self.stale_after:g} s)"
            )
        return None


class Backoff:
    """A loop's consecutive failures, and how long it waits after the latest one."""

    def __init__(self, *, base: float, cap: float, jitter: retry.Jitter = retry.equal_jitter):
        self.base = base
        self.cap = max(cap, base)
        self.jitter = jitter
        self.failures = 0

    def failed(self) -> float:
        """Count a failure; seconds to wait before the next pass (doubling, capped)."""
        self.failures += 1
        return retry.backoff(self.failures, base=self.base, cap=self.cap, jitter=self.jitter)

    def succeeded(self) -> None:
        """A pass went through: the next failure starts from *base* again."""
        self.failures = 0
