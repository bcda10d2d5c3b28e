"""Checkout Sessions over the official SDK, paid on their hosted page without an API key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from stripe_helpers import Served, serve
from stripe_netsuite_sandbox.stripe import hosted


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve()


def _rate(served: Served, percent: str, *, inclusive: bool) -> str:
    rate = served.client.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": float(percent), "inclusive": inclusive}
    )
    return rate.id


def _price(served: Served, amount: int, *, currency: str = "eur", behavior: str = "") -> str:
    params: dict[str, Any] = {
        "currency": currency,
        "unit_amount": amount,
        "product_data": {"name": "Seat"},
    }
    if behavior:
        params["tax_behavior"] = behavior
    return served.client.v1.prices.create(params=params).id


def _page(served: Served, session: Any) -> str:
    return hosted.local_url(session.url, served.server.base_url)


def test_inclusive_tax_stays_inside_the_price(served: Served) -> None:
    rate = _rate(served, "20", inclusive=True)
    session = served.client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": _price(served, 1200), "quantity": 2, "tax_rates": [rate]}],
            "success_url": "https://example.com/ok",
            "customer_creation": "always",
            "metadata": {"order": "A-1"},
        }
    )
    assert session.id.startswith("cs_test_") and session.url.startswith(
        "https://checkout.stripe.com/c/pay/"
    )
    assert (session.status, session.payment_status, session.payment_intent) == (
        "open", "unpaid", None,
    )  # fmt: skip
    assert (session.amount_subtotal, session.amount_total) == (2400, 2400)
    assert session.total_details.amount_tax == 400
    items = served.client.v1.checkout.sessions.line_items.list(session.id).data
    assert [(i.amount_subtotal, i.amount_tax, i.amount_total) for i in items] == [(2400, 400, 2400)]
    tax = items[0].taxes[0]
    assert (tax.amount, tax.taxable_amount, tax.rate.id, tax.rate.inclusive) == (
        400, 2000, rate, True,
    )  # fmt: skip


def test_paying_the_page_completes_the_session_with_a_new_customer(served: Served) -> None:
    rate = _rate(served, "10", inclusive=False)
    session = served.client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {"currency": "usd", "unit_amount": 5000,
                                   "product_data": {"name": "Audit"}},
                    "quantity": 1,
                    "tax_rates": [rate],
                }
            ],
            "customer_creation": "always",
            "payment_intent_data": {"metadata": {"ref": "R9"}},
        }
    )  # fmt: skip
    assert (session.amount_subtotal, session.amount_total) == (5000, 5500)
    page = _page(served, session)
    shown = httpx.get(page)
    assert shown.status_code == 200 and "Audit" in shown.text and "55.00 USD total" in shown.text
    paid = httpx.post(
        page, data={"payment_method": "pm_card_visa", "email": "ann@x.io", "name": "Ann"}
    )
    assert paid.status_code == 200, paid.text
    done = served.client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items", "payment_intent.latest_charge"]}
    )
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.customer_details.email == "ann@x.io"
    customer = served.client.v1.customers.retrieve(done.customer)
    assert (customer.email, customer.name) == ("ann@x.io", "Ann")
    pi = done.payment_intent
    assert (pi.status, pi.amount, pi.currency, pi.customer) == (
        "succeeded",
        5500,
        "usd",
        customer.id,
    )
    assert pi.metadata["ref"] == "R9"
    charge = pi.latest_charge
    assert (charge.amount_captured, charge.billing_details.email) == (5500, "ann@x.io")
    bt = served.client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert bt.amount == 5500 and bt.net == bt.amount - bt.fee
    assert [i.amount_tax for i in done.line_items.data] == [500]
    found = served.client.v1.checkout.sessions.list(params={"payment_intent": pi.id}).data
    assert [s.id for s in found] == [session.id]
    completed = served.events("checkout.session.completed")
    assert completed[0]["data"]["object"]["id"] == session.id
    ours = {pi.id, charge.id, session.id}
    kinds = [e["type"] for e in served.events("*") if e["data"]["object"]["id"] in ours]
    kinds.reverse()  # listed newest first
    assert kinds.index("charge.succeeded") < kinds.index("checkout.session.completed")
    assert kinds.index("payment_intent.succeeded") < kinds.index("checkout.session.completed")
    again = httpx.post(page, data={"payment_method": "pm_card_visa", "email": "ann@x.io"})
    assert again.status_code == 400 and "complete" in again.text


def test_automatic_tax_uses_the_buyers_country(served: Served) -> None:
    session = served.client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "automatic_tax": {"enabled": True},
            "line_items": [{"price": _price(served, 1230, behavior="inclusive"), "quantity": 1}],
        }
    )
    assert session.automatic_tax.status == "requires_location_inputs"
    paid = httpx.post(
        _page(served, session),
        data={"payment_method": "pm_card_visa", "email": "b@x.io", "country": "IE"},
    )
    assert paid.status_code == 200, paid.text
    done = served.client.v1.checkout.sessions.retrieve(session.id)
    assert (done.amount_total, done.total_details.amount_tax) == (1230, 230)
    assert done.automatic_tax.status == "complete" and done.customer is None
    with pytest.raises(stripe.InvalidRequestError, match="tax_behavior"):
        served.client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "automatic_tax": {"enabled": True},
                "line_items": [{"price": _price(served, 100), "quantity": 1}],
            }
        )


def test_a_declined_card_leaves_the_session_open_and_expire_closes_it(served: Served) -> None:
    session = served.client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "customer_email": "c@x.io",
            "line_items": [{"price": _price(served, 900, currency="usd"), "quantity": 1}],
        }
    )
    page = _page(served, session)
    declined = httpx.post(page, data={"payment_method": "pm_card_chargeDeclined"})
    assert declined.status_code == 402, declined.text
    assert served.client.v1.checkout.sessions.retrieve(session.id).status == "open"
    expired = served.client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert served.events("checkout.session.expired")[0]["data"]["object"]["id"] == session.id
    with pytest.raises(stripe.InvalidRequestError, match="status of open"):
        served.client.v1.checkout.sessions.expire(session.id)
    late = httpx.post(page, data={"payment_method": "pm_card_visa"})
    assert late.status_code == 400 and "expired" in late.text


def test_refusals_name_the_parameter(served: Served) -> None:
    sessions = served.client.v1.checkout.sessions
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sessions.create(params={"mode": "payment"})
    assert missing.value.param == "line_items"
    with pytest.raises(stripe.InvalidRequestError) as mixed:
        sessions.create(
            params={
                "mode": "payment",
                "line_items": [
                    {"price": _price(served, 100, currency="usd"), "quantity": 1},
                    {"price": _price(served, 100, currency="eur"), "quantity": 1},
                ],
            }
        )
    assert "same currency" in str(mixed.value)
    with pytest.raises(stripe.InvalidRequestError) as mode:
        sessions.create(params={"mode": "subscription", "line_items": [{"price": "x"}]})
    assert mode.value.param == "mode"
    with pytest.raises(stripe.InvalidRequestError) as nothing:
        sessions.retrieve("cs_test_nothing")
    assert nothing.value.http_status == 404
