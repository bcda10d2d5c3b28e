"""Stripe charge → NetSuite customer payment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, account, check_golden, context, schema_problems
from stripe_builders import balance_transaction, charge

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import MappingContext
from stripe_netsuite.mapping.context import Dependency
from stripe_netsuite.mapping.payment import (
    dependencies,
    map_charge_invoice,
    map_payment,
    needs_invoice,
)


def ctx(invoice_id: str | None = None, **options: Any) -> MappingContext:
    return context(account(options=options), customer_id="1041", invoice_id=invoice_id)


def test_invoice_paid_applies_to_the_invoice() -> None:
    record = map_payment(charge(4900), ctx("5031"))
    body = record.body
    assert record.record_type == "customerPayment"
    assert record.role == "payment"
    assert record.external_id == f"{ACCOUNT}:ch_1"
    assert body["customer"] == {"id": "1041"}
    assert body["payment"] == Decimal("49.00")
    assert body["undepFunds"] is True
    assert body["apply"] == {"items": [{"doc": {"id": "5031"}, "apply": True,
                                        "amount": Decimal("49.00")}]}  # fmt: skip
    assert body["tranDate"] == "2026-05-03"
    assert record.replace == ("apply",)


def test_standalone_charge_is_unapplied() -> None:
    record = map_payment(charge(4900, description="T-shirt"), ctx())
    assert "apply" not in record.body
    assert record.body["memo"] == "Stripe ch_1: T-shirt"


def test_partial_capture_pays_only_the_captured_part() -> None:
    record = map_payment(charge(10000, amount_captured=6000), ctx("5031"))
    assert record.body["payment"] == Decimal("60.00")
    assert record.body["apply"]["items"][0]["amount"] == Decimal("60.00")


def test_netsuite_invoice_id_metadata_wins() -> None:
    record = map_payment(charge(metadata={"netsuite_invoice_id": "777"}), ctx("5031"))
    assert record.body["apply"]["items"][0]["doc"] == {"id": "777"}


@pytest.mark.parametrize(
    ("open_amount", "applied"),
    [
        (Decimal("10.00"), Decimal("10.00")),
        (Decimal("4.00"), Decimal("4.00")),
        (None, Decimal("10.00")),
    ],
)
def test_apply_no_more_than_is_open(open_amount: Decimal | None, applied: Decimal) -> None:
    record = map_payment(charge(1000), ctx("5031"), open_amount=open_amount)
    assert record.body["payment"] == Decimal("10.00")
    assert record.body["apply"]["items"][0]["amount"] == applied


def test_second_payment_of_a_paid_invoice_is_unapplied_with_a_memo() -> None:
    record = map_payment(charge(1000), ctx("5031"), open_amount=Decimal(0))
    assert "apply" not in record.body
    assert "could not apply to invoice 5031" in record.body["memo"]


def test_duplicate_refused_when_not_allowed() -> None:
    with pytest.raises(exceptions.MappingError, match="already paid"):
        map_payment(charge(1000), ctx("5031", allow_duplicate_payments=False),
                    open_amount=Decimal(0))  # fmt: skip


def test_duplicate_allowed_by_metadata() -> None:
    c = charge(1000, metadata={"netsuite_allow_duplicate": "true"})
    record = map_payment(c, ctx("5031", allow_duplicate_payments=False), open_amount=Decimal(0))
    assert "apply" not in record.body


@pytest.mark.parametrize(
    ("currency", "amount", "bt", "payment", "rate"),
    [
        ("usd", 1000, balance_transaction(1000), Decimal("10.00"), None),
        ("eur", 1000, balance_transaction(1234, exchange_rate=1.234), Decimal("10.00"),
         Decimal("1.234")),
        ("jpy", 5000, balance_transaction(3350, exchange_rate=0.0067), Decimal("5000"),
         Decimal("0.0067")),
        ("kwd", 12340, balance_transaction(4021, exchange_rate=3.258588), Decimal("12.340"),
         Decimal("3.258588")),
        ("isk", 50000, "txn_1", Decimal("500.00"), None),
        ("huf", 1045, "txn_1", Decimal("10.45"), None),
    ],
)  # fmt: skip
def test_currencies_and_exchange_rate(
    currency: str, amount: int, bt: Any, payment: Decimal, rate: Decimal | None
) -> None:
    record = map_payment(charge(amount, currency=currency, bt=bt), ctx())
    assert record.body["payment"] == payment
    assert record.body.get("exchangeRate") == rate


def test_cross_currency_payment_lands_in_stripe_clearing() -> None:
    c = charge(1000, currency="eur", bt=balance_transaction(1234, exchange_rate=1.234))
    gl = {**account().gl.model_dump(), "stripe_clearing": "77"}
    clearing = context(account(gl=gl), customer_id="1041")
    record = map_payment(c, clearing)
    assert record.body["undepFunds"] is False
    assert record.body["account"] == {"id": "77"}
    same = map_payment(charge(1000, currency="usd"), clearing)
    assert same.body["undepFunds"] is True
    assert "account" not in same.body


def test_summary_payout_posting_puts_every_payment_in_stripe_clearing() -> None:
    gl = {**account().gl.model_dump(), "stripe_clearing": "77"}
    summary = context(account(gl=gl, options={"payout_posting": "summary"}), customer_id="1041")
    record = map_payment(charge(1000, currency="usd"), summary)
    assert record.body["undepFunds"] is False
    assert record.body["account"] == {"id": "77"}
    unset = {**gl, "stripe_clearing": None}
    bare = context(account(gl=unset, options={"payout_posting": "summary"}), customer_id="1041")
    with pytest.raises(exceptions.MappingError, match=r"gl\.stripe_clearing"):
        map_payment(charge(1000, currency="usd"), bare)


def test_single_currency_account_has_no_currency_or_rate() -> None:
    c = charge(1000, currency="eur", bt=balance_transaction(1234, exchange_rate=1.234))
    record = map_payment(c, ctx(multi_currency=False))
    assert "currency" not in record.body
    assert "exchangeRate" not in record.body


def test_invoice_for_standalone_charge() -> None:
    c = charge(2500, description="Setup fee")
    assert needs_invoice(c, ctx(create_invoices_for_payments=True))
    assert needs_invoice(c, ctx())
    assert not needs_invoice(c, ctx(create_invoices_for_payments=False))
    assert not needs_invoice(charge(invoice="in_1"), ctx(create_invoices_for_payments=True))
    record = map_charge_invoice(c, ctx(create_invoices_for_payments=True))
    assert record.record_type == "invoice"
    assert record.external_id == f"{ACCOUNT}:inv:ch_1"
    (line,) = record.body["item"]["items"]
    assert (line["item"], line["amount"], line["description"]) == (
        {"id": "500"},
        Decimal("25.00"),
        "Setup fee",
    )


def test_customer_must_be_known() -> None:
    with pytest.raises(exceptions.MappingError, match="customer is not known"):
        map_payment(charge(), context())


def test_dependencies() -> None:
    assert dependencies(charge(invoice="in_9")) == [
        Dependency("customer", "cus_Q1"),
        Dependency("invoice", "in_9"),
    ]
    assert dependencies(charge(customer=None)) == []


def test_golden() -> None:
    c = charge(1000, currency="eur", bt=balance_transaction(1234, exchange_rate=1.234))
    record = map_payment(c, ctx("5031"))
    assert schema_problems(record.record_type, record.body) == []
    check_golden("payment_applied_eur", record)
    inv = map_charge_invoice(charge(2500, description="Setup fee"), ctx())
    assert schema_problems(inv.record_type, inv.body) == []
    check_golden("payment_charge_invoice", inv)
