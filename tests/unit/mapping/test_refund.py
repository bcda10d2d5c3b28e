"""Stripe refund → NetSuite credit memo + customer refund."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, account, check_golden, context, schema_problems
from stripe_builders import balance_transaction, refund

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import MappingContext
from stripe_netsuite.mapping.context import Dependency
from stripe_netsuite.mapping.refund import (
    dependencies,
    map_customer_refund,
    map_refund_credit_memo,
    needs_credit_memo,
)

GL = {"stripe_clearing": "130"}


def ctx(**ids: Any) -> MappingContext:
    return context(account(gl=GL), customer_id="1041", **ids)


def test_invoiced_charge_refund_needs_a_credit_memo() -> None:
    assert needs_credit_memo(refund(), ctx(invoice_id="5031"))
    assert not needs_credit_memo(refund(), ctx())
    linked = refund(metadata={"netsuite_credit_memo_id": "9"})
    assert not needs_credit_memo(linked, ctx(invoice_id="5031"))


def test_credit_memo() -> None:
    record = map_refund_credit_memo(refund(400), ctx(invoice_id="5031"))
    assert record.record_type == "creditMemo"
    assert record.role == "credit_memo"
    assert record.external_id == f"{ACCOUNT}:cm:re_1"
    (line,) = record.body["item"]["items"]
    assert (line["item"], line["amount"]) == ({"id": "500"}, Decimal("4.00"))
    assert record.body["entity"] == {"id": "1041"}
    assert "apply" not in record.body


def test_refund_item_preferred_over_generic_item() -> None:
    record = map_refund_credit_memo(refund(), ctx(invoice_id="5031", refund_item_id="560"))
    assert record.body["item"]["items"][0]["item"] == {"id": "560"}


def test_customer_refund_applies_to_the_credit_memo() -> None:
    c = ctx(invoice_id="5031", credit_memo_ids={"re_1": "6001"})
    record = map_customer_refund(refund(400), c)
    assert record.record_type == "customerRefund"
    assert record.role == "refund"
    assert record.external_id == f"{ACCOUNT}:re_1"
    assert record.body["customer"] == {"id": "1041"}
    assert record.body["account"] == {"id": "130"}
    assert record.body["apply"]["items"] == [{"doc": {"id": "6001"}, "apply": True,
                                             "amount": Decimal("4.00")}]  # fmt: skip


def test_customer_refund_of_a_standalone_payment_applies_to_the_payment() -> None:
    record = map_customer_refund(refund(400), ctx(payment_ids={"ch_1": "7001"}))
    assert record.body["apply"]["items"][0]["doc"] == {"id": "7001"}


def test_linked_credit_memo_metadata() -> None:
    r = refund(metadata={"netsuite_credit_memo_id": "9"})
    record = map_customer_refund(r, ctx(invoice_id="5031"))
    assert record.body["apply"]["items"][0]["doc"] == {"id": "9"}


def test_missing_credit_memo_is_named() -> None:
    with pytest.raises(exceptions.MappingError, match="credit memo is not known"):
        map_customer_refund(refund(), ctx(invoice_id="5031"))


def test_missing_payment_is_named() -> None:
    with pytest.raises(exceptions.MappingError, match=r"payment_ids\[ch_1\]"):
        map_customer_refund(refund(), ctx())


def test_several_partial_refunds_of_one_charge_are_distinct() -> None:
    c = ctx(payment_ids={"ch_1": "7001"})
    a = map_customer_refund(refund(300, refund_id="re_a"), c)
    b = map_customer_refund(refund(200, refund_id="re_b"), c)
    assert a.external_id != b.external_id
    amounts = [r.body["apply"]["items"][0]["amount"] for r in (a, b)]
    assert amounts == [Decimal("3.00"), Decimal("2.00")]


@pytest.mark.parametrize(
    ("currency", "amount", "expected"),
    [
        ("jpy", 500, Decimal("500")),
        ("kwd", 1230, Decimal("1.230")),
        ("ugx", 150000, Decimal("1500.00")),
    ],
)
def test_refund_currencies(currency: str, amount: int, expected: Decimal) -> None:
    record = map_customer_refund(refund(amount, currency=currency), ctx(payment_ids={"ch_1": "1"}))
    assert record.body["apply"]["items"][0]["amount"] == expected


def test_refund_exchange_rate_from_its_balance_transaction() -> None:
    bt = balance_transaction(-1100, currency="usd", exchange_rate=1.1, source="re_1")
    record = map_customer_refund(
        refund(1000, currency="eur", bt=bt), ctx(payment_ids={"ch_1": "1"})
    )
    assert record.body["exchangeRate"] == Decimal("1.1")


def test_dependencies() -> None:
    assert dependencies(refund()) == [Dependency("charge", "ch_1")]


def test_golden() -> None:
    c = ctx(invoice_id="5031", credit_memo_ids={"re_1": "6001"})
    records = [map_refund_credit_memo(refund(400), c), map_customer_refund(refund(400), c)]
    for record in records:
        assert schema_problems(record.record_type, record.body) == []
    check_golden("refund_invoiced_partial", records)
