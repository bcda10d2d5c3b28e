"""Stripe dispute → refund, fee, and their reversal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, account, check_golden, context, schema_problems
from stripe_builders import MAY_3, balance_transaction

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import MappingContext
from stripe_netsuite.mapping.context import Dependency
from stripe_netsuite.mapping.dispute import (
    dependencies,
    map_dispute_credit_memo,
    map_dispute_fee,
    map_dispute_refund,
    map_dispute_reversal,
    needs_credit_memo,
    stage,
)

WITHDRAWN = balance_transaction(-10000, bt_id="txn_dw", fee=1500, reporting_category="dispute",
                                source="dp_1", created=MAY_3 + 86400)  # fmt: skip
REINSTATED = balance_transaction(10000, bt_id="txn_dr", fee=-1500,
                                 reporting_category="dispute_reversal", source="dp_1",
                                 created=MAY_3 + 30 * 86400)  # fmt: skip


def dispute(
    status: str = "needs_response", bts: list[Any] | None = None, **kw: Any
) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": "dp_1", "object": "dispute", "amount": 10000, "currency": "usd",
                           "charge": "ch_1", "created": MAY_3 + 86400, "metadata": {},
                           "reason": "fraudulent", "status": status,
                           "balance_transactions": [WITHDRAWN] if bts is None else bts}  # fmt: skip
    obj.update(kw)
    return obj


def ctx(**kw: Any) -> MappingContext:
    options = kw.pop("options", {})
    ids: dict[str, Any] = {"customer_id": "1041", "payment_ids": {"ch_1": "7001"}}
    ids.update(kw)
    return context(account(gl={"stripe_clearing": "130"}, options=options), **ids)


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (dispute("warning_needs_response", []), "inquiry"),
        (dispute("needs_response", []), "open"),
        (dispute(), "withdrawn"),
        (dispute("lost"), "withdrawn"),
        (dispute("won", [WITHDRAWN, REINSTATED]), "reinstated"),
    ],
)
def test_stage(obj: dict[str, Any], expected: str) -> None:
    assert stage(obj) == expected


def test_inquiry_posts_nothing() -> None:
    obj = dispute("warning_needs_response", [])
    c = ctx()
    assert map_dispute_refund(obj, c) is None
    assert map_dispute_fee(obj, c) is None
    assert map_dispute_reversal(obj, c) == []


def test_withdrawal_of_a_standalone_payment() -> None:
    record = map_dispute_refund(dispute(), ctx())
    assert record is not None
    assert record.record_type == "customerRefund"
    assert record.external_id == f"{ACCOUNT}:dp_1"
    assert record.body["account"] == {"id": "130"}
    assert record.body["apply"]["items"] == [{"doc": {"id": "7001"}, "apply": True,
                                             "amount": Decimal("100.00")}]  # fmt: skip


def test_withdrawal_of_an_invoiced_charge_goes_through_a_credit_memo() -> None:
    c = ctx(invoice_id="5031")
    assert needs_credit_memo(dispute(), c)
    memo = map_dispute_credit_memo(dispute(), c)
    assert memo.external_id == f"{ACCOUNT}:cm:dp_1"
    assert memo.body["item"]["items"][0]["amount"] == Decimal("100.00")
    with pytest.raises(exceptions.MappingError, match="credit memo is not known"):
        map_dispute_refund(dispute(), c)
    record = map_dispute_refund(dispute(), ctx(invoice_id="5031", credit_memo_ids={"dp_1": "6001"}))
    assert record is not None
    assert record.body["apply"]["items"][0]["doc"] == {"id": "6001"}


def test_cash_refund_option() -> None:
    c = ctx(options={"dispute_refund_record": "cashRefund"}, invoice_id="5031")
    assert not needs_credit_memo(dispute(), c)
    record = map_dispute_refund(dispute(), c)
    assert record is not None
    assert record.record_type == "cashRefund"
    assert record.body["entity"] == {"id": "1041"}
    assert record.body["item"]["items"][0]["amount"] == Decimal("100.00")


def test_fee_journal_entry_balances() -> None:
    record = map_dispute_fee(dispute(), ctx())
    assert record is not None
    assert record.record_type == "journalEntry"
    assert record.role == "dispute_fee"
    assert record.external_id == f"{ACCOUNT}:fee:dp_1"
    debit, credit = record.body["line"]["items"]
    assert (debit["account"], debit["debit"]) == ({"id": "601"}, Decimal("15.00"))
    assert (credit["account"], credit["credit"]) == ({"id": "130"}, Decimal("15.00"))


def test_fee_needs_its_accounts() -> None:
    c = context(account(gl={"dispute_fees": None}), customer_id="1041")
    with pytest.raises(exceptions.MappingError, match=r"gl\.dispute_fees"):
        map_dispute_fee(dispute(), c)


@pytest.mark.parametrize(
    ("record_option", "record_type", "amount_field"),
    [("customerPayment", "customerPayment", "payment"), ("cashSale", "cashSale", None)],
)
def test_won_dispute_reverses_cash_and_fee(
    record_option: str, record_type: str, amount_field: str | None
) -> None:
    c = ctx(options={"dispute_reversal_record": record_option})
    cash, fee = map_dispute_reversal(dispute("won", [WITHDRAWN, REINSTATED]), c)
    assert cash.record_type == record_type
    assert cash.role == "dispute_reversal"
    assert cash.external_id == f"{ACCOUNT}:rev:dp_1"
    assert cash.body["undepFunds"] is True
    if amount_field:
        assert cash.body[amount_field] == Decimal("100.00")
    else:
        assert cash.body["item"]["items"][0]["amount"] == Decimal("100.00")
    assert fee.role == "dispute_fee_reversal"
    debit, credit = fee.body["line"]["items"]
    assert (debit["account"], debit["debit"]) == ({"id": "130"}, Decimal("15.00"))
    assert (credit["account"], credit["credit"]) == ({"id": "601"}, Decimal("15.00"))


def test_won_without_fee_returned_reverses_cash_only() -> None:
    kept = balance_transaction(10000, bt_id="txn_dr", reporting_category="dispute_reversal")
    records = map_dispute_reversal(dispute("won", [WITHDRAWN, kept]), ctx())
    assert [r.role for r in records] == ["dispute_reversal"]


def test_fee_in_settlement_currency_with_rate_on_the_refund() -> None:
    bt = balance_transaction(-11000, currency="usd", fee=1500, exchange_rate=1.1,
                             reporting_category="dispute")  # fmt: skip
    obj = dispute(bts=[bt], currency="eur")
    refund = map_dispute_refund(obj, ctx())
    fee = map_dispute_fee(obj, ctx())
    assert refund is not None and fee is not None
    assert refund.body["currency"] == {"id": "2"}
    assert refund.body["exchangeRate"] == Decimal("1.1")
    assert fee.body["currency"] == {"id": "1"}


def test_dependencies() -> None:
    assert dependencies(dispute()) == [Dependency("charge", "ch_1")]


def test_golden() -> None:
    c = ctx(invoice_id="5031", credit_memo_ids={"dp_1": "6001"})
    won = dispute("won", [WITHDRAWN, REINSTATED])
    refund = map_dispute_refund(won, c)
    fee = map_dispute_fee(won, c)
    assert refund is not None and fee is not None
    records = [map_dispute_credit_memo(won, c), refund, fee, *map_dispute_reversal(won, c)]
    for record in records:
        assert schema_problems(record.record_type, record.body) == []
    check_golden("dispute_won", records)
