"""A Checkout sale's invoice (the session's lines, tax split out), its guest buyer, and the
tie-out's view of it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, account, context
from stripe_builders import MAY_3

from stripe_netsuite import exceptions
from stripe_netsuite.mapping.checkout_sale import guest_key, map_guest_customer, map_session_invoice
from stripe_netsuite.mapping.tieout import Line, stripe_figures

D = Decimal


def tax(amount: int, taxable: int, *, inclusive: bool) -> dict[str, Any]:
    rate = {"id": "txr_1", "object": "tax_rate", "inclusive": inclusive, "percentage": 20.0}
    return {"amount": amount, "rate": rate, "taxable_amount": taxable,
            "taxability_reason": "standard_rated"}  # fmt: skip


def session(subtotal: int, taxes: list[dict[str, Any]], total: int) -> dict[str, Any]:
    line = {"id": "li_1", "object": "item", "amount_subtotal": subtotal, "amount_discount": 0,
            "amount_tax": sum(t["amount"] for t in taxes), "amount_total": total,
            "currency": "usd", "description": "Seat", "quantity": 2,
            "price": {"id": "price_seat", "product": "prod_seat"}, "discounts": [],
            "taxes": taxes}  # fmt: skip
    return {"id": "cs_test_1", "object": "checkout.session", "amount_subtotal": subtotal,
            "amount_total": total, "currency": "usd", "created": MAY_3, "customer": None,
            "payment_intent": "pi_1", "status": "complete",
            "total_details": {"amount_tax": sum(t["amount"] for t in taxes)},
            "line_items": {"object": "list", "data": [line], "has_more": False}}  # fmt: skip


def charge(amount: int, **kw: Any) -> dict[str, Any]:
    obj = {"id": "ch_1", "object": "charge", "amount": amount, "amount_captured": amount,
           "currency": "usd", "created": MAY_3, "customer": None, "metadata": {},
           "payment_intent": "pi_1", "status": "succeeded",
           "billing_details": {"email": "Ann@X.io ", "name": "Ann Buyer"}}  # fmt: skip
    obj.update(kw)
    return obj


def lines(record: Any) -> list[tuple[str, Decimal]]:
    return [(ln["item"]["id"], ln["amount"]) for ln in record.body["item"]["items"]]


def ctx(**options: Any) -> Any:
    return context(account(options=options), customer_id="1041", item_ids={"price_seat": "720"})


def test_inclusive_tax_keeps_the_net_on_the_item_and_the_tax_on_the_tax_item() -> None:
    record = map_session_invoice(session(12000, [tax(2000, 10000, inclusive=True)], 12000),
                                 charge(12000), ctx())  # fmt: skip
    assert (record.record_type, record.role, record.stripe_id) == ("invoice", "invoice", "ch_1")
    assert record.external_id == f"{ACCOUNT}:inv:ch_1"
    assert lines(record) == [("720", D("100.00")), ("502", D("20.00"))]
    assert record.body["entity"] == {"id": "1041"} and "cs_test_1" in record.body["memo"]
    assert record.replace == ("item",)


def test_exclusive_tax_is_added_on_top() -> None:
    record = map_session_invoice(session(6000, [tax(1200, 6000, inclusive=False)], 7200),
                                 charge(7200), ctx())  # fmt: skip
    assert lines(record) == [("720", D("60.00")), ("502", D("12.00"))]


def test_a_charge_that_does_not_match_the_session_total_is_refused() -> None:
    with pytest.raises(exceptions.MappingError, match="ch_1"):
        map_session_invoice(session(6000, [], 6000), charge(5000), ctx())
    with pytest.raises(exceptions.MappingError, match="currency"):
        map_session_invoice(session(6000, [], 6000), charge(6000, currency="eur"), ctx())


def test_a_guest_buyer_becomes_one_customer_per_email() -> None:
    record = map_guest_customer(charge(100), ctx())
    assert record.stripe_id == guest_key("ann@x.io") == guest_key("ann@x.io")
    assert "ann" not in record.external_id  # ids at rest, not addresses
    assert record.body["companyName"] == "Ann Buyer" and record.body["email"] == "ann@x.io"
    assert record.body["currency"] == {"id": "1"} and record.body["subsidiary"] == {"id": "1"}
    unnamed = map_guest_customer(charge(100, billing_details={"email": "b@x.io"}), ctx())
    assert unnamed.body["companyName"] == "b@x.io"
    with pytest.raises(exceptions.MappingError, match="guest_customer"):
        map_guest_customer(charge(100, billing_details={"email": None}), ctx())


def test_the_tie_out_counts_a_checkout_sale_net_of_its_tax() -> None:
    sold = session(12000, [tax(2000, 10000, inclusive=True)], 12000)
    refund = {"id": "re_1", "object": "refund", "status": "succeeded", "currency": "usd",
              "amount": 6000, "charge": "ch_1", "balance_transaction": "txn_r"}  # fmt: skip
    figures = stripe_figures(charges=[charge(12000)], checkout_sessions=[sold], refunds=[refund])
    # Half refunded: half the tax given back with it.
    assert figures[("usd", Line.TAX)].amount == 1000
    assert figures[("usd", Line.NET_SALES)].amount == 5000
    plain = stripe_figures(charges=[charge(12000)])
    assert plain[("usd", Line.NET_SALES)].amount == 12000
