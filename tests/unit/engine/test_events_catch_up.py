"""The events poll hands each event to the engine's intake and keeps its place by a cursor."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
import stripe

from stripe_netsuite import exceptions
from stripe_netsuite.engine import intake
from stripe_netsuite.store import cursors, db, queue
from stripe_netsuite.stripe_api import events
from stripe_netsuite.stripe_api.webhooks import EventRef


def event(event_id: str, created: int, obj: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": "customer.created",
        "created": created,
        "data": {"object": obj if obj is not None else {"id": "cus_1", "object": "customer"}},
    }


@dataclass
class Page:
    data: list[dict[str, Any]]
    has_more: bool


@dataclass
class FakeEvents:
    """Stands in for ``client.v1.events``: pages a fixed list, records each query.

    *failures* maps a page number (1-based) to the error its next request raises.
    """

    items: list[dict[str, Any]]
    queries: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[int, Exception] = field(default_factory=dict)

    async def list_async(self, params: dict[str, Any]) -> Page:
        self.queries.append(params)
        start = 0
        if "starting_after" in params:
            start = 1 + [i["id"] for i in self.items].index(params["starting_after"])
        limit = params["limit"]
        error = self.failures.pop(1 + start // limit, None)
        if error is not None:
            raise error
        return Page(self.items[start : start + limit], start + limit < len(self.items))


@dataclass
class FakeStripe:
    events: FakeEvents

    @property
    def v1(self) -> FakeStripe:
        return self


@pytest.fixture
def database(sqlite_url: str) -> Iterator[sa.Engine]:
    engine = db.make_database(sqlite_url)
    db.migrate(engine)
    yield engine
    engine.dispose()


def seen_by(refs: list[EventRef]) -> events.Accept[str]:
    def accept(*, ref: EventRef) -> str:
        refs.append(ref)
        return "seen"

    return accept


async def test_the_first_poll_reads_everything_and_stores_the_newest_created(
    database: sa.Engine,
) -> None:
    stripe = FakeStripe(FakeEvents([event("evt_2", 1_700_000_500), event("evt_1", 1_700_000_100)]))
    refs: list[EventRef] = []
    outcomes = await events.catch_up(
        stripe,  # type: ignore[arg-type]
        database,
        account="main",
        accept=seen_by(refs),
    )
    assert outcomes == Counter({"seen": 2})
    assert [r.event_id for r in refs] == ["evt_2", "evt_1"]
    assert stripe.events.queries == [{"limit": 100}]
    assert cursors.get(database, "stripe.events:main") == "1700000500"


async def test_a_later_poll_rereads_an_overlap_before_the_cursor(database: sa.Engine) -> None:
    cursors.put(database, "stripe.events:main", "1700000500")
    stripe = FakeStripe(FakeEvents([event("evt_3", 1_700_000_400)]))
    await events.catch_up(stripe, database, account="main", accept=seen_by([]))  # type: ignore[arg-type]
    assert stripe.events.queries == [{"limit": 100, "created": {"gte": 1_700_000_200}}]
    # An older event read in the overlap never moves the cursor back.
    assert cursors.get(database, "stripe.events:main") == "1700000500"


async def test_events_without_an_object_are_passed_over(database: sa.Engine) -> None:
    thin = {"id": "evt_v2", "object": "event", "type": "v2.core.event", "created": 1_700_000_900}
    stripe = FakeStripe(FakeEvents([thin, event("evt_1", 1_700_000_100)]))
    refs: list[EventRef] = []
    await events.catch_up(stripe, database, account="main", accept=seen_by(refs))  # type: ignore[arg-type]
    assert [r.event_id for r in refs] == ["evt_1"]
    assert cursors.get(database, "stripe.events:main") == "1700000100"


async def test_a_failed_acceptance_leaves_the_cursor_for_the_next_poll(database: sa.Engine) -> None:
    def accept(*, ref: EventRef) -> str:
        raise RuntimeError("database is locked")

    stripe = FakeStripe(FakeEvents([event("evt_1", 1_700_000_100)]))
    with pytest.raises(RuntimeError):
        await events.catch_up(stripe, database, account="main", accept=accept)  # type: ignore[arg-type]
    assert cursors.get(database, "stripe.events:main") is None


async def test_the_engine_intake_records_and_queues_what_the_poll_reads(
    database: sa.Engine,
) -> None:
    stripe = FakeStripe(
        FakeEvents(
            [
                event("evt_1", 1_700_000_100),
                event("evt_1", 1_700_000_100),
                event("evt_2", 1_700_000_200, {"id": "tr_1", "object": "transfer"}),
            ]
        )
    )
    accept = functools.partial(intake.accept, database, account="main", kinds={"customer"})
    outcomes = await events.catch_up(stripe, database, account="main", accept=accept)  # type: ignore[arg-type]
    assert outcomes == Counter(
        {intake.Intake.QUEUED: 1, intake.Intake.DUPLICATE: 1, intake.Intake.IGNORED: 1}
    )
    assert queue.counts(database) == {("customer", "pending"): 1}


async def test_every_page_is_read_and_classified_like_the_first(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "PAGE_SIZE", 2)
    items = [event(f"evt_{n}", 1_700_000_000 + n) for n in range(5, 0, -1)]
    client = FakeStripe(FakeEvents(items, failures={2: server_error()}))
    refs: list[EventRef] = []
    with pytest.raises(exceptions.StripeUnavailable, match="Stripe error 500"):
        await events.catch_up(client, database, account="main", accept=seen_by(refs))  # type: ignore[arg-type]
    # Page 1 was handed on; the cursor stays, so the next poll reads it all again.
    assert [r.event_id for r in refs] == ["evt_5", "evt_4"]
    assert cursors.get(database, "stripe.events:main") is None

    pages: list[str] = []
    refs.clear()
    await events.catch_up(
        client,  # type: ignore[arg-type]
        database,
        account="main",
        accept=seen_by(refs),
        progress=lambda: pages.append("page"),
    )
    assert [r.event_id for r in refs] == ["evt_5", "evt_4", "evt_3", "evt_2", "evt_1"]
    assert pages == ["page"] * 3
    assert [q.get("starting_after") for q in client.events.queries[-3:]] == [None, "evt_4", "evt_2"]
    assert cursors.get(database, "stripe.events:main") == "1700000005"


def server_error() -> stripe.APIError:
    return stripe.APIError("An unknown error occurred", http_status=500)
