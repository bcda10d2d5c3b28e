"""Every Stripe CLI trigger fixture for our resources runs and emits the event it is named for."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from stripe_helpers import KEY, Served, serve
from stripe_netsuite_sandbox.stripe import triggers

TRIGGERS = triggers.FIXTURES
PREFIXES = (
    "balance.",
    "billing_portal.session.",
    "charge.",
    "coupon.",
    "credit_note.",
    "customer.",
    "invoice.",
    "invoiceitem.",
    "payment_intent.",
    "payout.",
    "plan.",
    "price.",
    "product.",
    "subscription.",
    "tax_rate.",
    "test_helpers.test_clock.",
)
#: Trigger names that are not event types: the event Stripe sends for them.
EVENT_FOR = {
    "subscription.payment_succeeded": "invoice.payment_succeeded",
    "subscription.payment_failed": "invoice.payment_failed",
}


def _files() -> list[Path]:
    if not TRIGGERS.is_dir():
        return [TRIGGERS / "missing.json"]
    return sorted(p for p in TRIGGERS.glob("*.json") if p.name.startswith(PREFIXES))


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve()


def test_the_trigger_set_is_complete() -> None:
    assert TRIGGERS.is_dir(), f"trigger fixtures not found at {TRIGGERS.resolve()}"
    assert len(_files()) == 67


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
def test_trigger_replays_and_emits_its_event(served: Served, path: Path) -> None:
    assert path.is_file(), f"trigger fixture not found: {path}"
    last = served.http.get("/v1/events", params={"limit": 1}).json()["data"]
    results = triggers.replay(path, api_base=served.url, api_key=KEY, client=served.http)
    spec = json.loads(path.read_text())
    assert set(results) == {step["name"] for step in spec["fixtures"]}
    event = EVENT_FOR.get(path.stem, path.stem)
    query: dict[str, str | int] = {"type": event, "limit": 100}
    if last:
        query["ending_before"] = last[0]["id"]
    emitted = served.http.get("/v1/events", params=query).json()["data"]
    assert emitted, f"{path.name} did not emit {event}"
    assert all(e["type"] == event for e in emitted)


def test_replay_names_an_unknown_reference(tmp_path: Path, served: Served) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {"fixtures": [{"name": "x", "path": "/v1/customers/${nobody:id}", "method": "get"}]}
        )
    )
    with pytest.raises(triggers.TriggerError) as info:
        triggers.replay(bad, api_base=served.url, api_key=KEY)
    assert "nobody" in str(info.value) and "bad.json" in str(info.value)


def test_replay_reports_an_unexpected_failure(tmp_path: Path, served: Served) -> None:
    bad = tmp_path / "fails.json"
    bad.write_text(
        json.dumps(
            {
                "fixtures": [
                    {
                        "name": "pi",
                        "path": "/v1/payment_intents",
                        "method": "post",
                        "params": {"amount": 1, "currency": "usd"},
                    }
                ]
            }
        )
    )
    with pytest.raises(triggers.TriggerError) as info:
        triggers.replay(bad, api_base=served.url, api_key=KEY)
    assert "HTTP 400" in str(info.value) and "'pi'" in str(info.value)
