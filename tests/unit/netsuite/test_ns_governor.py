"""The in-process governor: never over the limit; a 429 slows it, successes restore it."""

from __future__ import annotations

import asyncio

import pytest

import stripe_netsuite.netsuite as netsuite
from stripe_netsuite.netsuite import LocalGovernor, PostgresGovernor, governor_for
from stripe_netsuite.netsuite.governor import libpq_url, lock_key


async def test_fifty_tasks_never_exceed_the_limit() -> None:
    governor = LocalGovernor(5)
    peak = 0

    async def request() -> None:
        nonlocal peak
        async with governor.slot():
            peak = max(peak, governor.in_flight)
            for _ in range(3):
                await asyncio.sleep(0)

    await asyncio.gather(*(request() for _ in range(50)))
    assert peak == governor.max_in_flight == 5
    assert governor.in_flight == 0


async def test_penalize_shrinks_the_pace_which_recovers_with_successes() -> None:
    governor = LocalGovernor(8)
    governor.penalize()
    governor.penalize()
    assert governor.allowed == 2.0
    for _ in range(3):
        governor.penalize()
    assert governor.allowed == 1.0  # never below one

    async def one() -> None:
        async with governor.slot():
            await asyncio.sleep(0)

    steps = [governor.allowed]
    while governor.allowed < 8:
        await one()
        steps.append(governor.allowed)
    assert steps == sorted(steps)  # grows back monotonically...
    assert 20 < len(steps) < 60  # ...gradually, not at once
    assert governor.allowed == 8.0


async def test_a_penalized_governor_admits_fewer_at_once() -> None:
    governor = LocalGovernor(6)
    governor.penalize()
    release = asyncio.Event()

    async def request() -> None:
        async with governor.slot():
            await release.wait()

    tasks = [asyncio.create_task(request()) for _ in range(10)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert governor.in_flight == 3
    assert governor.max_in_flight == 3
    release.set()
    await asyncio.gather(*tasks)
    # Successes earn the pace back one slot per window of them (3 → 4 after four).
    assert governor.max_in_flight == 4
    assert governor.allowed > 4


async def test_a_failed_request_frees_its_slot_without_earning_pace() -> None:
    governor = LocalGovernor(4)
    governor.penalize()
    with pytest.raises(RuntimeError):
        async with governor.slot():
            raise RuntimeError("boom")
    assert governor.in_flight == 0
    assert governor.allowed == 2.0


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LocalGovernor(0)


def test_governor_for_picks_by_database_url() -> None:
    assert isinstance(governor_for("sqlite:///x.db", "1", 5), LocalGovernor)
    assert isinstance(governor_for(None, "1", 5), LocalGovernor)
    pg = governor_for("postgresql+psycopg://u@h:5432/db?options=-csearch_path%3Ds", "1_SB1", 7)
    assert isinstance(pg, PostgresGovernor)
    assert pg.url == "postgresql://u@h:5432/db?options=-csearch_path%3Ds"
    assert pg.limit == 7


def test_lock_keys_are_stable_signed_32_bit_and_per_account() -> None:
    assert lock_key("1234567_SB1") == lock_key("1234567_sb1")
    assert lock_key("1234567_SB1") != lock_key("1234567")
    assert all(-(2**31) <= lock_key(a) < 2**31 for a in ("1", "2", "3_SB1", "x" * 50))
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        libpq_url("sqlite:///x.db")


def test_public_names_are_exported() -> None:
    assert sorted(netsuite.__all__) == netsuite.__all__
    for name in netsuite.__all__:
        assert getattr(netsuite, name) is not None
