"""The account's Stripe read bucket: one per account and rate, shared across event loops."""

from __future__ import annotations

import asyncio
import threading

import pytest

from stripe_netsuite.stripe_api import limiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


async def test_concurrent_callers_reserve_in_turn_without_sleeping_past_each_other() -> None:
    # The clock stands still: every reservation is made at t=0, so the waits show the
    # queue each caller was given (a burst of 5, then one every fifth of a second).
    clock = Clock()
    bucket = limiter.ReadLimiter(5.0, clock=clock, sleep=clock.sleep)
    await asyncio.gather(*(bucket.acquire() for _ in range(8)))
    assert sorted(clock.slept) == pytest.approx([0.2, 0.4, 0.6])
    assert bucket.waited == pytest.approx(1.2)


async def test_a_read_larger_than_the_burst_is_taken_on_credit() -> None:
    clock = Clock()
    bucket = limiter.ReadLimiter(4.0, clock=clock, sleep=clock.sleep)
    await bucket.acquire(10)  # the whole burst is there: no wait, 6 owed
    assert clock.slept == []
    await bucket.acquire()
    assert clock.slept == pytest.approx([7 / 4])


def test_one_bucket_per_account_and_rate_in_the_process() -> None:
    first = limiter.account_limiter("acct_shared_test", 10.0)
    assert limiter.account_limiter("acct_shared_test", 10.0) is first
    assert limiter.account_limiter("acct_other_test", 10.0) is not first
    assert limiter.account_limiter("acct_shared_test", 20.0) is not first


def test_the_bucket_paces_two_event_loops_in_two_threads_together() -> None:
    clock = Clock()
    bucket = limiter.ReadLimiter(10.0, clock=clock, sleep=clock.sleep)

    def reads() -> None:
        async def main() -> None:
            for _ in range(10):
                await bucket.acquire()

        asyncio.run(main())

    threads = [threading.Thread(target=reads) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 20 reads at t=0 against a burst of 10: the other 10 wait 0.1 s ... 1.0 s in turn,
    # whichever loop asked.
    assert sorted(clock.slept) == pytest.approx([n / 10 for n in range(1, 11)])


def test_a_negative_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        limiter.ReadLimiter(-1.0)
