"""A backfill's cursor records its times, its stops and its resumes, for others to read."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
import sqlalchemy as sa

from stripe_netsuite import exceptions
from stripe_netsuite.engine import backfill
from stripe_netsuite.engine.backfill_progress import RunState, read_runs
from stripe_netsuite.store import cursors, db
from stripe_netsuite.stripe_api.listing import Listed, Lister, Page, ReadLimiter, Window


class Lists:
    """Stripe's lists, a page of two at a time; the page numbered *fail_at* fails."""

    def __init__(self, lists: dict[str, list[str]], fail_at: int | None = None) -> None:
        self.lists = lists
        self.fail_at = fail_at
        self.limiter = ReadLimiter(0)
        self.reads = self.refused = 0

    async def page(self, resource: str, window: Window, *, after: str | None = None) -> Page:
        self.reads += 1
        if self.reads == self.fail_at:
            raise exceptions.StripeUnavailable("Stripe answered 503 eight times")
        ids = self.lists[resource]
        start = ids.index(after) + 1 if after else 0
        chunk = ids[start : start + 2]
        kind = resource.removesuffix("s")
        objects = tuple(Listed(id=i, object_type=kind, created=window.since) for i in chunk)
        return Page(objects=objects, has_more=start + 2 < len(ids))


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        self.now += 1.0  # each reading of the clock is a second later
        return self.now


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sa.Engine]:
    found = db.make_database(f"sqlite:///{tmp_path / 'sns.db'}")
    db.migrate(found)
    yield found
    found.dispose()


def stored(database: sa.Engine) -> backfill.State:
    state = backfill.State.loads(cursors.get(database, backfill.cursor_name("main")))
    assert state is not None
    return state


async def run(database: sa.Engine, lists: Lists, clock: Clock) -> backfill.Summary:
    return await backfill.run(
        cast(Lister, lists), database, account="main", enabled={"customer", "product"},
        since=100, until=10_000, types=["customer", "product"], now=clock,
    )  # fmt: skip


async def test_a_failed_attempt_records_its_stop_and_the_resume_clears_it(
    database: sa.Engine,
) -> None:
    lists: dict[str, list[str]] = {
        "customers": ["cus_1", "cus_2", "cus_3", "cus_4", "cus_5"],
        "products": ["prod_1"],
    }
    clock = Clock(1_000_000.0)
    with pytest.raises(exceptions.StripeUnavailable):
        await run(database, Lists(lists, fail_at=2), clock)
    first = stored(database)
    # The first page committed; the second failed and the stop was recorded on top.
    assert (first.listed, first.queued, first.after) == (2, 2, "cus_2")
    assert first.queued_by_type == {"customer": 2}
    assert first.stop_reason == "StripeUnavailable" and first.stopped_at is not None
    assert first.started_at == 1_000_001 and first.attempts == 1
    assert first.updated_at is not None and first.updated_at < first.stopped_at
    assert not first.finished and first.finished_at is None
    (shown,) = read_runs(database, now=first.stopped_at + 1)
    assert shown.state is RunState.STOPPED and shown.jobs is not None
    assert (shown.jobs.done, shown.jobs.pending, shown.jobs.parked) == (0, 2, 0)
    assert shown.resume is not None and "--types customer,product" in shown.resume

    summary = await run(database, Lists(lists), clock)
    done = stored(database)
    assert summary.resumed and done.run == first.run
    assert done.stopped_at is None and done.stop_reason is None and done.attempts == 2
    assert done.finished and done.updated_at is not None and done.finished_at == done.updated_at
    assert done.queued == 6 and done.queued_by_type == {"customer": 5, "product": 1}
    assert done.started_at == first.started_at and done.seconds > first.seconds
    (shown,) = read_runs(database, now=done.updated_at + 3_600)
    assert shown.state is RunState.FINISHED and shown.jobs is not None
    assert shown.jobs.pending == 6


async def test_a_cancelled_attempt_is_recorded_as_interrupted(database: sa.Engine) -> None:
    """Ctrl-C: `asyncio.run` cancels the command's task while it waits for a page."""
    source = Lists({"customers": ["cus_1", "cus_2", "cus_3"], "products": []})
    first_page = source.page
    waiting = asyncio.Event()

    async def slow(resource: str, window: Window, *, after: str | None = None) -> Page:
        if after is None:
            return await first_page(resource, window, after=after)
        waiting.set()
        await asyncio.Event().wait()  # Stripe never answers
        raise AssertionError("not reached")

    source.page = slow  # type: ignore[method-assign]
    task = asyncio.create_task(run(database, source, Clock(5_000.0)))
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    state = stored(database)
    assert state.stop_reason == "interrupted" and state.listed == 2
    assert backfill.stop_reason(KeyboardInterrupt()) == "interrupted"
