"""Stripe credit note → NetSuite credit memo and what consumes it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, account, check_golden, context, schema_problems
from stripe_builders import MAY_3

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import MappingContext
from stripe_netsuite.mapping.context import Dependency
from stripe_netsuite.mapping.credit_note import (
    Split,
    dependencies,
    map_balance_transfer,
    map_credit_note,
    map_out_of_band_refund,
    refund_targets,
    split,
)
from stripe_netsuite.mapping.refund import needs_credit_memo


def cn_line(amount: int, *, line_id: str = "cnli_1", invoice_line: str | None = "il_1",
            taxes: list[tuple[int, bool, str]] | None = None,
            discounts: list[tuple[str, int]] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "id": line_id, "object": "credit_note_line_item", "amount": amount, "quantity": 1,
        "description": "Pro plan", "invoice_line_item": invoice_line,
        "type": "invoice_line_item" if invoice_line else "custom_line_item",
        "discount_amounts": [{"amount": a, "discount": d} for d, a in discounts or []],
        "taxes": [{"amount": a, "tax_behavior": "inclusive" if inc else "exclusive",
                   "type": "tax_rate_details", "tax_rate_details": {"tax_rate": r}}
                  for a, inc, r in taxes or []],
        "metadata": None, "pretax_credit_amounts": [],
    }  # fmt: skip


def credit_note(lines: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    lines = [cn_line(1000)] if lines is None else lines
    subtotal = sum(ln["amount"] for ln in lines)
    disc = sum(d["amount"] for ln in lines for d in ln["discount_amounts"])
    tax = sum(t["amount"] for ln in lines for t in ln["taxes"] if t["tax_behavior"] == "exclusive")
    total = subtotal - disc + tax
    obj: dict[str, Any] = {
        "id": "cn_1", "object": "credit_note", "created": MAY_3, "effective_at": MAY_3,
        "currency": "usd", "customer": "cus_Q1", "invoice": "in_1", "metadata": {},
        "lines": {"object": "list", "data": lines, "has_more": False},
        "memo": None, "number": "INV-0001-CN-01", "reason": "product_unsatisfactory",
        "status": "issued", "subtotal": subtotal, "total": total, "type": "pre_payment",
        "discount_amounts": [], "total_taxes": [], "amount_shipping": 0,
        "pre_payment_amount": total, "post_payment_amount": 0, "refund_amount": 0,
        "credit_amount": 0, "out_of_band_amount": 0, "refunds": [],
    }  # fmt: skip
    obj.update(overrides)
    return obj


def ctx(**ids: Any) -> MappingContext:
    base: dict[str, Any] = {"customer_id": "1041", "item_ids": {"il_1": "700"},
                            "customer_balance_item_id": "850"}  # fmt: skip
    base.update(ids)
    return context(account(gl={"stripe_clearing": "130"}), **base)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, Split(1000, 0, 0, 0)),
        ({"pre_payment_amount": 0, "post_payment_amount": 1000, "refund_amount": 1000},
         Split(0, 1000, 0, 0)),
        ({"pre_payment_amount": 400, "post_payment_amount": 600, "refund_amount": 100,
          "credit_amount": 200, "out_of_band_amount": 300}, Split(400, 100, 200, 300)),
        ({"pre_payment_amount": None, "post_payment_amount": None, "refund_amount": None,
          "credit_amount": None, "out_of_band_amount": None, "type": "pre_payment"},
         Split(1000, 0, 0, 0)),
        ({"pre_payment_amount": None, "post_payment_amount": None, "refund_amount": None,
          "credit_amount": 300, "out_of_band_amount": None, "type": "post_payment"},
         Split(0, 700, 300, 0)),
    ],
)  # fmt: skip
def test_split(overrides: dict[str, Any], expected: Split) -> None:
    assert split(credit_note(**overrides)) == expected


def test_split_that_does_not_add_up_is_refused() -> None:
    with pytest.raises(exceptions.MappingError, match="do not add up"):
        split(credit_note(pre_payment_amount=0, post_payment_amount=1000, refund_amount=10))


def test_pre_payment_credit_memo_applies_to_the_open_invoice() -> None:
    record = map_credit_note(credit_note(), ctx(invoice_id="5031"))
    assert record.record_type == "creditMemo"
    assert record.external_id == f"{ACCOUNT}:cn_1"
    assert record.body["item"]["items"][0]["item"] == {"id": "700"}
    assert record.body["apply"]["items"] == [{"doc": {"id": "5031"}, "apply": True,
                                             "amount": Decimal("10.00")}]  # fmt: skip
    assert record.body["otherRefNum"] == "INV-0001-CN-01"


def test_post_payment_refund_leaves_the_memo_for_the_refund() -> None:
    cn = credit_note(pre_payment_amount=0, post_payment_amount=1000, refund_amount=1000,
                     refunds=[{"refund": "re_7", "amount_refunded": 1000}])  # fmt: skip
    record = map_credit_note(cn, ctx())
    assert "apply" not in record.body
    targets = refund_targets(cn, "6001")
    assert targets == {"re_7": "6001"}
    refund = {"id": "re_7", "charge": "ch_1", "metadata": {}}
    assert not needs_credit_memo(refund, ctx(invoice_id="5031", credit_memo_ids=targets))


def test_credit_to_balance_goes_through_a_transfer_invoice() -> None:
    cn = credit_note(pre_payment_amount=0, post_payment_amount=1000, credit_amount=1000)
    transfer = map_balance_transfer(cn, ctx())
    assert transfer is not None
    assert transfer.record_type == "invoice"
    assert transfer.role == "balance_transfer"
    assert transfer.external_id == f"{ACCOUNT}:bal:cn_1"
    assert transfer.body["item"]["items"][0]["item"] == {"id": "850"}
    with pytest.raises(exceptions.MappingError, match="balance transfer invoice is not known"):
        map_credit_note(cn, ctx())
    memo = map_credit_note(cn, ctx(balance_invoice_id="5040"))
    assert memo.body["apply"]["items"][0]["doc"] == {"id": "5040"}


def test_out_of_band_refund_paid_from_suspense() -> None:
    cn = credit_note(pre_payment_amount=0, post_payment_amount=1000, out_of_band_amount=1000)
    record = map_out_of_band_refund(cn, ctx(credit_memo_ids={"cn_1": "6001"}))
    assert record is not None
    assert record.record_type == "customerRefund"
    assert record.role == "out_of_band_refund"
    assert record.external_id == f"{ACCOUNT}:oob:cn_1"
    assert record.body["account"] == {"id": "999"}
    assert record.body["apply"]["items"][0]["doc"] == {"id": "6001"}


def test_nothing_extra_for_a_plain_pre_payment_note() -> None:
    assert map_balance_transfer(credit_note(), ctx()) is None
    assert map_out_of_band_refund(credit_note(), ctx()) is None


def test_pre_payment_needs_the_invoice() -> None:
    with pytest.raises(exceptions.MappingError, match="credited NetSuite invoice"):
        map_credit_note(credit_note(), ctx())


def test_custom_lines_use_the_refund_item_and_totals_tie_out() -> None:
    cn = credit_note([cn_line(1000, taxes=[(190, False, "txr_vat")]),
                      cn_line(500, line_id="cnli_2", invoice_line=None)])  # fmt: skip
    body = map_credit_note(cn, ctx(invoice_id="5031", refund_item_id="560")).body
    got = [(ln["item"]["id"], ln["amount"]) for ln in body["item"]["items"]]
    assert got == [("700", Decimal("10.00")), ("560", Decimal("5.00")), ("502", Decimal("1.90"))]


def test_dependencies() -> None:
    assert dependencies(credit_note()) == [Dependency("customer", "cus_Q1"),
                                           Dependency("invoice", "in_1")]  # fmt: skip


def test_golden() -> None:
    cn = credit_note([cn_line(2000, taxes=[(190, False, "txr_vat")])], pre_payment_amount=400,
                     post_payment_amount=1790, refund_amount=990, credit_amount=500,
                     out_of_band_amount=300)  # fmt: skip
    c = ctx(invoice_id="5031", balance_invoice_id="5040", credit_memo_ids={"cn_1": "6001"})
    records = [r for r in (map_balance_transfer(cn, c), map_credit_note(cn, c),
                           map_out_of_band_refund(cn, c)) if r is not None]  # fmt: skip
    assert len(records) == 3
    for record in records:
        assert schema_problems(record.record_type, record.body) == []
    check_golden("credit_note_mixed", records)


def balance_note(ref: Any) -> dict[str, Any]:
    """A post-payment credit note crediting customer balance, as current Stripe shows it:
    ``customer_balance_transaction`` set and no ``credit_amount`` or ``refund_amount``."""
    cn = credit_note(
        pre_payment_amount=0, post_payment_amount=1000, type="post_payment",
        customer_balance_transaction=ref,
    )  # fmt: skip
    for key in ("credit_amount", "refund_amount"):
        del cn[key]
    cn["out_of_band_amount"] = None
    return cn


CBTXN = {"id": "cbtxn_9", "object": "customer_balance_transaction", "amount": -1000,
         "currency": "usd", "type": "credit_note", "credit_note": "cn_1"}  # fmt: skip


@pytest.mark.parametrize(
    ("ref", "balance_credit", "expected"),
    [
        (CBTXN, None, Split(0, 0, 1000, 0)),  # expanded
        ("cbtxn_9", 1000, Split(0, 0, 1000, 0)),  # an id, its amount passed in
        ({**CBTXN, "amount": -400}, None, Split(0, 600, 400, 0)),  # the rest was refunded
        (None, None, Split(0, 1000, 0, 0)),  # no balance transaction: refunded
    ],
)
def test_split_reads_the_customer_balance_transaction(
    ref: Any, balance_credit: int | None, expected: Split
) -> None:
    assert split(balance_note(ref), balance_credit=balance_credit) == expected


def test_an_unexpanded_balance_transaction_is_never_guessed() -> None:
    with pytest.raises(exceptions.MappingError, match="customer_balance_transaction"):
        split(balance_note("cbtxn_9"))


def test_a_credit_to_the_balance_lands_in_customer_credit() -> None:
    cn = balance_note(CBTXN)
    ctx = context(customer_id="7001", customer_balance_item_id="850", invoice_id="5031")
    transfer = map_balance_transfer(cn, ctx)
    assert transfer is not None
    # The transfer invoice: Dr receivables / Cr the customer balance item (customer credit).
    assert transfer.body["account"] == {"id": "121"}
    assert [(ln["item"]["id"], ln["amount"]) for ln in transfer.body["item"]["items"]] == [
        ("850", Decimal("10.00"))
    ]
    memo = map_credit_note(cn, context(customer_id="7001", balance_invoice_id="5040"))
    # The credit memo: Cr receivables, applied to the transfer invoice only, in full.
    assert memo.body["account"] == {"id": "121"}
    assert [(a["doc"]["id"], a["amount"]) for a in memo.body["apply"]["items"]] == [
        ("5040", Decimal("10.00"))
    ]
    assert map_out_of_band_refund(cn, ctx) is None
