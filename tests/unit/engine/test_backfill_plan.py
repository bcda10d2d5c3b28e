"""Backfill planning without a network: types, resume decisions, progress, the read budget."""

from __future__ import annotations

import pytest

from stripe_netsuite.engine import backfill
from stripe_netsuite.stripe_api import listing


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_the_client_side_limiter_keeps_reads_under_the_rate() -> None:
    clock = Clock()
    limiter = listing.ReadLimiter(4.0, clock=clock, sleep=clock.sleep)
    for _ in range(12):
        await limiter.acquire()
    # A burst of one second's reads, then one every quarter second.
    assert clock.now == pytest.approx(2.0)
    assert limiter.waited == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (None, ("customer", "product", "price", "coupon", "invoice", "charge", "payout")),
        (["payouts", "customer", "invoices"], ("customer", "invoice", "payout")),
        (["plan", "prices"], ("price", "plan")),
    ],
)
def test_types_come_in_dependency_order(
    requested: list[str] | None, expected: tuple[str, ...]
) -> None:
    enabled = {"customer", "product", "price", "plan", "coupon", "invoice", "charge", "payout"}
    assert backfill.choose_types(requested, enabled) == expected


def test_an_unknown_type_is_named() -> None:
    with pytest.raises(ValueError, match="unknown type 'widgets'"):
        backfill.choose_types(["customer", "widgets"], {"customer"})


def test_plan_resumes_only_the_same_unfinished_run() -> None:
    first, resumed = backfill.plan(None, since=100, until=None, types=["customer"], now=500)
    assert not resumed and (first.since, first.until) == (100, 500)
    again, resumed = backfill.plan(first, since=100, until=None, types=["customer"], now=900)
    assert resumed and again is first  # the stored end holds: the window does not grow
    other, resumed = backfill.plan(first, since=100, until=None, types=["invoice"], now=900)
    assert not resumed and other.run != first.run
    first.finished = True
    fresh, resumed = backfill.plan(first, since=100, until=None, types=["customer"], now=900)
    assert not resumed and fresh.until == 900
    with pytest.raises(ValueError, match="empty window"):
        backfill.plan(None, since=100, until=100, types=["customer"], now=900)


def test_state_round_trips_and_progress_reads_well() -> None:
    state = backfill.State(run="abcd", since=0, until=1000, types=["customer", "invoice"])
    state.done.append("customer")
    state.reached, state.listed, state.queued = 500, 1234, 1200
    assert backfill.State.loads(state.dumps()) == state
    assert backfill.State.loads("not json") is None
    assert backfill.fraction_done(state) == 0.75
    tick = backfill.Tick(state=state, kind="invoice", listed_now=600, seconds=30.0, reads=13,
                         refused=1)  # fmt: skip
    assert backfill.describe(tick) == (
        "backfill invoice (2/2): 1,234 listed, 1,200 queued, 20.0/s, 75% done, ETA 0:00:10, "
        "13 reads (1 refused)"
    )


def test_dates_are_utc() -> None:
    assert backfill.parse_instant("2026-01-01", option="--since") == 1_767_225_600
    assert backfill.parse_instant("2026-01-01T01:00:00+01:00", option="--since") == 1_767_225_600
    with pytest.raises(ValueError, match="--until 'soon' is not a date"):
        backfill.parse_instant("soon", option="--until")


async def test_a_cost_above_one_seconds_burst_is_taken_on_credit() -> None:
    clock = Clock()
    limiter = listing.ReadLimiter(10.0, clock=clock, sleep=clock.sleep)
    await limiter.acquire(30)  # a full bucket pays 10 now; 20 are owed
    assert clock.now == 0.0
    await limiter.acquire(1)  # waits out the debt, then for its own read
    assert clock.now == pytest.approx(2.1)
    assert limiter.batch_size(2.0) == 2 and listing.ReadLimiter(0).batch_size(2.0) == 100


def test_a_finished_run_shows_no_eta_guess_and_an_unknown_one_shows_a_dash() -> None:
    state = backfill.State(run="r", since=0, until=100, types=["customer"], reached=0)
    tick = backfill.Tick(state=state, kind="customer", listed_now=10, seconds=1.0, reads=1,
                         refused=0)  # fmt: skip
    assert "100% done, ETA -," in backfill.describe(tick)
    state.finished = True
    assert "ETA 0:00:00" in backfill.describe(tick)
