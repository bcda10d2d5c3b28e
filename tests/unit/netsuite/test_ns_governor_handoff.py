"""The in-process governor hands each freed slot to one waiter, first come first served."""

from __future__ import annotations

import asyncio

from stripe_netsuite.netsuite import LocalGovernor


async def test_waiters_get_slots_in_the_order_they_asked() -> None:
    governor = LocalGovernor(1)
    order: list[int] = []
    await governor.acquire()

    async def request(n: int) -> None:
        async with governor.slot():
            order.append(n)
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(request(n)) for n in range(6)]
    await asyncio.sleep(0)
    assert order == []  # the first slot is still held
    await governor.release()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4, 5]
    assert governor.in_flight == 0
    assert governor.max_in_flight == 1


async def test_a_waiter_cancelled_in_the_queue_takes_no_slot() -> None:
    governor = LocalGovernor(1)
    await governor.acquire()
    waiting = asyncio.create_task(governor.acquire())
    behind = asyncio.create_task(governor.acquire())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.sleep(0)
    await governor.release()
    await behind  # the slot skipped the cancelled waiter
    assert waiting.cancelled()
    assert governor.in_flight == 1
    await governor.release()
    assert governor.in_flight == 0


async def test_a_slot_handed_to_a_waiter_cancelled_at_that_moment_goes_on() -> None:
    governor = LocalGovernor(1)
    await governor.acquire()
    first = asyncio.create_task(governor.acquire())
    second = asyncio.create_task(governor.acquire())
    await asyncio.sleep(0)
    await governor.release()  # hands the slot to `first` ...
    first.cancel()  # ... which is cancelled before it runs again
    await asyncio.sleep(0)
    await second
    assert first.cancelled()
    assert governor.in_flight == 1
    await governor.release()
    assert governor.in_flight == 0


async def test_a_grown_pace_admits_as_many_waiters_as_it_has_room_for() -> None:
    governor = LocalGovernor(4)
    governor.penalize()
    governor.penalize()  # one at a time
    await governor.acquire()
    waiters = [asyncio.create_task(governor.acquire()) for _ in range(3)]
    await asyncio.sleep(0)
    governor.allowed = 3.0  # as if successes had earned two more slots
    await governor.release()
    await asyncio.gather(*waiters)
    assert governor.in_flight == 3


async def test_waiting_counts_the_requests_queued_for_a_slot() -> None:
    governor = LocalGovernor(1)
    await governor.acquire()
    queued = [asyncio.create_task(governor.acquire()) for _ in range(3)]
    await asyncio.sleep(0)
    assert governor.waiting == 3
    await governor.release()
    await queued[0]
    assert governor.waiting == 2
    queued[1].cancel()
    await asyncio.sleep(0)
    assert governor.waiting == 1
    await governor.release()
    await queued[2]
    assert governor.waiting == 0
