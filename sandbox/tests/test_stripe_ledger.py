"""Balance, automatic daily payouts linked to their transactions, manual and failed payouts."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import stripe

from stripe_helpers import Served, card_payment, serve
from stripe_netsuite_sandbox.serving import serve_in_thread
from stripe_netsuite_sandbox.stripe.app import StripeSandboxConfig, create_app

DAY = 86400


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    yield from serve()


@pytest.fixture
def served(server: Served) -> Served:
    server.reset()
    return server


def _available(served: Served, currency: str = "usd") -> int:
    bal = served.client.v1.balance.retrieve()
    return sum(a.amount for a in bal.available if a.currency == currency)


def _pending(served: Served, currency: str = "usd") -> int:
    bal = served.client.v1.balance.retrieve()
    return sum(a.amount for a in bal.pending if a.currency == currency)


def test_funds_are_pending_then_available(served: Served) -> None:
    pi = card_payment(served, 10000)
    bt = served.client.v1.balance_transactions.list(params={"source": str(pi.latest_charge)}).data[
        0
    ]
    assert _pending(served) == bt.net and _available(served) == 0
    served.advance(DAY)
    assert _pending(served) == bt.net
    served.advance(DAY)
    assert served.client.v1.balance_transactions.retrieve(bt.id).status == "available"
    assert served.events("balance.available")


def test_daily_automatic_payout_lists_its_transactions(served: Served) -> None:
    for amount in (10000, 2500, 799):
        card_payment(served, amount)
    refunded = card_payment(served, 4000)
    served.client.v1.refunds.create(params={"payment_intent": refunded.id, "amount": 1000})
    result = served.advance(2 * DAY)
    assert len(result["payouts"]) == 1
    po = served.client.v1.payouts.retrieve(result["payouts"][0])
    assert po.automatic and po.status == "paid" and po.reconciliation_status == "completed"
    bts = list(
        served.client.v1.balance_transactions.list(
            params={"payout": po.id, "limit": 2, "expand": ["data.source"]}
        ).auto_paging_iter()
    )
    own = [b for b in bts if b.id == po.balance_transaction]
    assert len(own) == 1 and own[0].amount == -po.amount and own[0].type == "payout"
    assert sum(b.net for b in bts if b.id != po.balance_transaction) == po.amount
    assert sum(b.net for b in bts) == 0
    assert {b.type for b in bts} == {"charge", "refund", "payout"}
    assert _available(served) == 0
    assert [e["data"]["object"]["id"] for e in served.events("payout.paid")] == [po.id]


def test_payout_all_pays_out_what_is_available_now(served: Served) -> None:
    card_payment(served, 5000, card="pm_card_bypassPending")
    card_payment(served, 7000)
    available = _available(served)
    assert available > 0
    made = served.http.post("/__sandbox/payout_all").json()["data"]
    assert [p["amount"] for p in made] == [available]
    assert made[0]["automatic"] is True and made[0]["status"] == "paid"
    assert _available(served) == 0 and _pending(served) > 0
    types = [e["type"] for e in served.events("payout.*")]
    assert "payout.created" in types and "payout.paid" in types


def test_manual_payout_needs_funds_and_has_no_listing(served: Served) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        served.client.v1.payouts.create(params={"amount": 100, "currency": "usd"})
    assert info.value.code == "balance_insufficient"
    card_payment(served, 2000, card="pm_card_bypassPending")
    po = served.client.v1.payouts.create(params={"amount": 1100, "currency": "usd"})
    assert po.automatic is False and po.status == "pending"
    assert _available(served) == 2000 - 88 - 1100
    with pytest.raises(stripe.InvalidRequestError) as listing:
        served.client.v1.balance_transactions.list(params={"payout": po.id})
    assert "automatic" in str(listing.value.user_message)


def test_failed_payout_returns_funds(served: Served) -> None:
    card_payment(served, 3000, card="pm_card_bypassPending")
    [po] = served.http.post("/__sandbox/payout_all").json()["data"]
    failed = served.http.post(f"/__sandbox/payouts/{po['id']}/fail").json()
    assert failed["status"] == "failed" and failed["failure_balance_transaction"]
    fbt = served.client.v1.balance_transactions.retrieve(failed["failure_balance_transaction"])
    assert fbt.amount == po["amount"] and fbt.type == "payout_failure"
    assert _available(served) == po["amount"]
    assert served.events("payout.failed")[0]["data"]["object"]["id"] == po["id"]


@pytest.mark.parametrize("currency", ["huf", "twd"])
def test_huf_and_twd_payouts_must_be_whole_units(served: Served, currency: str) -> None:
    resp = served.http.post("/v1/payouts", data={"amount": 1045, "currency": currency})
    assert resp.status_code == 400
    assert "evenly divisible by 100" in resp.json()["error"]["message"]


def test_dispute_and_refund_land_in_the_next_payout(served: Served) -> None:
    card_payment(served, 5000, card="pm_card_createDispute")
    card_payment(served, 9000)
    result = served.advance(3 * DAY)
    [po_id] = result["payouts"]
    po = served.client.v1.payouts.retrieve(po_id)
    bts = list(
        served.client.v1.balance_transactions.list(params={"payout": po_id}).auto_paging_iter()
    )
    categories = sorted(b.reporting_category for b in bts)
    assert categories == ["charge", "charge", "dispute", "payout"]
    assert sum(b.net for b in bts if b.id != po.balance_transaction) == po.amount


def test_advance_refuses_going_back(served: Served) -> None:
    resp = served.http.post("/__sandbox/advance", data={"seconds": -5})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "seconds"


def test_settlement_currencies_settle_and_pay_out_in_their_own_currency() -> None:
    config = StripeSandboxConfig(start_time=1_790_845_200, settlement_currencies=("eur",))
    server = serve_in_thread(create_app(config))
    try:
        client = stripe.StripeClient("sk_test_sandbox", base_addresses={"api": server.base_url})
        for cur, amount in (("eur", 5000), ("jpy", 5000)):
            client.v1.payment_intents.create(
                params={"amount": amount, "currency": cur, "payment_method": "pm_card_visa",
                        "confirm": True,
                        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
            )  # fmt: skip
        bts = {bt.currency: bt for bt in client.v1.balance_transactions.list().data}
        assert bts["eur"].amount == 5000 and bts["eur"].exchange_rate is None
        assert bts["eur"].fee_details[0].currency == "eur"
        assert bts["usd"].exchange_rate is not None  # JPY is converted
        headers = {"Authorization": "Bearer sk_test_sandbox"}
        httpx.post(server.base_url + "/__sandbox/advance", data={"seconds": 3 * 86400},
                   headers=headers).raise_for_status()  # fmt: skip
        payouts = {p.currency: p for p in client.v1.payouts.list().data}
        assert set(payouts) == {"eur", "usd"}
        assert payouts["eur"].amount == 5000 - bts["eur"].fee
    finally:
        server.stop()
