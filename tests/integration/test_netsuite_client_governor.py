"""The PostgreSQL governor shares one budget between separate governors (connections)."""

from __future__ import annotations

import asyncio

import pytest

from stripe_netsuite.netsuite import PostgresGovernor

pytestmark = pytest.mark.postgres


async def test_three_governors_never_exceed_the_shared_limit(postgres_url: str) -> None:
    governors = [
        PostgresGovernor(database_url=postgres_url, account_id="TSTDRV1", limit=3) for _ in range(3)
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
    a = PostgresGovernor(database_url=postgres_url, account_id="A1", limit=1)
    b = PostgresGovernor(database_url=postgres_url, account_id="B2", limit=1)
    async with a, b, a.slot(), b.slot():
        assert (a.in_flight, b.in_flight) == (1, 1)


async def test_a_dead_connection_gives_its_slots_back(postgres_url: str) -> None:
    holder = PostgresGovernor(database_url=postgres_url, account_id="TSTDRV2", limit=2)
    other = PostgresGovernor(database_url=postgres_url, account_id="TSTDRV2", limit=2)
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
    from stripe_netsuite.sandbox.serving import free_port

    governor = PostgresGovernor(
        database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/test",
        account_id="X",
        limit=2,
    )
    with pytest.raises(exceptions.NetSuiteRetriable, match="cannot reach PostgreSQL"):
        async with governor.slot():
            pass
    assert governor.in_flight == 0
