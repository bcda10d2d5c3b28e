"""Credit notes naming refunds made before them, voided credit notes, uncollectible invoices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from stripe_helpers import Served, serve


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve()


def _paid(served: Served, amount: int) -> tuple[stripe.Invoice, str]:
    v1 = served.client.v1
    cus = v1.customers.create(
        params={"payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )  # fmt: skip
    v1.invoice_items.create(params={"customer": cus.id, "amount": amount, "currency": "usd"})
    draft = v1.invoices.create(
        params={"customer": cus.id, "pending_invoice_items_behavior": "include"}
    )
    inv = v1.invoices.pay(v1.invoices.finalize_invoice(draft.id).id)
    intent = v1.invoice_payments.list(params={"invoice": inv.id}).data[0].payment.payment_intent
    return inv, str(v1.payment_intents.retrieve(str(intent)).latest_charge)


def test_a_credit_note_covers_a_refund_made_before_it(served: Served) -> None:
    v1 = served.client.v1
    inv, charge = _paid(served, 5000)
    refund = v1.refunds.create(params={"charge": charge, "amount": 2000})
    before = len(v1.refunds.list(params={"charge": charge}).data)
    note = v1.credit_notes.create(
        params={"invoice": inv.id, "refunds": [{"refund": refund.id, "amount_refunded": 2000}],
                "lines": [{"type": "invoice_line_item", "amount": 2000,
                           "invoice_line_item": inv.lines.data[0].id}]}
    )  # fmt: skip
    assert [(r.refund, r.amount_refunded) for r in note.refunds] == [(refund.id, 2000)]
    assert (note.post_payment_amount, note.total) == (2000, 2000)
    # No second refund is made: the note covers the existing one.
    assert len(v1.refunds.list(params={"charge": charge}).data) == before
    with pytest.raises(stripe.InvalidRequestError, match="no more than refund"):
        v1.credit_notes.create(
            params={"invoice": inv.id,
                    "refunds": [{"refund": refund.id, "amount_refunded": 500}],
                    "lines": [{"type": "invoice_line_item", "amount": 500,
                               "invoice_line_item": inv.lines.data[0].id}]}
        )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError, match="must equal the post-payment"):
        v1.credit_notes.create(
            params={"invoice": inv.id, "refund_amount": 100,
                    "lines": [{"type": "invoice_line_item", "amount": 500,
                               "invoice_line_item": inv.lines.data[0].id}]}
        )  # fmt: skip


def test_a_refund_of_another_payment_cannot_be_named(served: Served) -> None:
    v1 = served.client.v1
    inv, _charge = _paid(served, 3000)
    _other, other_charge = _paid(served, 3000)
    refund = v1.refunds.create(params={"charge": other_charge, "amount": 1000})
    with pytest.raises(stripe.InvalidRequestError, match="not a refund of invoice"):
        v1.credit_notes.create(
            params={"invoice": inv.id, "refunds": [{"refund": refund.id}],
                    "lines": [{"type": "invoice_line_item", "amount": 1000,
                               "invoice_line_item": inv.lines.data[0].id}]}
        )  # fmt: skip


def test_voiding_a_credit_note_reopens_what_it_credited(served: Served) -> None:
    v1 = served.client.v1
    cus = v1.customers.create(params={"email": "void@x.io"})
    v1.invoice_items.create(params={"customer": cus.id, "amount": 4000, "currency": "usd"})
    draft = v1.invoices.create(
        params={"customer": cus.id, "pending_invoice_items_behavior": "include",
                "collection_method": "send_invoice", "days_until_due": 30}
    )  # fmt: skip
    inv = v1.invoices.finalize_invoice(draft.id)
    note = v1.credit_notes.create(params={"invoice": inv.id, "amount": 1500})
    assert v1.invoices.retrieve(inv.id).amount_remaining == 2500
    voided = v1.credit_notes.void_credit_note(note.id)
    assert voided.status == "void" and voided.voided_at
    assert v1.invoices.retrieve(inv.id).amount_remaining == 4000
    kinds = [e.type for e in v1.events.list(params={"limit": 20}).data]
    assert "credit_note.voided" in kinds
    v1.invoices.mark_uncollectible(inv.id)
    assert v1.invoices.retrieve(inv.id).status == "uncollectible"
    kinds = [e.type for e in v1.events.list(params={"limit": 20}).data]
    assert "invoice.marked_uncollectible" in kinds


def test_automatic_tax_inclusive_and_exclusive_by_price(served: Served) -> None:
    v1 = served.client.v1
    cus = v1.customers.create(params={"email": "vat@x.io", "address": {"country": "IE"}})
    product = v1.products.create(params={"name": "Seat"})
    inside = v1.prices.create(
        params={"product": product.id, "currency": "eur", "unit_amount": 12300,
                "tax_behavior": "inclusive"}
    )  # fmt: skip
    on_top = v1.prices.create(
        params={"product": product.id, "currency": "eur", "unit_amount": 10000,
                "tax_behavior": "exclusive"}
    )  # fmt: skip
    for price in (inside, on_top):
        v1.invoice_items.create(params={"customer": cus.id, "pricing": {"price": price.id}})
    draft = v1.invoices.create(
        params={"customer": cus.id, "currency": "eur", "automatic_tax": {"enabled": True},
                "pending_invoice_items_behavior": "include",
                "collection_method": "send_invoice", "days_until_due": 30}
    )  # fmt: skip
    inv = v1.invoices.finalize_invoice(draft.id)
    assert inv.automatic_tax.enabled and inv.automatic_tax.status == "complete"
    taxes = {t.tax_behavior: (t.amount, t.taxable_amount) for t in inv.total_taxes or []}
    assert taxes == {"inclusive": (2300, 10000), "exclusive": (2300, 10000)}
    assert (inv.total, inv.total_excluding_tax) == (24600, 20000)
    line_taxes = inv.lines.data[0].taxes or []
    details = line_taxes[0].tax_rate_details
    assert details is not None
    rate = v1.tax_rates.retrieve(str(details.tax_rate))
    assert (rate.percentage, rate.country) == (23.0, "IE")


def test_automatic_tax_needs_a_location_and_a_tax_behavior(served: Served) -> None:
    v1 = served.client.v1
    nowhere = v1.customers.create(params={"email": "nowhere@x.io"})
    v1.invoice_items.create(
        params={"customer": nowhere.id, "amount": 1000, "currency": "eur",
                "tax_behavior": "exclusive"}
    )  # fmt: skip
    draft = v1.invoices.create(
        params={"customer": nowhere.id, "currency": "eur", "automatic_tax": {"enabled": True},
                "pending_invoice_items_behavior": "include"}
    )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError, match="location"):
        v1.invoices.finalize_invoice(draft.id)
    placed = v1.customers.create(params={"email": "ie@x.io", "address": {"country": "IE"}})
    v1.invoice_items.create(params={"customer": placed.id, "amount": 1000, "currency": "eur"})
    draft = v1.invoices.create(
        params={"customer": placed.id, "currency": "eur", "automatic_tax": {"enabled": True},
                "pending_invoice_items_behavior": "include"}
    )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError, match="tax behavior"):
        v1.invoices.finalize_invoice(draft.id)
