"""Backfill listing against the Stripe sandbox over HTTP: 429s waited out, windows, resume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from stripe_netsuite import exceptions
from stripe_netsuite.engine import backfill
from stripe_netsuite.store import cursors, db, inbox, queue
from stripe_netsuite.stripe_api import listing
from stripe_netsuite_sandbox.serving import RunningServer, serve_in_thread
from stripe_netsuite_sandbox.stripe import ratelimit
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig, create_app

KEY = "sk_test_sandbox"
START = 1_767_229_200


class Clock:
    """Time for both sides: the sandbox's bucket and the lister's sleeps share it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def sandbox() -> Iterator[tuple[RunningServer, Clock]]:
    app = create_app(StripeSandboxConfig(start_time=START))
    clock = Clock()
    app.state.read_limiter = ratelimit.ReadLimiter(1.0, clock=clock)
    server = serve_in_thread(app)
    try:
        yield server, clock
    finally:
        server.stop()


def make_customers(server: RunningServer, count: int) -> list[str]:
    client = stripe.StripeClient(KEY, base_addresses={"api": server.base_url})
    return [client.v1.customers.create(params={"name": f"C{n}"}).id for n in range(count)]


def sdk(server: RunningServer) -> stripe.StripeClient:
    return stripe.StripeClient(
        KEY,
        base_addresses={"api": server.base_url},
        max_network_retries=2,
        http_client=stripe.HTTPXClient(allow_sync_methods=True),
    )


async def test_a_429_from_stripe_is_waited_out_and_the_read_sent_again(
    sandbox: tuple[RunningServer, Clock],
) -> None:
    server, clock = sandbox
    made = make_customers(server, 250)
    waits: list[tuple[float, listing.Hint]] = []
    lister = listing.Lister(
        client=sdk(server),
        limiter=listing.ReadLimiter(0),  # no client-side limit: Stripe's 429s decide
        sleep=clock.sleep,
        jitter=lambda d: d,
        on_wait=lambda delay, hint: waits.append((delay, hint)),
    )
    window = listing.Window(START, START + 86_400)
    seen: list[str] = []
    after = None
    while True:
        page = await lister.page("customers", window, after=after)
        seen += [obj.id for obj in page.objects]
        after = page.last_id
        if not page.has_more:
            break
    assert seen == made[::-1]  # newest first, each once
    # The sandbox admits one read a second: the second and third pages were refused
    # once each, told not to retry at once, and read again a second later.
    assert lister.reads == 5 and lister.refused == 2
    assert [delay for delay, _ in waits] == [1.0, 1.0]
    assert all(h.rate_limited and h.should_retry is False for _, h in waits)


async def test_reads_give_up_after_their_attempts_with_a_classified_error(
    sandbox: tuple[RunningServer, Clock],
) -> None:
    server, _ = sandbox
    make_customers(server, 3)
    frozen = Clock()  # sleeps that never move the sandbox's clock: refused for ever

    lister = listing.Lister(
        client=sdk(server), limiter=listing.ReadLimiter(0), sleep=frozen.sleep, attempts=3,
        jitter=lambda d: d,
    )  # fmt: skip
    await lister.page("customers", listing.Window(START, START + 10))
    with pytest.raises(exceptions.StripeUnavailable):
        await lister.page("customers", listing.Window(START, START + 10))
    assert lister.refused == 3 and frozen.slept == [1.0, 2.0]


async def test_queueing_pays_for_the_workers_reads_and_commits_with_the_cursor(
    sandbox: tuple[RunningServer, Clock], tmp_path: Path
) -> None:
    server, _ = sandbox
    server.app.state.read_limiter = ratelimit.ReadLimiter(0)  # only the client limits here
    made = make_customers(server, 250)
    database = db.make_database(f"sqlite:///{tmp_path / 'sns.db'}")
    db.migrate(database)
    clock = Clock()
    lister = listing.Lister(
        client=sdk(server), limiter=listing.ReadLimiter(50, clock=clock, sleep=clock.sleep)
    )
    summary = await backfill.run(
        lister, database, account="main", enabled={"customer"}, since=START,
        until=START + 86_400, types=["customer"],
    )  # fmt: skip
    # Three page reads and two worker reads per object (503) at 50 a second, after a
    # first second's burst of 50: 9.06 s of waiting, in batches of 12 objects.
    assert clock.now == pytest.approx(453 / 50)
    assert max(clock.slept) <= 24 / 50 + 1e-9
    assert summary.queued == 250 and summary.state.finished
    assert {job.object_id for job in queue.list_jobs(database, state="pending", limit=1000)} == set(
        made
    )
    assert inbox.counts(database)["pending"] == 250
    stored = backfill.State.loads(cursors.get(database, backfill.cursor_name("main")))
    assert stored == summary.state and stored.done == ["customer"]
    database.dispose()
