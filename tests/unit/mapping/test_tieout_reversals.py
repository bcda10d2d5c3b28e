"""The tie-out's Stripe side for what refunds and disputes give back: the invoice's tax
pro rata, withdrawn disputes, released authorizations."""

from __future__ import annotations

from typing import Any

from stripe_netsuite.mapping.tieout import Line, stripe_figures


def invoice(iid: str, total: int, tax: int) -> dict[str, Any]:
    return {"id": iid, "object": "invoice", "status": "paid", "currency": "usd", "total": total,
            "amount_remaining": 0,
            "total_taxes": [{"amount": tax, "tax_behavior": "exclusive"}]}  # fmt: skip


def charge(cid: str, amount: int, intent: str) -> dict[str, Any]:
    return {"id": cid, "object": "charge", "status": "succeeded", "currency": "usd",
            "amount": amount, "amount_captured": amount, "payment_intent": intent}  # fmt: skip


def paid_by(invoice_id: str, intent: str) -> dict[str, Any]:
    return {"invoice": invoice_id, "payment": {"type": "payment_intent", "payment_intent": intent}}


def refund(rid: str, amount: int, charge_id: str, bt: str = "txn_r") -> dict[str, Any]:
    return {"id": rid, "object": "refund", "status": "succeeded", "currency": "usd",
            "amount": amount, "charge": charge_id, "balance_transaction": bt}  # fmt: skip


def figures(**objects: Any) -> dict[Line, int]:
    found = stripe_figures(**objects)
    return {line: fig.amount for (cur, line), fig in found.items() if cur == "usd"}


def test_a_refund_of_a_taxed_invoice_gives_back_tax_pro_rata() -> None:
    out = figures(
        invoices=[invoice("in_1", 11000, 1000)],
        charges=[charge("ch_1", 11000, "pi_1")],
        invoice_payments=[paid_by("in_1", "pi_1")],
        refunds=[refund("re_1", 3300, "ch_1")],
    )
    assert out[Line.TAX] == 1000 - 300
    assert out[Line.NET_SALES] == 10000 - 3000


def test_a_dispute_withdrawn_and_still_open_counts_as_given_back() -> None:
    dispute = {"id": "dp_1", "object": "dispute", "status": "needs_response",
               "currency": "usd", "amount": 11000, "charge": "ch_1",
               "balance_transactions": [{"id": "txn_d"}]}  # fmt: skip
    won = {**dispute, "id": "dp_2", "status": "won"}
    inquiry = {**dispute, "id": "dp_3", "status": "warning_needs_response"}
    out = figures(
        invoices=[invoice("in_1", 11000, 1000)],
        charges=[charge("ch_1", 11000, "pi_1")],
        invoice_payments=[paid_by("in_1", "pi_1")],
        disputes=[dispute, won, inquiry],
    )
    assert out.get(Line.TAX, 0) == 0
    assert out.get(Line.NET_SALES, 0) == 0


def test_a_released_authorization_is_no_refund() -> None:
    released = {"id": "txn_pcr", "object": "balance_transaction", "currency": "usd",
                "amount": -8000, "fee": 0, "net": -8000,
                "reporting_category": "partial_capture_reversal"}  # fmt: skip
    held = {**charge("ch_2", 20000, "pi_2"), "amount_captured": 12000}
    out = figures(
        charges=[held],
        refunds=[refund("re_2", 8000, "ch_2", bt="txn_pcr")],
        balance_transactions=[released],
        paid_out=["txn_pcr"],
    )
    assert out[Line.NET_SALES] == 12000
