"""Payment intents, charges, fees, refunds, disputes and currency rules."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

import pytest
import stripe

from stripe_helpers import Served, card_payment, serve


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve()


def _bt(served: Served, charge_id: str) -> stripe.BalanceTransaction:
    ch = served.client.v1.charges.retrieve(charge_id, params={"expand": ["balance_transaction"]})
    bt = ch.balance_transaction
    assert isinstance(bt, stripe.BalanceTransaction)
    return bt


def _expected_fee(amount: int) -> int:
    return int((Decimal(amount) * Decimal("0.029")).quantize(Decimal(1), ROUND_HALF_UP)) + 30


@pytest.mark.parametrize("amount", [50, 100, 2000, 12345, 999999])
def test_card_charge_fee_is_2_9_percent_plus_30(served: Served, amount: int) -> None:
    pi = card_payment(served, amount)
    assert pi.status == "succeeded" and pi.amount_received == amount
    bt = _bt(served, str(pi.latest_charge))
    assert bt.amount == amount
    assert bt.fee == _expected_fee(amount) == sum(f.amount for f in bt.fee_details)
    assert bt.net == bt.amount - bt.fee
    assert bt.type == "charge" and bt.reporting_category == "charge" and bt.status == "pending"
    assert bt.available_on > bt.created


def test_foreign_currency_settles_in_account_currency(served: Served) -> None:
    pi = card_payment(served, 1000, currency="eur")
    bt = _bt(served, str(pi.latest_charge))
    assert bt.currency == "usd"
    assert bt.exchange_rate is not None
    assert bt.amount == int((Decimal(1000) * Decimal(str(bt.exchange_rate))).to_integral_value())
    assert bt.net == bt.amount - bt.fee


def test_same_currency_has_no_exchange_rate(served: Served) -> None:
    pi = card_payment(served, 1000)
    assert _bt(served, str(pi.latest_charge)).exchange_rate is None


def test_declined_card_is_a_402_card_error_with_events(served: Served) -> None:
    with pytest.raises(stripe.CardError) as info:
        card_payment(served, 2000, card="pm_card_chargeDeclined")
    assert info.value.http_status == 402
    assert info.value.code == "card_declined"
    failed = served.events("charge.failed")[0]["data"]["object"]
    assert failed["status"] == "failed" and failed["balance_transaction"] is None
    assert served.events("payment_intent.payment_failed")


def test_insufficient_funds_decline_code(served: Served) -> None:
    with pytest.raises(stripe.CardError) as info:
        card_payment(served, 2000, card="pm_card_chargeDeclinedInsufficientFunds")
    err = info.value.error
    assert err is not None and err.decline_code == "insufficient_funds"


def test_manual_capture_then_partial_capture_releases_the_rest(served: Served) -> None:
    pi = card_payment(served, 10000, capture_method="manual")
    assert pi.status == "requires_capture" and pi.amount_capturable == 10000
    ch = served.client.v1.charges.retrieve(str(pi.latest_charge))
    assert ch.captured is False and ch.balance_transaction is None
    pi = served.client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 6000})
    assert pi.status == "succeeded" and pi.amount_received == 6000
    ch = served.client.v1.charges.retrieve(str(pi.latest_charge))
    assert ch.amount_captured == 6000 and ch.amount_refunded == 4000 and ch.refunded is False
    bt = _bt(served, ch.id)
    assert bt.amount == 10000 and bt.fee == _expected_fee(6000)
    reversal = served.client.v1.refunds.list(params={"charge": ch.id}).data[0]
    rbt = served.client.v1.balance_transactions.retrieve(str(reversal.balance_transaction))
    assert rbt.amount == -4000 and rbt.type == "refund"
    assert rbt.reporting_category == "partial_capture_reversal"
    assert served.events("charge.captured")[0]["data"]["object"]["id"] == ch.id


def test_several_partial_refunds_then_over_refund_is_refused(served: Served) -> None:
    pi = card_payment(served, 5000)
    first = served.client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1000})
    second = served.client.v1.refunds.create(
        params={"charge": str(pi.latest_charge), "amount": 1500}
    )
    for re in (first, second):
        rbt = served.client.v1.balance_transactions.retrieve(str(re.balance_transaction))
        assert rbt.amount == -re.amount and rbt.fee == 0 and rbt.reporting_category == "refund"
    ch = served.client.v1.charges.retrieve(str(pi.latest_charge))
    assert ch.amount_refunded == 2500 and ch.refunded is False
    with pytest.raises(stripe.InvalidRequestError) as info:
        served.client.v1.refunds.create(params={"charge": ch.id, "amount": 2600})
    assert "greater than unrefunded amount" in str(info.value.user_message)
    rest = served.client.v1.refunds.create(params={"charge": ch.id})
    assert rest.amount == 2500
    assert served.client.v1.charges.retrieve(ch.id).refunded is True


def test_failed_refund_returns_the_money(served: Served) -> None:
    pi = card_payment(served, 3000, card="pm_card_refundFail")
    re = served.client.v1.refunds.create(params={"payment_intent": pi.id})
    assert re.status == "succeeded"  # at first, as in test mode
    assert served.client.v1.charges.retrieve(str(pi.latest_charge)).amount_refunded == 3000
    served.advance(2 * 3600)
    re = served.client.v1.refunds.retrieve(re.id)
    assert re.status == "failed" and re.failure_balance_transaction
    fbt = served.client.v1.balance_transactions.retrieve(str(re.failure_balance_transaction))
    assert fbt.amount == 3000 and fbt.type == "refund_failure"
    assert served.client.v1.charges.retrieve(str(pi.latest_charge)).amount_refunded == 0
    assert served.events("refund.failed")[0]["data"]["object"]["id"] == re.id


def test_chargeback_withdraws_amount_and_fee_then_win_reinstates(served: Served) -> None:
    pi = card_payment(served, 5000, card="pm_card_createDispute")
    dp = served.client.v1.disputes.list(params={"payment_intent": pi.id}).data[0]
    assert dp.status == "needs_response" and dp.amount == 5000
    [withdrawal] = dp.balance_transactions
    assert (withdrawal.amount, withdrawal.fee, withdrawal.net) == (-5000, 1500, -6500)
    assert withdrawal.reporting_category == "dispute" and withdrawal.type == "adjustment"
    assert withdrawal.fee_details[0].description == "Dispute fee"
    assert served.events("charge.dispute.funds_withdrawn")[0]["data"]["object"]["id"] == dp.id
    with pytest.raises(stripe.InvalidRequestError):
        served.client.v1.refunds.create(params={"payment_intent": pi.id})
    dp = served.client.v1.disputes.update(
        dp.id, params={"evidence": {"uncategorized_text": "winning_evidence"}}
    )
    assert dp.status == "won"
    reinstated = dp.balance_transactions[1]
    assert (reinstated.amount, reinstated.fee, reinstated.net) == (5000, -1500, 6500)
    assert reinstated.reporting_category == "dispute_reversal"
    assert served.events("charge.dispute.funds_reinstated")[0]["data"]["object"]["id"] == dp.id


def test_losing_evidence_closes_lost_without_reinstatement(served: Served) -> None:
    pi = card_payment(served, 2000, card="pm_card_createDispute")
    dp = served.client.v1.disputes.list(params={"payment_intent": pi.id}).data[0]
    dp = served.client.v1.disputes.update(
        dp.id, params={"evidence": {"uncategorized_text": "losing_evidence"}}
    )
    assert dp.status == "lost" and len(dp.balance_transactions) == 1
    assert served.events("charge.dispute.closed")[0]["data"]["object"]["status"] == "lost"


def test_inquiry_moves_no_money(served: Served) -> None:
    pi = card_payment(served, 2000, card="pm_card_createDisputeInquiry")
    dp = served.client.v1.disputes.list(params={"payment_intent": pi.id}).data[0]
    assert dp.status == "warning_needs_response" and dp.balance_transactions == []
    dp = served.client.v1.disputes.close(dp.id)
    assert dp.status == "warning_closed" and dp.balance_transactions == []


def test_requires_action_for_3ds_cards(served: Served) -> None:
    pi = card_payment(served, 2000, card="pm_card_authenticationRequired")
    assert pi.status == "requires_action" and pi.next_action is not None


@pytest.mark.parametrize(
    ("currency", "amount", "fragment"),
    [
        ("kwd", 1005, "last digit must be 0"),
        ("isk", 50050, "always 00"),
        ("ugx", 100050, "always 00"),
        ("usd", 49, "at least 0.50 usd"),
        ("jpy", 10, "at least 75 jpy"),
        ("xyz", 1000, "Invalid currency: xyz"),
    ],
)
def test_currency_rules(served: Served, currency: str, amount: int, fragment: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        served.client.v1.payment_intents.create(params={"amount": amount, "currency": currency})
    assert info.value.http_status == 400
    assert fragment in str(info.value.user_message)


@pytest.mark.parametrize(("currency", "amount"), [("kwd", 1000), ("isk", 50000), ("jpy", 500)])
def test_valid_special_currency_amounts_are_accepted(
    served: Served, currency: str, amount: int
) -> None:
    pi = card_payment(served, amount, currency=currency)
    assert pi.status == "succeeded" and pi.currency == currency


def test_cancel_releases_an_authorization(served: Served) -> None:
    pi = card_payment(served, 2500, capture_method="manual")
    pi = served.client.v1.payment_intents.cancel(
        pi.id, params={"cancellation_reason": "requested_by_customer"}
    )
    assert pi.status == "canceled" and pi.cancellation_reason == "requested_by_customer"
    assert served.client.v1.charges.retrieve(str(pi.latest_charge)).balance_transaction is None


def test_legacy_charge_with_token(served: Served) -> None:
    ch = served.client.v1.charges.create(
        params={"amount": 700, "currency": "usd", "source": "tok_mastercard"}
    )
    assert ch.status == "succeeded" and ch.payment_method_details is not None
    assert ch.payment_method_details.card.brand == "mastercard"  # type: ignore[union-attr]
    assert _bt(served, ch.id).net == 700 - _expected_fee(700)


def test_attach_test_card_to_customer(served: Served) -> None:
    cus = served.client.v1.customers.create(params={"email": "pm@x.io"})
    pm = served.client.v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id})
    assert pm.id.startswith("pm_") and pm.id != "pm_card_visa" and pm.customer == cus.id
    listed = served.client.v1.customers.payment_methods.list(cus.id)
    assert [p.id for p in listed.data] == [pm.id]
