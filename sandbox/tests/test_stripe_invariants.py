"""Money invariants after a mixed scenario: payouts tie out, every BT has amount − fee = net."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from stripe_helpers import Served, card_payment, serve

DAY = 86400


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    for s in serve(seed=11):
        _scenario(s)
        yield s


def _scenario(served: Served) -> None:
    c = served.client
    for day in range(4):
        for amount in (1999, 5000 + day, 120000):
            card_payment(served, amount)
        card_payment(served, 2500, currency="eur")
        card_payment(served, 990, currency="gbp")
        refunded = card_payment(served, 8000)
        c.v1.refunds.create(params={"payment_intent": refunded.id, "amount": 3000})
        c.v1.refunds.create(params={"payment_intent": refunded.id, "amount": 1000})
        held = card_payment(served, 6000, capture_method="manual")
        c.v1.payment_intents.capture(held.id, params={"amount_to_capture": 4500})
        disputed = card_payment(served, 4200, card="pm_card_createDispute")
        if day % 2 == 0:
            dp = c.v1.disputes.list(params={"payment_intent": disputed.id}).data[0]
            c.v1.disputes.update(
                dp.id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
            )
        failing = card_payment(served, 3000, card="pm_card_refundFail")
        c.v1.refunds.create(params={"payment_intent": failing.id})
        served.advance(DAY)
    served.advance(3 * DAY)


def _all(served: Served, params: dict[str, object]) -> list[stripe.BalanceTransaction]:
    page = served.client.v1.balance_transactions.list(params={"limit": 100, **params})  # type: ignore[arg-type]
    return list(page.auto_paging_iter())


def test_each_automatic_payout_ties_out_to_its_transactions(served: Served) -> None:
    payouts = list(served.client.v1.payouts.list(params={"limit": 100}).auto_paging_iter())
    automatic = [p for p in payouts if p.automatic]
    assert len(automatic) >= 4
    for po in automatic:
        bts = _all(served, {"payout": po.id})
        others = [b for b in bts if b.id != po.balance_transaction]
        assert others, f"{po.id} lists no transactions"
        assert sum(b.net for b in others) == po.amount
        assert all(b.status == "available" and b.currency == po.currency for b in bts)


def test_every_transaction_is_paid_out_at_most_once(served: Served) -> None:
    seen: set[str] = set()
    for po in served.client.v1.payouts.list(params={"limit": 100}).auto_paging_iter():
        for bt in _all(served, {"payout": po.id}):
            assert bt.id not in seen
            seen.add(bt.id)
    assert seen


def test_amount_minus_fee_is_net_everywhere(served: Served) -> None:
    bts = _all(served, {})
    assert len(bts) > 50
    for bt in bts:
        assert bt.amount - bt.fee == bt.net
        assert bt.fee == sum(f.amount for f in bt.fee_details)
    charges = [b for b in bts if b.type == "charge"]
    assert all(b.fee > 0 for b in charges)


def test_balance_equals_the_sum_of_transactions(served: Served) -> None:
    bts = _all(served, {})
    bal = served.client.v1.balance.retrieve()
    available = sum(a.amount for a in bal.available if a.currency == "usd")
    pending = sum(a.amount for a in bal.pending if a.currency == "usd")
    assert available == sum(b.net for b in bts if b.status == "available")
    assert pending == sum(b.net for b in bts if b.status == "pending")
    assert available == 0


def test_categories_cover_the_accounting_cases(served: Served) -> None:
    categories = {b.reporting_category for b in _all(served, {})}
    assert {
        "charge",
        "refund",
        "partial_capture_reversal",
        "dispute",
        "dispute_reversal",
        "refund_failure",
        "payout",
    } <= categories
