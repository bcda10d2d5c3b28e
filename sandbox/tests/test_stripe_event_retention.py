"""The events list reaches back 30 days of sandbox time, as Stripe's does, unless configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stripe_helpers import Served, serve
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig

DAY = 86_400


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve()


@pytest.mark.parametrize(("retention_days", "listed_after_31_days"), [(30, False), (90, True)])
def test_events_older_than_the_retention_leave_the_list(
    served: Served, retention_days: int, listed_after_31_days: bool
) -> None:
    served.reset(event_retention_days=retention_days)
    customer = served.client.v1.customers.create(params={"name": "Old"})
    assert [e["data"]["object"]["id"] for e in served.events("customer.created")] == [customer.id]
    served.advance(29 * DAY)
    assert len(served.events("customer.created")) == 1
    served.advance(2 * DAY)
    listed = [e["data"]["object"]["id"] for e in served.events("customer.created")]
    assert listed == ([customer.id] if listed_after_31_days else [])
    # The event itself is still there by id: only the list forgets it.
    (event_id,) = [
        e["id"] for e in served.sandbox.store.all_of("event") if e["type"] == "customer.created"
    ]
    assert served.http.get(f"/v1/events/{event_id}").status_code == 200


def test_retention_must_be_at_least_a_day() -> None:
    with pytest.raises(ValueError, match="event_retention_days"):
        StripeSandboxConfig(event_retention_days=0)
