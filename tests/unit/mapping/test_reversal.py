"""Reversing a sale pro rata: refunds, lost and won disputes, failed refunds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, account, context
from stripe_builders import MAY_3, balance_transaction, refund

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import MappingContext
from stripe_netsuite.mapping.dispute import map_dispute_reversal, map_reinstatement_invoice
from stripe_netsuite.mapping.payout import reinstated_disputes
from stripe_netsuite.mapping.refund import (
    map_refund_credit_memo,
    map_refund_failure,
    map_refund_failure_invoice,
)
from stripe_netsuite.mapping.reversal import SaleLine, pro_rata, sale_lines, tax_share

d = Decimal
#: An invoice of 100.00 on item 500 less a 20.00 discount (item 510), plus 8.00 tax (item 520).
SALE = [
    SaleLine("500", d("100.00"), description="Pro plan"),
    SaleLine("510", d("-20.00")),
    SaleLine("520", d("8.00"), is_tax=True),
]


def amounts(lines: list[dict[str, Any]]) -> list[tuple[str, Decimal, Any]]:
    return [(ln["item"]["id"], ln["amount"], ln.get("tax1Amt", d(0))) for ln in lines]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("88.00", [("500", d("100.00"), 0), ("510", d("-20.00"), 0), ("520", d("8.00"), 0)]),
        ("44.00", [("500", d("50.00"), 0), ("510", d("-10.00"), 0), ("520", d("4.00"), 0)]),
        # 10.00 of 88.00: tax 0.909… → 0.91 half up; the net 9.09 shared 100 : -20.
        ("10.00", [("500", d("11.36"), 0), ("510", d("-2.27"), 0), ("520", d("0.91"), 0)]),
        ("0.01", [("500", d("0.01"), 0)]),
    ],
)
def test_pro_rata_lines_add_up_and_keep_tax_apart(
    value: str, expected: list[tuple[str, Decimal, int]]
) -> None:
    lines = pro_rata(SALE, d(value), currency="usd", sid="re_1", text="Refund re_1")
    assert amounts(lines) == expected
    assert sum(ln["amount"] for ln in lines) == d(value)


def test_tax_share_is_half_up_in_minor_units() -> None:
    assert tax_share(1000, 800, 8800) == 91
    assert tax_share(4400, 800, 8800) == 400
    assert tax_share(1000, 0, 8800) == 0
    assert tax_share(5, 1, 10) == 1  # 0.5 → 1


def test_line_tax_codes_are_given_back_on_the_line() -> None:
    sale = [SaleLine("500", d("100.00"), tax=d("20.00"), tax_code="7")]
    (line,) = pro_rata(sale, d("30.00"), currency="usd", sid="re_1", text="Refund")
    assert (line["amount"], line["tax1Amt"], line["taxCode"]) == (
        d("25.00"),
        d("5.00"),
        {"id": "7"},
    )


def test_zero_decimal_currency() -> None:
    sale = [SaleLine("500", d("1000")), SaleLine("520", d("100"), is_tax=True)]
    lines = pro_rata(sale, d("333"), currency="jpy", sid="re_1", text="Refund")
    assert amounts(lines) == [("500", d("303"), 0), ("520", d("30"), 0)]


def test_nothing_to_reverse_is_refused() -> None:
    with pytest.raises(exceptions.MappingError, match="no lines"):
        pro_rata([], d("1.00"), currency="usd", sid="re_1", text="Refund")


def test_sale_lines_read_from_a_netsuite_invoice() -> None:
    record = {"item": {"items": [
        {"item": {"id": "500"}, "amount": 100.0, "description": "Pro"},
        {"item": {"id": "520"}, "amount": 8.0},
        {"item": {"id": "501"}, "amount": 50.0, "tax1Amt": 5.0, "taxCode": {"id": "7"}},
    ]}}  # fmt: skip
    assert sale_lines(record, tax_item="520") == [
        SaleLine("500", d("100.0"), description="Pro"),
        SaleLine("520", d("8.0"), is_tax=True),
        SaleLine("501", d("50.0"), tax=d("5.0"), tax_code="7"),
    ]


def ctx(**ids: Any) -> MappingContext:
    gl = {"stripe_clearing": "130", "receivables": "120"}
    return context(account(gl=gl), customer_id="1041", **ids)


def test_refund_credit_memo_credits_the_sale_lines() -> None:
    record = map_refund_credit_memo(refund(4400), ctx(invoice_id="5031"), sale=SALE)
    assert amounts(record.body["item"]["items"]) == [
        ("500", d("50.00"), 0), ("510", d("-10.00"), 0), ("520", d("4.00"), 0)
    ]  # fmt: skip
    assert record.replace == ("item",)


FAILED_BT = balance_transaction(4400, bt_id="txn_rf", reporting_category="refund_failure",
                                source="re_1", created=MAY_3 + 7200)  # fmt: skip


def test_failed_refund_books_the_sale_again_and_the_money_back_into_clearing() -> None:
    failed = refund(4400, status="failed", failure_balance_transaction=FAILED_BT,
                    failure_reason="expired_or_canceled_card")  # fmt: skip
    invoice = map_refund_failure_invoice(failed, ctx(invoice_id="5031"), sale=SALE)
    assert (invoice.record_type, invoice.role) == ("invoice", "refund_failure_invoice")
    assert invoice.external_id == f"{ACCOUNT}:rfinv:re_1"
    assert invoice.body["account"] == {"id": "120"}
    assert sum(ln["amount"] for ln in invoice.body["item"]["items"]) == d("44.00")
    payment = map_refund_failure(failed, ctx(), apply_to="9001")
    assert (payment.record_type, payment.role) == ("customerPayment", "refund_failure")
    assert payment.external_id == f"{ACCOUNT}:rf:re_1"
    assert payment.body["payment"] == d("44.00")
    assert payment.body["undepFunds"] is False
    assert payment.body["account"] == {"id": "130"}
    assert payment.body["apply"]["items"] == [{"doc": {"id": "9001"}, "apply": True,
                                               "amount": d("44.00")}]  # fmt: skip
    assert payment.body["tranDate"] == "2026-05-03"
    assert "expired_or_canceled_card" in payment.body["memo"]
    unapplied = map_refund_failure(failed, ctx(), apply_to=None)
    assert "apply" not in unapplied.body and unapplied.replace == ()


WITHDRAWN = balance_transaction(-8800, bt_id="txn_dw", fee=1500, reporting_category="dispute",
                                source="dp_1", created=MAY_3 + 86400)  # fmt: skip
REINSTATED = balance_transaction(8800, bt_id="txn_dr", fee=-1500,
                                 reporting_category="dispute_reversal", source="dp_1",
                                 created=MAY_3 + 30 * 86400)  # fmt: skip


def won(**kw: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": "dp_1", "object": "dispute", "amount": 8800, "currency": "usd",
                           "charge": "ch_1", "created": MAY_3 + 86400, "metadata": {},
                           "reason": "fraudulent", "status": "won",
                           "balance_transactions": [WITHDRAWN, REINSTATED]}  # fmt: skip
    obj.update(kw)
    return obj


def test_won_dispute_books_the_sale_again_and_the_payment_pays_it() -> None:
    c = ctx(invoice_id="5031", payment_ids={"ch_1": "7001"})
    invoice = map_reinstatement_invoice(won(), c, sale=SALE)
    assert invoice is not None
    assert (invoice.record_type, invoice.role) == ("invoice", "dispute_reinstatement")
    assert invoice.external_id == f"{ACCOUNT}:reinv:dp_1"
    assert amounts(invoice.body["item"]["items"]) == [
        ("500", d("100.00"), 0), ("510", d("-20.00"), 0), ("520", d("8.00"), 0)
    ]  # fmt: skip
    payment, fee = map_dispute_reversal(won(), c, apply_to="9100")
    assert payment.body["apply"]["items"][0]["doc"] == {"id": "9100"}
    assert payment.body["payment"] == d("88.00") and payment.body["undepFunds"] is True
    assert fee.role == "dispute_fee_reversal"


def test_won_dispute_of_an_unapplied_payment_has_no_invoice() -> None:
    assert map_reinstatement_invoice(won(), ctx(payment_ids={"ch_1": "7001"})) is None


def test_reinstatement_amount_comes_from_its_balance_transaction() -> None:
    partial = balance_transaction(5000, bt_id="txn_dr", reporting_category="dispute_reversal",
                                  source="dp_1", created=MAY_3 + 30 * 86400)  # fmt: skip
    (payment,) = map_dispute_reversal(won(balance_transactions=[WITHDRAWN, partial]), ctx())
    assert payment.body["payment"] == d("50.00")


def test_foreign_reinstatement_waits_in_clearing() -> None:
    eur = balance_transaction(9500, bt_id="txn_dr", reporting_category="dispute_reversal",
                              source="dp_1", exchange_rate=1.08,
                              created=MAY_3 + 30 * 86400)  # fmt: skip
    c = ctx(currency_ids={"eur": "4"})
    (payment,) = map_dispute_reversal(won(currency="eur", balance_transactions=[WITHDRAWN, eur]), c)
    assert payment.body["payment"] == d("88.00")
    assert payment.body["undepFunds"] is False and payment.body["account"] == {"id": "130"}
    assert payment.body["exchangeRate"] == d("1.08")


def test_a_sale_booked_in_another_currency_is_reversed_by_its_proportions() -> None:
    # A single-currency account holds the sale in its base currency (here with cents);
    # the refund is in yen and is converted afterwards.
    sale = [SaleLine("500", d("90.91")), SaleLine("520", d("9.09"), is_tax=True)]
    lines = pro_rata(sale, d("5000"), currency="jpy", sid="re_1", text="Refund")
    # Tax: 5000 × 9.09 ÷ 100.00 = 454.5 → 455 (half up); the rest is the net.
    assert amounts(lines) == [("500", d("4545"), 0), ("520", d("455"), 0)]


def test_a_payout_names_the_disputes_whose_funds_it_gives_back() -> None:
    lines = [
        {"reporting_category": "dispute", "source": "dp_lost"},
        {"reporting_category": "dispute_reversal", "source": {"id": "dp_won"}},
        {"reporting_category": "charge", "source": "ch_1"},
    ]
    assert reinstated_disputes(lines) == {"dp_won"}
