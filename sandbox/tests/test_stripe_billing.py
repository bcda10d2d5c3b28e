"""Invoices (discounts, tax, customer balance, payments), credit notes, subscriptions, clocks."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from stripe_helpers import START, Served, serve


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve()


def _customer(served: Served, **more: Any) -> stripe.Customer:
    params: dict[str, Any] = {
        "email": "bill@x.io",
        "payment_method": "pm_card_visa",
        "invoice_settings": {"default_payment_method": "pm_card_visa"},
        **more,
    }
    return served.client.v1.customers.create(params=params)  # type: ignore[arg-type]


def _invoice(served: Served, customer: str, amounts: list[int], **more: Any) -> stripe.Invoice:
    for amount in amounts:
        served.client.v1.invoice_items.create(
            params={"customer": customer, "amount": amount, "currency": "usd"}
        )
    params: dict[str, Any] = {
        "customer": customer,
        "pending_invoice_items_behavior": "include",
        **more,
    }
    return served.client.v1.invoices.create(params=params)  # type: ignore[arg-type]


def test_invoice_with_percent_coupon_and_exclusive_tax(served: Served) -> None:
    cus = _customer(served)
    coupon = served.client.v1.coupons.create(params={"percent_off": 10})
    rate = served.client.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": 20, "inclusive": False}
    )
    inv = _invoice(
        served,
        cus.id,
        [3000, 1000],
        discounts=[{"coupon": coupon.id}],
        default_tax_rates=[rate.id],
    )
    assert inv.status == "draft" and inv.subtotal == 4000
    [disc] = inv.total_discount_amounts or []
    assert disc.amount == 400
    per_line = [la.discount_amounts[0].amount for la in inv.lines.data]  # type: ignore[index]
    assert sorted(per_line) == [100, 300]
    [tax] = inv.total_taxes or []
    assert (tax.amount, tax.taxable_amount, tax.tax_behavior) == (720, 3600, "exclusive")
    assert inv.total == 4000 - 400 + 720 == inv.amount_due
    assert inv.total_excluding_tax == 3600


def test_amount_off_coupon_is_allocated_across_lines(served: Served) -> None:
    cus = _customer(served)
    coupon = served.client.v1.coupons.create(params={"amount_off": 1000, "currency": "usd"})
    inv = _invoice(served, cus.id, [1000, 2000, 3000], discounts=[{"coupon": coupon.id}])
    amounts = [la.discount_amounts[0].amount for la in inv.lines.data]  # type: ignore[index]
    assert sum(amounts) == 1000 and sorted(amounts) == [167, 333, 500]
    assert inv.total == 5000


def test_inclusive_tax_is_inside_the_amount(served: Served) -> None:
    cus = _customer(served)
    rate = served.client.v1.tax_rates.create(
        params={"display_name": "GST", "percentage": 10, "inclusive": True}
    )
    inv = _invoice(served, cus.id, [1100], default_tax_rates=[rate.id])
    [tax] = inv.total_taxes or []
    assert (tax.amount, tax.taxable_amount) == (100, 1000)
    assert inv.total == 1100 and inv.total_excluding_tax == 1000


def test_finalize_and_pay_with_customer_credit_balance(served: Served) -> None:
    cus = _customer(served, balance=-500)
    inv = _invoice(served, cus.id, [2000])
    assert inv.starting_balance == -500 and inv.amount_due == 1500
    inv = served.client.v1.invoices.finalize_invoice(inv.id)
    assert inv.status == "open" and inv.number and inv.ending_balance == 0
    assert served.client.v1.customers.retrieve(cus.id).balance == 0
    txns = served.client.v1.customers.balance_transactions.list(cus.id)
    assert [(t.type, t.amount) for t in txns.data] == [
        ("applied_to_invoice", 500),
        ("initial", -500),
    ]
    inv = served.client.v1.invoices.pay(inv.id, params={"expand": ["payments"]})
    assert (inv.status, inv.amount_paid, inv.amount_remaining) == ("paid", 1500, 0)
    [payment] = inv.payments.data  # type: ignore[union-attr]
    assert payment.amount_paid == 1500 and payment.payment.type == "payment_intent"
    pi = served.client.v1.payment_intents.retrieve(str(payment.payment.payment_intent))
    ch = served.client.v1.charges.retrieve(
        str(pi.latest_charge), params={"expand": ["balance_transaction"]}
    )
    assert ch.balance_transaction.amount == 1500  # type: ignore[union-attr]
    types = [e["type"] for e in served.events("invoice.*")[:4]]
    assert "invoice.paid" in types and "invoice.payment_succeeded" in types


def test_owed_balance_is_added_to_the_next_invoice(served: Served) -> None:
    cus = _customer(served)
    served.client.v1.customers.balance_transactions.create(
        cus.id, params={"amount": 300, "currency": "usd", "description": "late fee"}
    )
    inv = _invoice(served, cus.id, [1000])
    inv = served.client.v1.invoices.finalize_invoice(inv.id)
    assert inv.amount_due == 1300 and inv.ending_balance == 0


def test_declined_invoice_payment_fails_with_event(served: Served) -> None:
    cus = served.client.v1.customers.create(params={"email": "decl@x.io"})
    pm = served.client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": cus.id}
    )
    inv = _invoice(served, cus.id, [2000])
    with pytest.raises(stripe.CardError):
        served.client.v1.invoices.pay(inv.id, params={"payment_method": pm.id})
    inv = served.client.v1.invoices.retrieve(inv.id)
    assert inv.status == "open" and inv.attempt_count == 1 and inv.amount_paid == 0
    assert served.events("invoice.payment_failed")[0]["data"]["object"]["id"] == inv.id


def test_void_returns_applied_balance(served: Served) -> None:
    cus = _customer(served, balance=-700)
    inv = _invoice(served, cus.id, [1000])
    served.client.v1.invoices.finalize_invoice(inv.id)
    inv = served.client.v1.invoices.void_invoice(inv.id)
    assert inv.status == "void"
    assert served.client.v1.customers.retrieve(cus.id).balance == -700


def test_uncollectible_send_and_delete(served: Served) -> None:
    cus = _customer(served)
    inv = _invoice(served, cus.id, [900])
    served.client.v1.invoices.finalize_invoice(inv.id)
    assert served.client.v1.invoices.mark_uncollectible(inv.id).status == "uncollectible"
    sent = _invoice(served, cus.id, [500], collection_method="send_invoice", days_until_due=7)
    sent = served.client.v1.invoices.send_invoice(sent.id)
    assert sent.status == "open" and sent.due_date is not None
    draft = _invoice(served, cus.id, [100])
    served.client.v1.invoices.delete(draft.id)
    with pytest.raises(stripe.InvalidRequestError):
        served.client.v1.invoices.delete(sent.id)


def test_pre_payment_credit_note_reduces_amount_remaining(served: Served) -> None:
    cus = _customer(served)
    inv = served.client.v1.invoices.finalize_invoice(_invoice(served, cus.id, [2000]).id)
    cn = served.client.v1.credit_notes.create(
        params={
            "invoice": inv.id,
            "lines": [{"type": "custom_line_item", "unit_amount": 600, "quantity": 1}],
        }
    )
    assert (cn.type, cn.pre_payment_amount, cn.post_payment_amount) == ("pre_payment", 600, 0)
    inv = served.client.v1.invoices.retrieve(inv.id)
    assert inv.amount_remaining == 1400 and inv.pre_payment_credit_notes_amount == 600
    served.client.v1.credit_notes.void_credit_note(cn.id)
    assert served.client.v1.invoices.retrieve(inv.id).amount_remaining == 2000


def test_post_payment_credit_note_refunds_and_credits(served: Served) -> None:
    cus = _customer(served)
    inv = _invoice(served, cus.id, [3000])
    inv = served.client.v1.invoices.pay(inv.id)
    cn = served.client.v1.credit_notes.create(
        params={
            "invoice": inv.id,
            "lines": [
                {
                    "type": "invoice_line_item",
                    "invoice_line_item": inv.lines.data[0].id,
                    "quantity": 1,
                }
            ],
            "refund_amount": 1000,
            "credit_amount": 1500,
            "out_of_band_amount": 500,
        }
    )
    assert cn.type == "post_payment" and cn.total == 3000 and cn.post_payment_amount == 3000
    [refund] = cn.refunds
    re = served.client.v1.refunds.retrieve(str(refund.refund))
    assert re.amount == 1000 and re.status == "succeeded"
    assert served.client.v1.customers.retrieve(cus.id).balance == -1500
    assert cn.out_of_band_amount == 500
    with pytest.raises(stripe.InvalidRequestError) as info:
        served.client.v1.credit_notes.create(
            params={
                "invoice": inv.id,
                "lines": [{"type": "custom_line_item", "unit_amount": 1, "quantity": 1}],
            }
        )
    assert "less than or equal to the invoice total" in str(info.value.user_message)


def test_post_payment_amounts_must_add_up(served: Served) -> None:
    cus = _customer(served)
    inv = served.client.v1.invoices.pay(_invoice(served, cus.id, [1000]).id)
    with pytest.raises(stripe.InvalidRequestError) as info:
        served.client.v1.credit_notes.create(
            params={"invoice": inv.id, "amount": 800, "refund_amount": 500}
        )
    assert "post-payment amount" in str(info.value.user_message)


def _price(served: Served, amount: int = 1500) -> stripe.Price:
    prod = served.client.v1.products.create(params={"name": "Plan"})
    return served.client.v1.prices.create(
        params={
            "product": prod.id,
            "unit_amount": amount,
            "currency": "usd",
            "recurring": {"interval": "month"},
        }
    )


def test_subscription_invoices_each_cycle_with_line_periods(served: Served) -> None:
    clock = served.client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    cus = _customer(served, test_clock=clock.id)
    sub = served.client.v1.subscriptions.create(
        params={"customer": cus.id, "items": [{"price": _price(served).id}]}
    )
    assert sub.status == "active"
    first = served.client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert first.status == "paid" and first.amount_paid == 1500
    assert first.billing_reason == "subscription_create"
    line = first.lines.data[0]
    assert line.period.start == START and line.period.end > START
    clock = served.client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": START + 70 * 86400}
    )
    assert clock.status == "ready"
    invs = served.client.v1.invoices.list(params={"subscription": sub.id}).data
    assert [i.billing_reason for i in invs] == [
        "subscription_cycle",
        "subscription_cycle",
        "subscription_create",
    ]
    assert all(i.status == "paid" and i.amount_paid == 1500 for i in invs)
    periods = sorted((i.lines.data[0].period.start, i.lines.data[0].period.end) for i in invs)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(periods))
    assert served.events("test_helpers.test_clock.ready")


def test_trial_gives_a_zero_invoice_and_trial_will_end(served: Served) -> None:
    cus = _customer(served)
    sub = served.client.v1.subscriptions.create(
        params={"customer": cus.id, "items": [{"price": _price(served).id}], "trial_period_days": 2}
    )
    assert sub.status == "trialing" and sub.trial_end is not None
    inv = served.client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert inv.total == 0 and inv.status == "paid"
    notices = served.events("customer.subscription.trial_will_end")
    assert notices[0]["data"]["object"]["id"] == sub.id


def test_upgrade_creates_prorations_on_the_next_invoice(served: Served) -> None:
    clock = served.client.v1.test_helpers.test_clocks.create(params={"frozen_time": START})
    cus = _customer(served, test_clock=clock.id)
    cheap, dear = _price(served, 1000), _price(served, 3000)
    sub = served.client.v1.subscriptions.create(
        params={"customer": cus.id, "items": [{"price": cheap.id}]}
    )
    end = sub["items"].data[0].current_period_end
    served.client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": START + (end - START) // 2}
    )
    item = sub["items"].data[0].id
    sub = served.client.v1.subscriptions.update(
        sub.id, params={"items": [{"id": item, "price": dear.id}]}
    )
    pending = served.client.v1.invoice_items.list(params={"customer": cus.id, "pending": True}).data
    amounts = sorted(ii.amount for ii in pending)
    assert len(amounts) == 2 and amounts[0] == -500 and amounts[1] == 1500
    served.client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": end + 60})
    latest = served.client.v1.invoices.list(params={"subscription": sub.id, "limit": 1}).data[0]
    assert latest.total == 3000 - 500 + 1500 and latest.status == "paid"


def test_cancel_subscription(served: Served) -> None:
    cus = _customer(served)
    sub = served.client.v1.subscriptions.create(
        params={"customer": cus.id, "items": [{"price": _price(served).id}]}
    )
    sub = served.client.v1.subscriptions.cancel(sub.id)
    assert sub.status == "canceled" and sub.ended_at is not None
    assert served.events("customer.subscription.deleted")[0]["data"]["object"]["id"] == sub.id


def test_failed_first_payment_leaves_subscription_incomplete(served: Served) -> None:
    cus = served.client.v1.customers.create(params={"email": "inc@x.io"})
    pm = served.client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": cus.id}
    )
    served.client.v1.customers.update(
        cus.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    sub = served.client.v1.subscriptions.create(
        params={"customer": cus.id, "items": [{"price": _price(served).id}]}
    )
    assert sub.status == "incomplete"
    assert served.client.v1.invoices.retrieve(str(sub.latest_invoice)).status == "open"


def test_invoice_payments_filter_by_payment_intent(served: Served) -> None:
    cus = _customer(served)
    inv = served.client.v1.invoices.pay(_invoice(served, cus.id, [1200]).id)
    _invoice(served, cus.id, [800])
    [payment] = served.client.v1.invoice_payments.list(params={"invoice": inv.id}).data
    pi = str(payment.payment.payment_intent)
    found = served.client.v1.invoice_payments.list(
        params={"payment": {"type": "payment_intent", "payment_intent": pi}, "limit": 1}
    ).data
    assert [p.invoice for p in found] == [inv.id]
    none = served.client.v1.invoice_payments.list(
        params={"payment": {"type": "payment_intent", "payment_intent": "pi_unknown"}}
    ).data
    assert none == []


def test_expand_discounts_and_credit_note_refunds(served: Served) -> None:
    cus = _customer(served)
    coupon = served.client.v1.coupons.create(params={"amount_off": 200, "currency": "usd"})
    inv = _invoice(served, cus.id, [1000], discounts=[{"coupon": coupon.id}])
    inv = served.client.v1.invoices.pay(inv.id)
    got = served.client.v1.invoices.retrieve(
        inv.id, params={"expand": ["discounts", "total_discount_amounts.discount"]}
    )
    assert got.discounts[0].source.coupon == coupon.id  # type: ignore[union-attr]
    assert got.total_discount_amounts[0].discount.id == got.discounts[0].id  # type: ignore[index,union-attr]
    cn = served.client.v1.credit_notes.create(
        params={"invoice": inv.id, "amount": 300, "refund_amount": 300}
    )
    cn = served.client.v1.credit_notes.retrieve(cn.id, params={"expand": ["refunds.refund"]})
    assert cn.refunds[0].refund.amount == 300  # type: ignore[union-attr]


def test_invoice_lines_page_in_invoice_order(served: Served) -> None:
    cus = _customer(served)
    inv = _invoice(served, cus.id, [100, 200, 300, 400])
    page = served.client.v1.invoices.line_items.list(inv.id, params={"limit": 1})
    walked = [line.id for line in page.auto_paging_iter()]
    assert walked == [line.id for line in inv.lines.data]
    assert [line.amount for line in inv.lines.data] == [100, 200, 300, 400]


def test_stripe_sandbox_exports() -> None:
    import stripe_netsuite_sandbox.stripe as package

    assert package.__all__ == ["StripeSandboxConfig", "create_app"]
    assert all(hasattr(package, name) for name in package.__all__)


def test_test_clock_events_carry_sandbox_time(served: Served) -> None:
    clock = served.client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1577836800})
    cus = _customer(served, test_clock=clock.id)
    sub = served.client.v1.subscriptions.create(
        params={"customer": cus.id, "items": [{"price": _price(served).id}]}
    )
    served.client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": 1580515200})
    invoices = served.client.v1.invoices.list(params={"subscription": sub.id}).data
    assert invoices[0].created == 1580515200  # the renewal, one month after 2020-01-01
    assert all(i.created < START for i in invoices)
    recent = served.client.v1.events.list(params={"created": {"gte": START}, "limit": 100}).data
    renewed = [
        e for e in recent if e.type == "invoice.paid" and e.data.object["id"] == invoices[0].id
    ]
    assert renewed, "events of test clock work are listed at sandbox time"
