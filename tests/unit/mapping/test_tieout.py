"""The tie-out's arithmetic: Stripe's figures, the GL's, and the table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from stripe_netsuite.mapping.tieout import (
    Accounts,
    Figure,
    GLRow,
    Line,
    TieOut,
    netsuite_figures,
    render,
    stripe_figures,
    tie_out,
)

AR, TAX, SALES, DISCOUNTS, CREDIT, UF, CLEARING, FEES = "7", "13", "8", "12", "23", "6", "18", "9"
ACCOUNTS = Accounts(
    receivables=frozenset({AR}),
    tax=frozenset({TAX}),
    customer_credit=frozenset({CREDIT}),
    in_transit=frozenset({UF, CLEARING}),
)
TYPES = {AR: "AcctRec", TAX: "OthCurrLiab", SALES: "Income", DISCOUNTS: "Income",
         CREDIT: "Income", UF: "OthCurrAsset", CLEARING: "Bank", FEES: "Expense"}  # fmt: skip


def invoice(iid: str, total: int, *, status: str = "paid", remaining: int = 0, tax: int = 0,
            currency: str = "usd") -> dict[str, Any]:  # fmt: skip
    taxes = [{"amount": tax, "tax_behavior": "exclusive"}] if tax else []
    return {"id": iid, "object": "invoice", "status": status, "currency": currency,
            "total": total, "amount_remaining": remaining, "total_taxes": taxes}  # fmt: skip


def credit_note(
    cid: str, total: int, *, tax: int = 0, refunds: tuple[str, ...] = ()
) -> dict[str, Any]:
    taxes = [{"amount": tax, "tax_behavior": "exclusive"}] if tax else []
    return {"id": cid, "object": "credit_note", "status": "issued", "currency": "usd",
            "total": total, "total_taxes": taxes,
            "refunds": [{"refund": r, "amount_refunded": 0} for r in refunds]}  # fmt: skip


def customer(cid: str, balance: int) -> dict[str, Any]:
    return {"id": cid, "object": "customer", "currency": "usd", "balance": balance}


def charge(cid: str, amount: int, *, intent: str | None = None) -> dict[str, Any]:
    return {"id": cid, "object": "charge", "status": "succeeded", "currency": "usd",
            "amount": amount, "amount_captured": amount, "payment_intent": intent}  # fmt: skip


def bt(bid: str, amount: int, category: str = "charge", fee: int = 0) -> dict[str, Any]:
    return {"id": bid, "object": "balance_transaction", "currency": "usd", "amount": amount,
            "fee": fee, "net": amount - fee, "reporting_category": category,
            "type": category}  # fmt: skip


def gl(*rows: tuple[str, str]) -> list[GLRow]:
    return [GLRow(a, TYPES[a], "USD", Decimal(v)) for a, v in rows]


def usd(figures: dict[tuple[str, Line], Figure]) -> dict[Line, int]:
    return {line: f.amount for (cur, line), f in figures.items() if cur == "usd"}


# Stripe side: objects in, minor units per line out.
STRIPE_CASES = [
    pytest.param(dict(invoices=[invoice("in_1", 11000, tax=1000)]),
                 {Line.TAX: 1000, Line.NET_SALES: 10000}, id="paid invoice with tax"),
    pytest.param(dict(invoices=[invoice("in_1", 5000, status="open", remaining=3000),
                                invoice("in_2", 9999, status="draft"),
                                invoice("in_3", 9999, status="void")]),
                 {Line.RECEIVABLES: 3000, Line.NET_SALES: 5000}, id="open, draft and void"),
    pytest.param(dict(invoices=[invoice("in_1", 11000, tax=1000)],
                      credit_notes=[credit_note("cn_1", 2200, tax=200, refunds=("re_1",))],
                      refunds=[{"id": "re_1", "status": "succeeded", "currency": "usd",
                                "amount": 2200}]),
                 {Line.TAX: 800, Line.NET_SALES: 8000}, id="credit note covers its refund"),
    pytest.param(dict(refunds=[{"id": "re_2", "status": "succeeded", "currency": "usd",
                                "amount": 700}],
                      disputes=[{"id": "dp_1", "status": "lost", "currency": "usd", "amount": 300},
                                {"id": "dp_2", "status": "won", "currency": "usd",
                                 "amount": 900}]),
                 {Line.NET_SALES: -1000}, id="bare refund and lost dispute"),
    pytest.param(dict(customers=[customer("cus_1", 400), customer("cus_2", -2500),
                                 customer("cus_3", 0)]),
                 {Line.RECEIVABLES: 400, Line.CUSTOMER_CREDIT: 2500}, id="customer balances"),
    pytest.param(dict(customer_balance_transactions=[
                          {"id": "cbtxn_1", "type": "adjustment", "currency": "usd",
                           "amount": -2500},
                          {"id": "cbtxn_2", "type": "applied_to_invoice", "currency": "usd",
                           "amount": 100}]),
                 {Line.NET_SALES: -2500}, id="credit granted by hand"),
    pytest.param(dict(charges=[charge("ch_1", 1500), charge("ch_2", 3000, intent="pi_2")],
                      invoice_payments=[{"id": "inpay_1", "invoice": "in_1",
                                         "payment": {"payment_intent": "pi_2"}}]),
                 {Line.NET_SALES: 1500}, id="standalone charge only"),
    pytest.param(dict(balance_transactions=[bt("txn_1", 10000, fee=320), bt("txn_2", 5000),
                                            bt("txn_3", -9680, "payout"),
                                            bt("txn_4", -2000, "dispute", fee=1500)],
                      paid_out=["txn_1"]),
                 {Line.IN_TRANSIT: 5000 - 3500}, id="in transit: not yet paid out"),
]  # fmt: skip


@pytest.mark.parametrize(("objects", "expected"), STRIPE_CASES)
def test_stripe_figures(objects: dict[str, Any], expected: dict[Line, int]) -> None:
    assert usd(stripe_figures(**objects)) == expected


def test_sources_name_the_objects_feeding_a_line() -> None:
    found = stripe_figures(
        invoices=[invoice("in_1", 5000, status="open", remaining=5000)],
        customers=[customer("cus_1", 100)],
    )
    assert found[("usd", Line.RECEIVABLES)] == Figure(5100, ("in_1", "cus_1"))


# NetSuite side: GL rows in, natural balances per line out.
GL_CASES = [
    pytest.param(gl((AR, "30.00"), (SALES, "-100.00"), (DISCOUNTS, "5.00"), (TAX, "-8.00")),
                 {Line.RECEIVABLES: Decimal("30.00"), Line.NET_SALES: Decimal("95.00"),
                  Line.TAX: Decimal("8.00")}, id="receivables, income net of discounts, tax"),
    pytest.param(gl((CREDIT, "-25.00"), (UF, "50.00"), (CLEARING, "-15.00"), (FEES, "3.20")),
                 {Line.CUSTOMER_CREDIT: Decimal("25.00"), Line.IN_TRANSIT: Decimal("35.00")},
                 id="credit account of type income is not sales; expenses ignored"),
]  # fmt: skip


@pytest.mark.parametrize(("rows", "expected"), GL_CASES)
def test_netsuite_figures(rows: list[GLRow], expected: dict[Line, Decimal]) -> None:
    found = netsuite_figures(rows, ACCOUNTS)
    assert {line: v for (cur, line), v in found.items() if cur == "usd"} == expected


BOOKS = dict(invoices=[invoice("in_1", 11000, tax=1000),
                       invoice("in_2", 3000, status="open", remaining=3000)],
             customers=[customer("cus_1", -500)],
             balance_transactions=[bt("txn_1", 11000, fee=350)])  # fmt: skip
BOOKED = [(AR, "30.00"), (SALES, "-130.00"), (TAX, "-10.00"), (CREDIT, "-5.00"), (UF, "110.00")]


# Both sides: what ties and what differs, by how much.
TIE_CASES = [
    pytest.param(BOOKS, BOOKED, {}, id="everything ties"),
    pytest.param(BOOKS, [*BOOKED[:3], (UF, "110.00")],
                 {Line.CUSTOMER_CREDIT: Decimal("5.00")}, id="credit not booked"),
    pytest.param({**BOOKS, "credit_notes": [credit_note("cn_1", 1100, tax=100)]}, BOOKED,
                 {Line.NET_SALES: Decimal("-10.00"), Line.TAX: Decimal("-1.00")},
                 id="credit note not booked"),
    pytest.param(BOOKS, [*BOOKED, (UF, "-3.50"), (FEES, "3.50")],
                 {Line.IN_TRANSIT: Decimal("3.50")}, id="fee booked before its payout"),
]  # fmt: skip


@pytest.mark.parametrize(("books", "booked", "differences"), TIE_CASES)
def test_tie_out(books: dict[str, Any], booked: list[tuple[str, str]],
                 differences: dict[Line, Decimal]) -> None:  # fmt: skip
    result = tie_out(stripe_figures(**books), netsuite_figures(gl(*booked), ACCOUNTS))
    assert {t.line: t.difference for t in result.differing} == differences
    assert len(result.lines) == len(Line)


def test_currencies_keep_their_own_exponent() -> None:
    figures = stripe_figures(invoices=[invoice("in_1", 1200, currency="jpy", status="open",
                                               remaining=1200)])  # fmt: skip
    rows = [GLRow(AR, "AcctRec", "JPY", Decimal("1200")), GLRow(SALES, "Income", "JPY",
                                                                Decimal("-1200"))]  # fmt: skip
    result = tie_out(figures, netsuite_figures(rows, ACCOUNTS))
    ar = result.line("jpy", Line.RECEIVABLES)
    assert (ar.stripe, ar.netsuite, ar.ties) == (Decimal(1200), Decimal(1200), True)
    assert not result.differing


def test_render_lists_differences_and_their_objects() -> None:
    result = tie_out(stripe_figures(customers=[customer(f"cus_{i}", -100) for i in range(10)]), {})
    text = render(result, shown=3)
    assert "USD line" in text
    assert "customer credit           10.00      0.00       10.00\n" in text
    assert "    from Stripe: cus_0, cus_1, cus_2 and 7 more" in text
    assert text.endswith("1 of 5 lines differ: USD customer credit\n")
    assert render(TieOut(())).endswith("every line ties out\n")
