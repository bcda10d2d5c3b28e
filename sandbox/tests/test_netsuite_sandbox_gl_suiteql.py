"""SuiteQL over the general ledger: joins, GROUP BY with aggregates, date cut-offs, over HTTP.

One small book is posted through the record API of a served sandbox: a USD invoice, its payment
and the deposit that takes it (with a fee), a later USD invoice, and a EUR invoice. Queries a
tie-out runs against NetSuite then read it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from netsuite_helpers import Served, error_code
from stripe_netsuite_sandbox.netsuite import chart, gl

D = Decimal
TIE_OUT = (
    "SELECT a.id, a.acctnumber, SUM(tal.debit), SUM(tal.credit), SUM(tal.amount) "
    "FROM TransactionAccountingLine tal "
    "JOIN Transaction t ON t.id = tal.transaction "
    "JOIN Account a ON a.id = tal.account "
    "WHERE tal.posting = 'T' AND t.currency = {currency} AND t.trandate <= '{as_of}' "
    "GROUP BY a.id, a.acctnumber ORDER BY a.acctnumber"
)


@dataclass
class Book:
    ns: Served
    may_invoice: str
    payment: str
    deposit: str
    june_invoice: str
    euro_invoice: str


@pytest.fixture(scope="module")
def book() -> Iterator[Book]:
    ns = Served()
    try:
        customer = ns.customer("cus_usd")
        euro = ns.customer("cus_eur", currencyList={"items": [{"currency": {"id": chart.EUR}}]})
        service = {"item": {"id": chart.SERVICE_ITEM}}

        def invoice(customer: str, amount: str, date: str, **extra: object) -> str:
            lines = {"items": [{**service, "amount": D(amount)}]}
            body = {"entity": {"id": customer}, "tranDate": date, "item": lines, **extra}
            return ns.create("invoice", body)

        may = invoice(customer, "100", "2026-05-01")
        paid = ns.create(
            "customerPayment",
            {
                "customer": {"id": customer},
                "payment": D("100"),
                "tranDate": "2026-05-03",
                "apply": {"items": [{"doc": {"id": may}, "apply": True}]},
            },
        )
        deposit = ns.create(
            "deposit",
            {
                "account": {"id": chart.BANK_ACCOUNTS["usd"]},
                "tranDate": "2026-05-06",
                "payment": {"items": [{"id": int(paid)}]},
                "cashback": {"items": [{"account": {"id": chart.STRIPE_FEES}, "amount": D(3)}]},
            },
        )
        june = invoice(customer, "50", "2026-06-10")
        eur = {"id": chart.EUR}
        euro_inv = invoice(euro, "80", "2026-05-05", currency=eur, exchangeRate=D("1.1"))
        yield Book(ns, may, paid, deposit, june, euro_inv)
        assert gl.unbalanced(ns.account) == []
    finally:
        ns.close()


def test_the_tie_out_query_sums_each_account(book: Book) -> None:
    rows = book.ns.rows(TIE_OUT.format(currency=chart.USD, as_of="2026-05-31"))
    # Unaliased aggregates come back as expr1..3; a sum over nulls only is null, left out.
    assert rows == [
        {"id": "1", "acctnumber": "1001", "expr1": "97.00", "expr3": "97.00"},
        {"id": "7", "acctnumber": "1100", "expr1": "100.00", "expr2": "100.00", "expr3": "0.00"},
        {"id": "6", "acctnumber": "1200", "expr1": "100.00", "expr2": "100.00", "expr3": "0.00"},
        {"id": "8", "acctnumber": "4000", "expr2": "100.00", "expr3": "-100.00"},
        {"id": "9", "acctnumber": "6100", "expr1": "3.00", "expr3": "3.00"},
    ]
    by_account = {r["id"]: D(r["expr3"]) for r in rows}
    assert by_account == gl.balances(book.ns.account, currency=chart.USD, as_of="2026-05-31")


def test_the_date_cut_off_and_the_currency_filter(book: Book) -> None:
    june = book.ns.rows(TIE_OUT.format(currency=chart.USD, as_of="2026-06-30"))
    assert {r["acctnumber"]: r["expr3"] for r in june}["4000"] == "-150.00"
    euro = book.ns.rows(
        "SELECT a.acctnumber, SUM(tal.amount) AS base, SUM(tal.foreignamount) AS foreign_ "
        "FROM transactionaccountingline tal INNER JOIN transaction t ON t.id = tal.transaction "
        "INNER JOIN account a ON (a.id = tal.account) "
        "WHERE t.currency = ? AND t.trandate <= TO_DATE('2026-05-31', 'YYYY-MM-DD') "
        "GROUP BY a.acctnumber ORDER BY base DESC",
        [chart.EUR],
    )
    assert euro == [
        {"acctnumber": "1100", "base": "88.00", "foreign_": "80.00"},
        {"acctnumber": "4000", "base": "-88.00", "foreign_": "-80.00"},
    ]
    before = book.ns.rows(
        "SELECT COUNT(*) AS n FROM transactionaccountingline tal "
        "JOIN transaction t ON t.id = tal.transaction WHERE t.trandate < '5/3/2026'"
    )
    assert before == [{"n": "2"}]  # the May invoice's two lines


def test_account_columns_and_display_names(book: Book) -> None:
    rows = book.ns.rows(
        "SELECT DISTINCT a.accountsearchdisplayname AS name, a.accttype, "
        "BUILTIN.DF(tal.account) AS shown, tal.accounttype FROM transactionaccountingline tal "
        "JOIN account a ON a.id = tal.account WHERE tal.transaction = ? ORDER BY name",
        [book.deposit],
    )
    assert rows == [
        {"name": "1001 Stripe USD Bank", "accttype": "Bank", "shown": "1001 Stripe USD Bank",
         "accounttype": "Bank"},
        {"name": "1200 Undeposited Funds", "accttype": "OthCurrAsset",
         "shown": "1200 Undeposited Funds", "accounttype": "OthCurrAsset"},
        {"name": "6100 Stripe Fees", "accttype": "Expense", "shown": "6100 Stripe Fees",
         "accounttype": "Expense"},
    ]  # fmt: skip


def test_every_gl_line_joins_its_transaction_line(book: Book) -> None:
    every = book.ns.rows("SELECT COUNT(*) AS n FROM transactionaccountingline")
    joined = book.ns.rows(
        "SELECT COUNT(*) AS n, SUM(CASE WHEN tl.mainline = 'T' THEN 1 ELSE 0 END) AS main "
        "FROM transactionaccountingline tal JOIN transactionline tl "
        "ON tl.transaction = tal.transaction AND tl.id = tal.transactionline"
    )
    assert every == [{"n": "11"}]  # three invoices and a payment of two lines, a deposit of three
    assert joined == [{"n": "11", "main": "5"}]


def test_left_join_keeps_accounts_without_lines(book: Book) -> None:
    rows = book.ns.rows(
        "SELECT a.acctnumber, COUNT(tal.transaction) AS n, NVL(SUM(tal.amount), 0) AS net "
        "FROM account a LEFT OUTER JOIN transactionaccountingline tal ON tal.account = a.id "
        "WHERE a.acctnumber IN ('1100', '7100') GROUP BY a.acctnumber ORDER BY 1"
    )
    assert rows == [
        {"acctnumber": "1100", "n": "4", "net": "138.00"},
        {"acctnumber": "7100", "n": "0", "net": "0"},
    ]


def test_comma_join_having_and_ordering_by_an_aggregate(book: Book) -> None:
    rows = book.ns.rows(
        "SELECT t.type, COUNT(DISTINCT t.id) AS docs, MAX(t.trandate) AS latest, "
        "SUM(tal.debit) - SUM(tal.credit) AS net "
        "FROM transaction t, transactionaccountingline tal "
        "WHERE t.id = tal.transaction GROUP BY t.type HAVING COUNT(*) >= 2 "
        "ORDER BY COUNT(*) DESC, t.type"
    )
    assert rows == [
        {"type": "CustInvc", "docs": "3", "latest": "6/10/2026", "net": "0.00"},
        {"type": "Deposit", "docs": "1", "latest": "5/6/2026", "net": "0.00"},
        {"type": "CustPymt", "docs": "1", "latest": "5/3/2026", "net": "0.00"},
    ]


def test_expressions_in_where_and_select(book: Book) -> None:
    rows = book.ns.rows(
        "SELECT tal.transaction, ABS(tal.amount) * 2 AS doubled, "
        "CASE WHEN tal.amount > 0 THEN 'Dr' ELSE 'Cr' END AS side, "
        "NVL(tal.debit, 0) - NVL(tal.credit, 0) AS net, ROUND(tal.amount / 3, 2) "
        "FROM transactionaccountingline tal "
        "WHERE tal.transaction BETWEEN ? AND ? AND tal.debit NOT IN (100, 97) "
        "ORDER BY tal.transaction",
        [book.payment, book.deposit],
    )
    # NOT IN leaves out the null debits (credit lines) as SQL does.
    assert rows == [
        {"transaction": book.deposit, "doubled": "6.00", "side": "Dr", "net": "3.00",
         "expr1": "1.00"},
    ]  # fmt: skip


def test_the_transaction_table_has_the_header_columns(book: Book) -> None:
    rows = book.ns.rows(
        "SELECT id, tranid, type, currency, exchangerate, posting, TO_CHAR(trandate, "
        "'YYYY-MM-DD') AS day FROM transaction WHERE id = ?",
        [book.euro_invoice],
    )
    assert rows == [
        {
            "id": book.euro_invoice,
            "tranid": f"INV{book.euro_invoice}",
            "type": "CustInvc",
            "currency": chart.EUR,
            "exchangerate": "1.1",
            "posting": "T",
            "day": "2026-05-05",
        }
    ]


@pytest.mark.parametrize(
    ("q", "detail"),
    [
        ("SELECT id FROM transaction t JOIN account a ON a.id = t.id", "ambiguously"),
        ("SELECT account, amount FROM transactionaccountingline GROUP BY account", "GROUP BY"),
        ("SELECT * FROM transactionaccountingline GROUP BY account", "GROUP BY"),
        ("SELECT account FROM transactionaccountingline WHERE SUM(amount) > 0", "not allowed"),
        ("SELECT x.account FROM transactionaccountingline tal", "alias 'x'"),
        ("SELECT amount / 0 FROM transactionaccountingline", "zero"),
        ("SELECT tal.id FROM transactionaccountingline tal", "Field 'id'"),
        ("SELECT a.id FROM account a JOIN account a ON a.id = a.id", "used twice"),
    ],
)
def test_queries_that_cannot_run_are_refused(book: Book, q: str, detail: str) -> None:
    response = book.ns.query(q)
    assert response.status_code == 400, response.text
    assert error_code(response) == "INVALID_PARAMETER"
    assert detail in response.json()["o:errorDetails"][0]["detail"]
