"""Payment links: created over the SDK, bought on their page, each purchase a Checkout Session."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import stripe

from stripe_helpers import Served, serve
from stripe_netsuite_sandbox.stripe import hosted


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve()


def _link(served: Served, **more: object) -> stripe.PaymentLink:
    price = served.client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 2500, "product_data": {"name": "Workshop"}}
    )
    params: dict[str, object] = {"line_items": [{"price": price.id, "quantity": 2}], **more}
    return served.client.v1.payment_links.create(params=params)  # type: ignore[arg-type]


def test_buying_through_the_link_makes_a_paid_session_without_a_customer(served: Served) -> None:
    link = _link(
        served,
        metadata={"campaign": "spring"},
        payment_intent_data={"metadata": {"netsuite_invoice_id": "77"}},
        after_completion={"type": "hosted_confirmation",
                          "hosted_confirmation": {"custom_message": "See you there"}},
    )  # fmt: skip
    assert link.url.startswith("https://buy.stripe.com/test_") and link.active
    assert (link.currency, link.customer_creation) == ("usd", "if_required")
    items = served.client.v1.payment_links.line_items.list(link.id).data
    assert [(i.description, i.quantity, i.amount_total) for i in items] == [("Workshop", 2, 5000)]
    page = hosted.local_url(link.url, served.server.base_url)
    assert "Workshop" in httpx.get(page).text
    bought = httpx.post(
        page, data={"payment_method": "pm_card_visa", "email": "guest@x.io", "name": "Gus"}
    )
    assert bought.status_code == 200 and "See you there" in bought.text, bought.text
    sessions = served.client.v1.checkout.sessions.list(params={"payment_link": link.id}).data
    assert len(sessions) == 1
    session = sessions[0]
    assert (session.status, session.payment_status, session.amount_total) == (
        "complete", "paid", 5000,
    )  # fmt: skip
    assert session.customer is None and session.metadata["campaign"] == "spring"
    pi = served.client.v1.payment_intents.retrieve(session.payment_intent)
    assert (pi.amount, pi.customer, pi.metadata["netsuite_invoice_id"]) == (5000, None, "77")
    charge = served.client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.customer, charge.billing_details.email, charge.billing_details.name) == (
        None, "guest@x.io", "Gus",
    )  # fmt: skip


def test_customer_creation_always_makes_one(served: Served) -> None:
    link = _link(served, customer_creation="always")
    page = hosted.local_url(link.url, served.server.base_url)
    bought = httpx.post(page, data={"payment_method": "pm_card_visa", "email": "new@x.io"})
    assert bought.status_code == 200, bought.text
    session = served.client.v1.checkout.sessions.list(params={"payment_link": link.id}).data[0]
    assert served.client.v1.customers.retrieve(session.customer).email == "new@x.io"


def test_a_deactivated_link_sells_nothing(served: Served) -> None:
    link = _link(served)
    off = served.client.v1.payment_links.update(link.id, params={"active": False})
    assert off.active is False
    updated = served.events("payment_link.updated")[0]["data"]
    assert updated["object"]["id"] == link.id and updated["previous_attributes"] == {"active": True}
    page = hosted.local_url(link.url, served.server.base_url)
    refused = httpx.post(page, data={"payment_method": "pm_card_visa", "email": "x@x.io"})
    assert refused.status_code == 404 and "no longer active" in refused.text
    assert served.client.v1.checkout.sessions.list(params={"payment_link": link.id}).data == []
    listed = served.client.v1.payment_links.list(params={"active": False}).data
    assert link.id in [x.id for x in listed]


def test_a_declined_card_on_the_link_expires_its_session(served: Served) -> None:
    link = _link(served)
    page = hosted.local_url(link.url, served.server.base_url)
    declined = httpx.post(
        page, data={"payment_method": "pm_card_chargeDeclined", "email": "d@x.io"}
    )
    assert declined.status_code == 402
    sessions = served.client.v1.checkout.sessions.list(params={"payment_link": link.id}).data
    assert [s.status for s in sessions] == ["expired"]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        served.client.v1.payment_links.create(
            params={"line_items": [{"price": "price_nope", "quantity": 1}]}
        )
    assert refused.value.http_status == 404
