"""A refund to a card that cannot take it (``pm_card_refundFail``, 4000000000005126): it
succeeds, and an hour later on the sandbox clock fails, as in Stripe's test mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stripe_helpers import Served, card_payment, serve


@pytest.fixture
def served() -> Iterator[Served]:
    yield from serve(start_time=1_790_845_200, read_rate_limit=0)


def test_the_refund_succeeds_then_fails_with_its_balance_transactions_and_events(
    served: Served,
) -> None:
    pi = card_payment(served, 4200, card="pm_card_refundFail")
    re = served.client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1200})
    assert re.status == "succeeded" and re.balance_transaction
    served.advance(600)  # ten minutes: not yet
    assert served.client.v1.refunds.retrieve(re.id).status == "succeeded"
    assert served.events("refund.failed") == []

    served.advance(3600)
    failed = served.client.v1.refunds.retrieve(re.id)
    assert failed.status == "failed"
    assert failed.failure_reason == "expired_or_canceled_card"
    out = served.client.v1.balance_transactions.retrieve(str(re.balance_transaction))
    back = served.client.v1.balance_transactions.retrieve(str(failed.failure_balance_transaction))
    assert (out.amount, out.reporting_category) == (-1200, "refund")
    assert (back.amount, back.type, back.reporting_category) == (1200, "refund_failure",
                                                                  "refund_failure")  # fmt: skip
    assert back.created > out.created
    charge = served.client.v1.charges.retrieve(str(pi.latest_charge))
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    for kind in ("refund.failed", "refund.updated", "charge.refund.updated"):
        (event,) = served.events(kind)
        assert event["data"]["object"]["status"] == "failed"
        assert event["data"]["previous_attributes"] == {"status": "succeeded"}


def test_a_refund_to_a_working_card_never_fails(served: Served) -> None:
    pi = card_payment(served, 4200)
    re = served.client.v1.refunds.create(params={"payment_intent": pi.id})
    served.advance(2 * 86_400)
    assert served.client.v1.refunds.retrieve(re.id).status == "succeeded"
