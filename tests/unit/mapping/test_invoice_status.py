"""Invoice voids, write-offs, negative totals and the credited invoice's items (pure mapping)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, account, context
from stripe_builders import invoice, line

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import credit_note as credit_note_mapping
from stripe_netsuite.mapping import tieout
from stripe_netsuite.mapping.invoice import (
    map_carry_credit,
    map_invoice,
    map_negative_invoice,
    map_negative_transfer,
    map_void,
    map_write_off,
)
from stripe_netsuite.mapping.order import map_order
from stripe_netsuite.mapping.tieout import Line

IDS: dict[str, Any] = {
    "customer_id": "1041",
    "item_ids": {"price_pro": "700", "price_seat": "701"},
    "customer_balance_item_id": "850",
}


def ctx(**ids: Any) -> Any:
    return context(account(gl={"receivables": "121", "bad_debt": "650"}), **{**IDS, **ids})


def amounts(body: Mapping[str, Any], sublist: str = "item") -> list[tuple[str, Decimal]]:
    return [(ln["item"]["id"], ln["amount"]) for ln in body[sublist]["items"]]


def test_a_void_reverses_the_lines_and_returns_the_balance_used() -> None:
    inv = invoice(
        [line(12000, taxes=[(2000, True, "txr_vat")])],
        starting_balance=-1500,
        ending_balance=0,
        status="void",
        status_transitions={"voided_at": 1780000000},
    )
    record = map_void(inv, ctx(invoice_id="5031"))
    assert (record.record_type, record.role) == ("creditMemo", "void")
    assert record.external_id == f"{ACCOUNT}:void:in_1"
    assert amounts(record.body) == [
        ("700", Decimal("100.00")),
        ("502", Decimal("20.00")),
        ("850", Decimal("-15.00")),
    ]
    assert record.body["apply"]["items"] == [
        {"doc": {"id": "5031"}, "apply": True, "amount": Decimal("105.00")}
    ]
    assert record.body["tranDate"] == "2026-05-28"


def test_a_void_needs_the_invoice() -> None:
    with pytest.raises(exceptions.MappingError, match="not known"):
        map_void(invoice(status="void"), ctx())


def test_an_uncollectible_invoice_is_written_off_for_what_remains() -> None:
    inv = invoice([line(7500)], status="uncollectible", amount_remaining=5000)
    record = map_write_off(inv, ctx())
    assert record is not None
    assert (record.record_type, record.role) == ("journalEntry", "write_off")
    lines = record.body["line"]["items"]
    assert [(ln["account"]["id"], ln.get("debit"), ln.get("credit")) for ln in lines] == [
        ("650", Decimal("50.00"), None),
        ("121", None, Decimal("50.00")),
    ]
    assert all(ln["entity"] == {"id": "1041"} for ln in lines)
    assert map_write_off({**inv, "amount_remaining": 0}, ctx()) is None


def test_a_write_off_without_a_bad_debt_account_is_refused() -> None:
    inv = invoice([line(7500)], status="uncollectible", amount_remaining=7500)
    with pytest.raises(exceptions.MappingError, match=r"gl\.bad_debt"):
        map_write_off(inv, context(account(), **IDS))


def test_a_negative_invoice_is_a_credit_memo_paying_a_balance_transfer() -> None:
    inv = invoice([line(-2500, proration=True)])
    transfer = map_negative_transfer(inv, ctx())
    assert transfer is not None
    assert (transfer.record_type, transfer.role) == ("invoice", "balance_transfer")
    assert amounts(transfer.body) == [("850", Decimal("25.00"))]
    memo = map_negative_invoice(inv, ctx(balance_invoice_id="7001"))
    assert (memo.record_type, memo.role) == ("creditMemo", "invoice")
    assert amounts(memo.body) == [("700", Decimal("25.00"))]
    assert memo.body["apply"]["items"][0]["doc"] == {"id": "7001"}
    assert map_negative_transfer(invoice([line(100)]), ctx()) is None


def test_a_credit_note_line_credits_the_item_its_invoice_line_used() -> None:
    inv = invoice(
        [line(12000, line_id="il_a", taxes=[(2000, True, "txr_vat")]),
         line(3000, line_id="il_b", price="price_seat")]
    )  # fmt: skip
    items = credit_note_mapping.invoice_line_items(inv, ctx())
    assert items == {"il_a": "700", "il_b": "701"}
    note = {
        "id": "cn_1", "object": "credit_note", "currency": "usd", "created": 1780000000,
        "invoice": "in_1", "customer": "cus_1", "total": 3000, "pre_payment_amount": 3000,
        "post_payment_amount": 0, "status": "issued",
        "total_taxes": [{"amount": 500, "tax_behavior": "inclusive",
                         "tax_rate_details": {"tax_rate": "txr_vat"}}],
        "lines": {"data": [
            {"id": "cnli_1", "amount": 3000, "quantity": 1, "invoice_line_item": "il_a",
             "taxes": [{"amount": 500, "tax_behavior": "inclusive",
                        "tax_rate_details": {"tax_rate": "txr_vat"}}]}],
            "has_more": False},
    }  # fmt: skip
    record = credit_note_mapping.map_credit_note(note, ctx(item_ids=items, invoice_id="5031"))
    assert amounts(record.body) == [("700", Decimal("25.00")), ("502", Decimal("5.00"))]


def test_a_balance_the_customer_owed_is_carried_onto_the_invoice() -> None:
    inv = invoice([line(5000)], starting_balance=1200, ending_balance=0)
    body = map_invoice(inv, ctx()).body
    # The NetSuite invoice asks for Stripe's amount_due, so the payment applies in full.
    assert amounts(body) == [("700", Decimal("50.00")), ("850", Decimal("12.00"))]
    carry = map_carry_credit(inv, ctx())
    assert carry is not None
    assert (carry.record_type, carry.role) == ("creditMemo", "balance_carry")
    assert amounts(carry.body) == [("850", Decimal("12.00"))]
    assert "apply" not in carry.body
    assert map_carry_credit(invoice([line(5000)]), ctx()) is None


def test_a_checkout_session_with_inclusive_tax_books_the_net_and_the_tax() -> None:
    line_item = {
        "id": "li_1",
        "object": "item",
        "amount_subtotal": 12000,
        "amount_discount": 0,
        "amount_tax": 2000,
        "amount_total": 12000,
        "currency": "eur",
        "description": "Hoodie",
        "quantity": 1,
        "price": {"id": "price_hoodie", "product": "prod_hoodie"},
        "taxes": [{"amount": 2000, "rate": {"id": "txr_vat", "inclusive": True}}],
    }
    session = {
        "id": "cs_1",
        "object": "checkout.session",
        "amount_subtotal": 12000,
        "amount_total": 12000,
        "currency": "eur",
        "created": 1780000000,
        "customer": "cus_1",
        "metadata": {},
        "mode": "payment",
        "payment_status": "paid",
        "line_items": {"object": "list", "data": [line_item], "has_more": False},
    }
    mctx = context(account(options={"tax": "lines"}), customer_id="1041",
                   item_ids={"price_hoodie": "720"})  # fmt: skip
    body = map_order(session, mctx).body
    assert amounts(body) == [("720", Decimal("100.00")), ("502", Decimal("20.00"))]


def test_the_tie_out_counts_void_uncollectible_and_negative_invoices_as_stripe_does() -> None:
    def inv(iid: str, status: str, total: int, remaining: int, tax: int = 0) -> dict[str, Any]:
        taxes = [{"amount": tax, "tax_behavior": "inclusive",
                  "tax_rate_details": {"tax_rate": "txr_vat"}}] if tax else []  # fmt: skip
        return {"id": iid, "status": status, "currency": "usd", "total": total,
                "amount_remaining": remaining, "total_taxes": taxes}  # fmt: skip

    found = tieout.stripe_figures(
        invoices=[
            inv("in_open", "open", 12000, 12000, tax=2000),
            inv("in_void", "void", 5000, 0),
            inv("in_bad", "uncollectible", 7500, 7500),
            inv("in_neg", "paid", -2500, 0),
        ],
        customers=[{"id": "cus_1", "currency": "usd", "balance": -2500}],
    )
    assert found[("usd", Line.RECEIVABLES)].amount == 12000  # the uncollectible one is not
    assert found[("usd", Line.TAX)].amount == 2000
    assert found[("usd", Line.NET_SALES)].amount == 10000 + 7500 - 2500
    assert "in_void" not in found[("usd", Line.NET_SALES)].sources
    assert found[("usd", Line.CUSTOMER_CREDIT)].amount == 2500


def _note(**kw: Any) -> dict[str, Any]:
    note: dict[str, Any] = {
        "id": "cn_1", "object": "credit_note", "currency": "usd", "created": 1780000000,
        "invoice": "in_1", "customer": "cus_1", "total": 2000, "pre_payment_amount": 1500,
        "post_payment_amount": 500, "status": "void", "voided_at": 1780086400,
        "customer_balance_transaction": {"id": "cbtxn_1", "amount": -500},
        "lines": {"data": [{"id": "cnli_1", "amount": 2000, "quantity": 1,
                            "invoice_line_item": "il_1"}], "has_more": False},
    }  # fmt: skip
    note.update(kw)
    return note


def test_a_voided_credit_note_is_booked_back_less_the_credit_it_took_back() -> None:
    record = credit_note_mapping.map_void(_note(), ctx(item_ids={"il_1": "700"}))
    assert (record.record_type, record.role) == ("invoice", "void")
    assert record.external_id == f"{ACCOUNT}:void:cn_1"
    assert amounts(record.body) == [("700", Decimal("20.00")), ("850", Decimal("-5.00"))]
    assert record.body["tranDate"] == "2026-05-29"


def test_a_voided_credit_note_that_refunded_money_is_refused() -> None:
    refunded = _note(customer_balance_transaction=None, refund_amount=500)
    with pytest.raises(exceptions.MappingError, match="refunded money"):
        credit_note_mapping.map_void(refunded, ctx(item_ids={"il_1": "700"}))
