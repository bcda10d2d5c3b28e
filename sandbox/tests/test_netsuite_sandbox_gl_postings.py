"""The GL impact of each transaction type, read back over SuiteQL from a served sandbox.

Every test talks to the sandbox over a real loopback port with TBA, posts records through the
record API and reads ``TransactionAccountingLine`` rows: (transactionline, account, debit,
credit, amount), amounts in the base currency. The fixture also checks that nothing the test
posted left the GL unbalanced.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from netsuite_helpers import Served
from stripe_netsuite_sandbox.netsuite import chart, gl

D = Decimal
AR = chart.ACCOUNTS_RECEIVABLE
UF = chart.UNDEPOSITED_FUNDS
INCOME = chart.INCOME
DISCOUNTS = chart.DISCOUNTS
TAX = chart.TAX_PAYABLE
CLEARING = chart.STRIPE_CLEARING
FX = chart.REALIZED_FX
BANK_USD = chart.BANK_ACCOUNTS["usd"]
BANK_EUR = chart.BANK_ACCOUNTS["eur"]


@pytest.fixture
def ns() -> Iterator[Served]:
    served = Served()
    try:
        yield served
        assert gl.unbalanced(served.account) == []
    finally:
        served.close()


def item(item_id: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"item": {"id": item_id}, "amount": D(amount), **extra}


def invoice(ns: Served, customer: str, *lines: dict[str, Any], **extra: Any) -> str:
    return ns.create(
        "invoice", {"entity": {"id": customer}, "item": {"items": list(lines)}, **extra}
    )


def payment(ns: Served, customer: str, amount: str, *applied: str, **extra: Any) -> str:
    body: dict[str, Any] = {"customer": {"id": customer}, "payment": D(amount), **extra}
    if applied:
        body["apply"] = {"items": [{"doc": {"id": doc}, "apply": True} for doc in applied]}
    return ns.create("customerPayment", body)


def euro_customer(ns: Served) -> str:
    return ns.customer("cus_eur", currencyList={"items": [{"currency": {"id": chart.EUR}}]})


def test_invoice_debits_receivables_and_credits_income_discount_and_tax(ns: Served) -> None:
    customer = ns.customer()
    inv = invoice(
        ns,
        customer,
        {
            "item": {"id": chart.SERVICE_ITEM},
            "quantity": 2,
            "rate": D("50"),
            "taxCode": {"id": chart.TAX_ITEM},
            "tax1Amt": D("8"),
        },
        item(chart.DISCOUNT_ITEM, "-10"),
        item(chart.TAX_ITEM, "5"),
    )
    assert ns.gl(inv) == [
        ("0", AR, "103.00", None, "103.00"),
        ("1", INCOME, None, "100.00", "-100.00"),
        ("2", DISCOUNTS, "10.00", None, "10.00"),  # a negative line: effectively a debit
        ("3", TAX, None, "5.00", "-5.00"),  # the tax item's line, to its tax account
        ("4", TAX, None, "8.00", "-8.00"),  # the line's tax1Amt, to its tax code's account
    ]


def test_invoice_posts_to_the_receivables_account_it_names(ns: Served) -> None:
    other_ar = ns.create(
        "account",
        {
            "acctNumber": "1150",
            "acctName": "Receivables (marketplace)",
            "acctType": {"id": "AcctRec"},
            "subsidiary": {"items": [{"id": chart.SUBSIDIARY_PARENT}]},
        },
    )
    inv = invoice(ns, ns.customer(), item(chart.SERVICE_ITEM, "12.50"), account={"id": other_ar})
    assert ns.gl(inv) == [
        ("0", other_ar, "12.50", None, "12.50"),
        ("1", INCOME, None, "12.50", "-12.50"),
    ]


def test_credit_memo_mirrors_an_invoice(ns: Served) -> None:
    memo = ns.create(
        "creditMemo",
        {
            "entity": {"id": ns.customer()},
            "item": {
                "items": [
                    item(chart.SERVICE_ITEM, "30", taxCode={"id": chart.TAX_ITEM}, tax1Amt=D("3")),
                    item(chart.DISCOUNT_ITEM, "-5"),
                ]
            },
        },
    )
    assert ns.gl(memo) == [
        ("0", AR, None, "28.00", "-28.00"),
        ("1", INCOME, "30.00", None, "30.00"),
        ("2", DISCOUNTS, None, "5.00", "-5.00"),
        ("3", TAX, "3.00", None, "3.00"),
    ]


def test_customer_payment_debits_undeposited_funds_or_its_account(ns: Served) -> None:
    customer = ns.customer()
    inv = invoice(ns, customer, item(chart.SERVICE_ITEM, "40"))
    undeposited = payment(ns, customer, "40", inv)
    to_clearing = payment(ns, customer, "25", undepFunds=False, account={"id": CLEARING})
    assert ns.gl(undeposited) == [
        ("0", UF, "40.00", None, "40.00"),
        ("1", AR, None, "40.00", "-40.00"),
    ]
    assert ns.gl(to_clearing) == [
        ("0", CLEARING, "25.00", None, "25.00"),
        ("1", AR, None, "25.00", "-25.00"),
    ]


def test_customer_refund_debits_receivables_and_credits_its_account(ns: Served) -> None:
    customer = ns.customer()
    memo = ns.create(
        "creditMemo",
        {"entity": {"id": customer}, "item": {"items": [item(chart.SERVICE_ITEM, "25")]}},
    )
    refund = ns.create(
        "customerRefund",
        {
            "customer": {"id": customer},
            "account": {"id": CLEARING},
            "apply": {"items": [{"doc": {"id": memo}, "apply": True, "amount": D("25")}]},
        },
    )
    assert ns.gl(refund) == [
        ("0", CLEARING, None, "25.00", "-25.00"),
        ("1", AR, "25.00", None, "25.00"),
    ]


def test_deposit_debits_the_bank_against_payments_other_deposits_and_cash_back(ns: Served) -> None:
    customer = ns.customer()
    first, second = payment(ns, customer, "40"), payment(ns, customer, "30")
    deposit = ns.create(
        "deposit",
        {
            "account": {"id": BANK_USD},
            "payment": {"items": [{"id": int(first), "deposit": True}, {"id": int(second)}]},
            "other": {"items": [{"account": {"id": chart.SUSPENSE}, "amount": D("5")}]},
            "cashback": {"items": [{"account": {"id": chart.STRIPE_FEES}, "amount": D("2")}]},
        },
    )
    assert ns.gl(deposit) == [
        ("0", BANK_USD, "73.00", None, "73.00"),
        ("1", UF, None, "40.00", "-40.00"),
        ("2", UF, None, "30.00", "-30.00"),
        ("3", chart.SUSPENSE, None, "5.00", "-5.00"),
        ("4", chart.STRIPE_FEES, "2.00", None, "2.00"),
    ]
    # Undeposited Funds is back to zero once both payments are in the bank.
    assert gl.balances(ns.account)[UF] == 0


def test_journal_entry_posts_its_lines_as_written(ns: Served) -> None:
    journal = ns.create(
        "journalEntry",
        {
            "subsidiary": {"id": chart.SUBSIDIARY_US},
            "line": {
                "items": [
                    {"account": {"id": chart.DISPUTE_FEES}, "debit": D("15")},
                    {"account": {"id": CLEARING}, "credit": D("10")},
                    {"account": {"id": chart.SUSPENSE}, "credit": D("5")},
                ]
            },
        },
    )
    assert ns.gl(journal) == [
        ("1", chart.DISPUTE_FEES, "15.00", None, "15.00"),
        ("2", CLEARING, None, "10.00", "-10.00"),
        ("3", chart.SUSPENSE, None, "5.00", "-5.00"),
    ]


def test_cash_sale_and_cash_refund(ns: Served) -> None:
    customer = ns.customer()
    taxed = item(chart.SERVICE_ITEM, "60", taxCode={"id": chart.TAX_ITEM}, tax1Amt=D("6"))
    sale = ns.create("cashSale", {"entity": {"id": customer}, "item": {"items": [taxed]}})
    refund = ns.create(
        "cashRefund",
        {"entity": {"id": customer}, "account": {"id": CLEARING}, "item": {"items": [taxed]}},
    )
    assert ns.gl(sale) == [
        ("0", UF, "66.00", None, "66.00"),
        ("1", INCOME, None, "60.00", "-60.00"),
        ("2", TAX, None, "6.00", "-6.00"),
    ]
    assert ns.gl(refund) == [
        ("0", CLEARING, None, "66.00", "-66.00"),
        ("1", INCOME, "60.00", None, "60.00"),
        ("2", TAX, "6.00", None, "6.00"),
    ]


def test_customer_deposit_credits_the_customer_deposits_liability(ns: Served) -> None:
    deposit = ns.create("customerDeposit", {"customer": {"id": ns.customer()}, "payment": D("50")})
    assert ns.gl(deposit) == [
        ("0", UF, "50.00", None, "50.00"),
        ("1", chart.CUSTOMER_DEPOSITS, None, "50.00", "-50.00"),
    ]


def test_foreign_invoice_books_base_amounts_at_its_exchange_rate(ns: Served) -> None:
    customer = euro_customer(ns)
    inv = invoice(
        ns,
        customer,
        item(chart.SERVICE_ITEM, "100", taxCode={"id": chart.TAX_ITEM}, tax1Amt=D("7.35")),
        currency={"id": chart.EUR},
        exchangeRate=D("1.1"),
    )
    # 7.35 x 1.1 = 8.085 rounds half up; receivables take the sum of the converted lines.
    assert ns.gl(inv) == [
        ("0", AR, "118.09", None, "118.09"),
        ("1", INCOME, None, "110.00", "-110.00"),
        ("2", TAX, None, "8.09", "-8.09"),
    ]
    foreign = ns.rows(
        "SELECT transactionline, foreignamount, exchangerate FROM transactionaccountingline "
        "WHERE transaction = ? ORDER BY transactionline",
        [inv],
    )
    assert [(r["foreignamount"], r["exchangerate"]) for r in foreign] == [
        ("107.35", "1.1"),
        ("-100.00", "1.1"),
        ("-7.35", "1.1"),
    ]


def test_a_payment_at_another_rate_books_realized_gain_and_clears_receivables(ns: Served) -> None:
    customer = euro_customer(ns)
    eur = {"currency": {"id": chart.EUR}}
    inv = invoice(ns, customer, item(chart.SERVICE_ITEM, "100"), exchangeRate=D("1.1"), **eur)
    paid = payment(ns, customer, "100", inv, exchangeRate=D("1.2"), **eur)
    assert ns.gl(paid) == [
        ("0", UF, "120.00", None, "120.00"),
        ("1", AR, None, "110.00", "-110.00"),  # at the invoice's rate
        ("2", FX, None, "10.00", "-10.00"),
    ]
    assert gl.balances(ns.account, currency=chart.EUR)[AR] == 0
    # The invoice's rate changes: the payment's impact follows it.
    ns.write("PATCH", f"/invoice/{inv}", {"exchangeRate": D("1.15")})
    assert ns.gl(paid)[1:] == [
        ("1", AR, None, "115.00", "-115.00"),
        ("2", FX, None, "5.00", "-5.00"),
    ]
    # A deposit at yet another rate takes the payment out of Undeposited Funds at its rate.
    deposit = ns.create(
        "deposit",
        {
            "account": {"id": BANK_EUR},
            "exchangeRate": D("1.25"),
            "payment": {"items": [{"id": int(paid), "deposit": True}]},
        },
    )
    assert ns.gl(deposit) == [
        ("0", BANK_EUR, "125.00", None, "125.00"),
        ("1", UF, None, "120.00", "-120.00"),
        ("2", FX, None, "5.00", "-5.00"),
    ]
    assert gl.balances(ns.account, currency=chart.EUR)[UF] == 0


def test_an_update_replaces_the_lines(ns: Served) -> None:
    customer = ns.customer()
    body = {"entity": {"id": customer}, "item": {"items": [item(chart.SERVICE_ITEM, "100")]}}
    inv = ns.write("PUT", "/invoice/eid:inv_update", body)
    assert ns.gl(inv) == [
        ("0", AR, "100.00", None, "100.00"),
        ("1", INCOME, None, "100.00", "-100.00"),
    ]
    body["item"] = {"items": [item(chart.SERVICE_ITEM, "30"), item(chart.DISCOUNT_ITEM, "-5")]}
    # Without replace the new lines join the old one, and the GL follows the stored record.
    assert ns.write("PUT", "/invoice/eid:inv_update", body) == inv
    assert ns.gl(inv) == [
        ("0", AR, "125.00", None, "125.00"),
        ("1", INCOME, None, "100.00", "-100.00"),
        ("2", INCOME, None, "30.00", "-30.00"),
        ("3", DISCOUNTS, "5.00", None, "5.00"),
    ]
    assert ns.write("PUT", "/invoice/eid:inv_update", body, replace="item") == inv
    assert ns.gl(inv) == [
        ("0", AR, "25.00", None, "25.00"),
        ("1", INCOME, None, "30.00", "-30.00"),
        ("2", DISCOUNTS, "5.00", None, "5.00"),
    ]
    ns.write(
        "PATCH",
        f"/invoice/{inv}",
        {"item": {"items": [item(chart.SERVICE_ITEM, "7")]}},
        replace="item",
    )
    assert ns.gl(inv) == [("0", AR, "7.00", None, "7.00"), ("1", INCOME, None, "7.00", "-7.00")]
    # Nothing of the replaced lines is left, not even a zero on the discount account.
    assert gl.balances(ns.account) == {AR: D("7.00"), INCOME: D("-7.00")}


def test_a_delete_removes_the_lines(ns: Served) -> None:
    customer = ns.customer()
    kept = invoice(ns, customer, item(chart.SERVICE_ITEM, "10"))
    gone = invoice(ns, customer, item(chart.SERVICE_ITEM, "90"))
    assert len(ns.gl(gone)) == 2
    ns.delete("invoice", gone)
    assert ns.gl(gone) == []
    assert ns.gl(kept) != []
    assert gl.lines_of(ns.account, gone) == []
    assert ns.sandbox_gl()["balances"] == {AR: 10.0, INCOME: -10.0}


def test_a_sales_order_is_non_posting(ns: Served) -> None:
    order = ns.create(
        "salesOrder",
        {"entity": {"id": ns.customer()}, "item": {"items": [item(chart.SERVICE_ITEM, "9")]}},
    )
    lines = ns.rows(
        "SELECT account, amount, posting FROM transactionaccountingline WHERE transaction = ?",
        [order],
    )
    assert lines == [
        {"account": AR, "amount": "9.00", "posting": "F"},
        {"account": INCOME, "amount": "-9.00", "posting": "F"},
    ]
    assert (
        ns.rows(
            "SELECT account FROM transactionaccountingline WHERE transaction = ? AND posting = 'T'",
            [order],
        )
        == []
    )
    assert gl.balances(ns.account) == {}


def test_every_transaction_balances(ns: Served) -> None:
    customer = ns.customer()
    inv = invoice(
        ns,
        customer,
        item(chart.SERVICE_ITEM, "33.33", taxCode={"id": chart.TAX_ITEM}, tax1Amt=D("2.67")),
    )
    paid = payment(ns, customer, "36", inv)
    memo = ns.create(
        "creditMemo",
        {"entity": {"id": customer}, "item": {"items": [item(chart.SERVICE_ITEM, "4")]}},
    )
    refund = ns.create(
        "customerRefund",
        {
            "customer": {"id": customer},
            "account": {"id": CLEARING},
            "apply": {"items": [{"doc": {"id": memo}, "apply": True}]},
        },
    )
    deposit = ns.create(
        "deposit",
        {"account": {"id": BANK_USD}, "payment": {"items": [{"id": int(paid)}]},
         "cashback": {"items": [{"account": {"id": chart.STRIPE_FEES}, "amount": D("1.35")}]}},
    )  # fmt: skip
    journal = ns.create(
        "journalEntry",
        {"subsidiary": {"id": chart.SUBSIDIARY_US}, "currency": {"id": chart.EUR},
         "exchangeRate": D("1.5"),
         "line": {"items": [{"account": {"id": chart.DISPUTE_FEES}, "debit": D("0.01")},
                            {"account": {"id": chart.DISPUTE_FEES}, "debit": D("0.01")},
                            {"account": {"id": CLEARING}, "credit": D("0.02")}]}},
    )  # fmt: skip
    totals = ns.rows(
        "SELECT tal.transaction, SUM(tal.debit) AS debits, SUM(tal.credit) AS credits, "
        "COUNT(*) AS n FROM transactionaccountingline tal GROUP BY tal.transaction "
        "ORDER BY tal.transaction"
    )
    assert [r["transaction"] for r in totals] == [inv, paid, memo, refund, deposit, journal]
    assert all(r["debits"] == r["credits"] for r in totals), totals
    assert (
        ns.rows(
            "SELECT transaction FROM transactionaccountingline GROUP BY transaction "
            "HAVING SUM(amount) <> 0"
        )
        == []
    )
    # 0.01 x 1.5 rounds up twice: the journal's base-currency rounding gets a line of its own.
    assert ns.gl(journal) == [
        ("1", chart.DISPUTE_FEES, "0.02", None, "0.02"),
        ("2", chart.DISPUTE_FEES, "0.02", None, "0.02"),
        ("3", CLEARING, None, "0.03", "-0.03"),
        ("4", chart.ROUNDING, None, "0.01", "-0.01"),
    ]
    assert ns.sandbox_gl()["unbalanced"] == []


def test_a_transaction_that_cannot_post_is_kept_and_listed_as_unbalanced() -> None:
    served = Served()
    try:
        bare = served.create("serviceSaleItem", {"itemId": "No income account"})
        inv = invoice(served, served.customer(), item(bare, "20"), item(chart.SERVICE_ITEM, "5"))
        assert served.client.get(f"/services/rest/record/v1/invoice/{inv}").status_code == 200
        # The line without an account is missing, so the invoice does not balance.
        assert served.gl(inv) == [
            ("0", AR, "25.00", None, "25.00"),
            ("2", INCOME, None, "5.00", "-5.00"),
        ]
        [listed] = served.sandbox_gl()["unbalanced"]
        assert (listed["transaction"], listed["type"]) == (inv, "invoice")
        assert (listed["debits"], listed["credits"]) == (25.0, 5.0)
        assert listed["problems"] == [f"line 1 (item {bare}) has no account to post to"]
        assert [found.transaction for found in gl.unbalanced(served.account)] == [inv]
    finally:
        served.close()


def test_the_gl_is_rebuilt_from_the_stored_records_on_start(tmp_path: Path) -> None:
    db = str(tmp_path / "books.sqlite")
    first = Served(db_path=db)
    try:
        customer = first.customer()
        inv = invoice(first, customer, item(chart.SERVICE_ITEM, "80"))
        paid = payment(first, customer, "80", inv)
        before = (first.gl(inv), first.gl(paid))
    finally:
        first.close()
    second = Served(db_path=db)
    try:
        assert (second.gl(inv), second.gl(paid)) == before
        assert before[1] == [("0", UF, "80.00", None, "80.00"), ("1", AR, None, "80.00", "-80.00")]
    finally:
        second.close()
