"""Hosted invoice pages: shown without an API key, paid with a test card like the real form."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from stripe_helpers import Served, serve
from stripe_netsuite_sandbox.stripe import hosted


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve()


def _open_invoice(served: Served, amount: int) -> tuple[str, str]:
    client = served.client
    cus = client.v1.customers.create(params={"email": "pay@x.io"}).id
    client.v1.invoice_items.create(
        params={"customer": cus, "amount": amount, "currency": "usd", "description": "Audit"}
    )
    draft = client.v1.invoices.create(
        params={"customer": cus, "pending_invoice_items_behavior": "include",
                "collection_method": "send_invoice", "days_until_due": 30}
    )  # fmt: skip
    final = client.v1.invoices.finalize_invoice(draft.id)
    assert final.hosted_invoice_url and final.hosted_invoice_url.startswith(
        "https://invoice.stripe.com/i/"
    )
    return final.id, hosted.local_url(final.hosted_invoice_url, served.server.base_url)


def test_the_page_shows_the_invoice_and_paying_it_charges_the_card(served: Served) -> None:
    invoice_id, page = _open_invoice(served, 4250)
    shown = httpx.get(page)  # no API key: the page is public, as Stripe's is
    assert shown.status_code == 200
    assert "42.50 USD due" in shown.text and "Audit" in shown.text and "<form" in shown.text
    paid = httpx.post(page, data={"payment_method": "pm_card_visa"})
    assert paid.status_code == 200, paid.text
    found = served.client.v1.invoices.retrieve(invoice_id)
    assert (found.status, found.amount_paid, found.amount_remaining) == ("paid", 4250, 0)
    payments = served.client.v1.invoice_payments.list(params={"invoice": invoice_id}).data
    assert [p.amount_paid for p in payments] == [4250]
    assert served.events("invoice.paid")[0]["data"]["object"]["id"] == invoice_id
    again = httpx.post(page, data={"payment_method": "pm_card_visa"})
    assert again.status_code == 400 and "paid" in again.text
    assert "<form" not in httpx.get(page).text


def test_a_declined_card_leaves_the_invoice_open(served: Served) -> None:
    invoice_id, page = _open_invoice(served, 1000)
    declined = httpx.post(page, data={"payment_method": "pm_card_chargeDeclined"})
    assert declined.status_code == 402, declined.text
    assert served.client.v1.invoices.retrieve(invoice_id).status == "open"
    assert httpx.post(page, data={}).status_code == 400
    assert httpx.get(page.rsplit("/", 1)[0] + "/nothing_here").status_code == 404
