"""The demo's month of business (``business.build``) completes for many seeds, not just 7.

Each seed runs against its own served Stripe sandbox, with the demo's options, and the
month must hold what the generator promises: credit notes, refunds, a won and a lost
dispute, customers paying in USD, EUR and JPY, and payouts in each of those currencies.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from stripe_helpers import KEY, Served, serve
from stripe_netsuite_sandbox import books, business, demo

SEEDS = list(range(1, 41))


@pytest.fixture
def served(seed: int) -> Iterator[Served]:
    yield from serve(
        seed=seed,
        start_time=demo.MONTH_START,
        settlement_currencies=demo.CURRENCIES,
        deliver_webhooks=False,
    )


def _month(served: Served, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Build the month as the demo does, pay everything out, and read every object back."""
    business.build(served.client, seed=seed, advance=served.advance)
    served.advance(3 * demo.DAY)  # as demo.pay_out_everything: funds become available ...
    served.http.post("/__sandbox/payout_all").raise_for_status()  # ... and are paid out
    return books.stripe_objects(served.url, KEY)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_month_builds_with_everything_it_promises(served: Served, seed: int) -> None:
    objects = _month(served, seed)

    assert objects.get("credit_note"), "no credit note"
    categories = {
        bt["id"]: bt.get("reporting_category") for bt in objects.get("balance_transaction", [])
    }
    refunds = [
        r
        for r in objects.get("refund", [])
        if categories.get(r.get("balance_transaction")) != "partial_capture_reversal"
    ]
    assert refunds, "no refund (other than a released authorization)"
    assert any(r["status"] == "failed" for r in refunds), "no refund failed after it succeeded"

    invoices = Counter(i["status"] for i in objects.get("invoice", []))
    assert invoices["void"] >= 1 and invoices["uncollectible"] >= 1, dict(invoices)
    assert any(
        t.get("tax_behavior") == "inclusive"
        for i in objects.get("invoice", [])
        for t in i.get("total_taxes") or []
    ), "no invoice with tax inside its prices"
    # The refund a credit note names after the fact was asked for with no reason; the ones
    # a credit note makes itself carry `requested_by_customer`.
    named = {e["refund"] for n in objects.get("credit_note", []) for e in n.get("refunds") or []}
    assert any(r["id"] in named and not r.get("reason") for r in refunds), (
        "no credit note naming a refund made before it"
    )

    disputes = Counter(d["status"] for d in objects.get("dispute", []))
    assert disputes["won"] >= 1, f"no dispute won: {dict(disputes)}"
    assert disputes["lost"] >= 1, f"no dispute lost: {dict(disputes)}"

    # Stripe learns a customer's currency from what it is billed and charged in.
    customers: dict[str, set[str]] = defaultdict(set)
    for kind in ("invoice", "charge"):
        for obj in objects.get(kind, []):
            if obj.get("customer") and obj.get("amount", obj.get("total", 0)):
                customers[obj["currency"]].add(obj["customer"])
    for currency in demo.CURRENCIES:
        assert customers[currency], f"no customer billed or charged in {currency}"

    payouts = Counter(p["currency"] for p in objects.get("payout", []) if p["amount"] > 0)
    for currency in demo.CURRENCIES:
        assert payouts[currency] >= 1, f"no payout in {currency}: {dict(payouts)}"
