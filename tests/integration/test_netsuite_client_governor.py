"""The PostgreSQL governor shares one budget between separate governors (connections)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from stripe_netsuite.netsuite import PostgresGovernor

pytestmark = pytest.mark.postgres

# Fresh account ids on every run: several runs may share one PostgreSQL server.
ACCOUNTS = {name: f"{name}_{uuid.uuid4().hex[:8]}" for name in ("T1", "T2", "T3", "A1", "B2")}


async def test_three_governors_never_exceed_the_shared_limit(postgres_url: str) -> None:
    governors = [
        PostgresGovernor(database_url=postgres_url, account_id=ACCOUNTS["T1"], limit=3)
        for _ in range(3)
    ]
    in_flight = peak = 0

    async def request(governor: PostgresGovernor) -> None:
        nonlocal in_flight, peak
        async with governor.slot():
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.002)
            in_flight -= 1

    try:
        await asyncio.gather(*(request(g) for g in governors for _ in range(15)))
    finally:
        for governor in governors:
            await governor.aclose()
    assert peak == 3
    assert in_flight == 0
    assert all(g.in_flight == 0 for g in governors)


async def test_accounts_have_separate_budgets(postgres_url: str) -> None:
    a = PostgresGovernor(database_url=postgres_url, account_id=ACCOUNTS["A1"], limit=1)
    b = PostgresGovernor(database_url=postgres_url, account_id=ACCOUNTS["B2"], limit=1)
    async with a, b, a.slot(), b.slot():
        assert (a.in_flight, b.in_flight) == (1, 1)


async def test_a_dead_connection_gives_its_slots_back(postgres_url: str) -> None:
    holder = PostgresGovernor(database_url=postgres_url, account_id=ACCOUNTS["T2"], limit=2)
    other = PostgresGovernor(database_url=postgres_url, account_id=ACCOUNTS["T2"], limit=2)
    entered = asyncio.Event()
    never = asyncio.Event()

    async def hold() -> None:
        async with holder.slot():
            entered.set()
            await never.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(2)]
    await entered.wait()
    while holder.in_flight < 2:
        await asyncio.sleep(0.001)
    waiting = asyncio.create_task(_enter_and_leave(other))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # both slots are taken by the other connection
    await holder.aclose()  # as if its process died: the server drops its locks
    await waiting
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await other.aclose()
    assert other.max_in_flight == 1


async def _enter_and_leave(governor: PostgresGovernor) -> None:
    async with governor.slot():
        pass


async def test_an_unreachable_database_is_a_retriable_error(postgres_url: str) -> None:
    from stripe_netsuite import exceptions
    from stripe_netsuite_sandbox.serving import free_port

    governor = PostgresGovernor(
        database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/test",
        account_id="X",
        limit=2,
    )
    with pytest.raises(exceptions.NetSuiteRetriable, match="cannot reach PostgreSQL"):
        async with governor.slot():
            pass
    assert governor.in_flight == 0


async def test_a_slot_handed_to_a_waiter_that_gave_up_goes_back_to_the_pool(
    postgres_url: str,
) -> None:
    mine = PostgresGovernor(database_url=postgres_url, account_id=ACCOUNTS["T3"], limit=2)
    other = PostgresGovernor(database_url=postgres_url, account_id=ACCOUNTS["T3"], limit=2)
    async with mine, other, other.slot():  # the other process holds one of the two slots
        async with asyncio.timeout(10):  # a guard against hanging, not a timing check
            async with mine.slot():
                waiter = asyncio.create_task(_enter_and_leave(mine))
                while mine._waiting == 0:
                    await asyncio.sleep(0.001)
            # The slot was passed to the waiter, which is cancelled before it could run.
            assert list(mine._handoff) != []
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
            await _enter_and_leave(other)
        assert other.max_in_flight == 2
        assert not mine._handoff
