"""The text rendering used by the preview command."""

from __future__ import annotations

from typing import Any

from mapping_support import account, context
from stripe_builders import charge, discount, invoice, line

from stripe_netsuite.mapping.customer import map_customer
from stripe_netsuite.mapping.invoice import map_invoice
from stripe_netsuite.mapping.payment import map_payment
from stripe_netsuite.mapping.preview import render
from stripe_netsuite.mapping.records import NetSuiteRecord


def test_nothing_to_post() -> None:
    assert render([]) == "Nothing to post.\n"


def test_invoice_lines_amounts_and_total() -> None:
    ctx = context(account(), customer_id="1041", item_ids={"price_pro": "700"},
                  discount_item_ids={"20OFF": "800"})  # fmt: skip
    inv = invoice([line(14700, quantity=3, discounts=[("di_1", 1000)])], discounts=[discount()])
    text = render([map_invoice(inv, ctx)])
    assert text.startswith("invoice acct_1Test:in_1  (invoice for in_1)\n")
    assert "  entity: #1041\n" in text
    assert "  item (2 lines):\n" in text
    rows = text.splitlines()
    header = next(r for r in rows if r.startswith("    item "))
    assert header.split() == ["item", "quantity", "rate", "amount", "description",
                              "revRecStartDate", "revRecEndDate"]  # fmt: skip
    assert any(r.split()[:4] == ["#700", "3", "49.00", "147.00"] for r in rows)
    assert any(r.split()[:3] == ["#800", "1", "-10.00"] for r in rows)
    assert "    total 137.00" in rows


def test_several_records_and_values() -> None:
    ctx = context(account(), customer_id="1041", invoice_id="5031")
    customer: dict[str, Any] = {"id": "cus_Q1", "object": "customer", "name": "Acme", "email": None,
                "metadata": {}}  # fmt: skip
    text = render([map_customer(customer, ctx), map_payment(charge(4900), ctx)])
    assert "customer acct_1Test:cus_Q1  (customer for cus_Q1)" in text
    assert "  isPerson: no\n" in text
    assert "  undepFunds: yes\n" in text
    assert "  apply (1 line):\n" in text
    assert "    total 49.00" in text


def test_journal_lines_show_debits_and_credits() -> None:
    from decimal import Decimal

    body = {"memo": "x", "line": {"items": [
        {"account": {"id": "1"}, "debit": Decimal("2.50")},
        {"account": {"id": "2"}, "credit": Decimal("2.50")}]}}  # fmt: skip
    text = render([NetSuiteRecord("journalEntry", "e", body, "dp_1", "dispute_fee")])
    assert "    debits 2.50  credits 2.50" in text


def test_multi_select_is_a_value_not_a_table() -> None:
    body = {"subsidiary": {"items": [{"id": "1"}, {"id": "2"}]}}
    text = render([NetSuiteRecord("serviceSaleItem", "e", body, "price_1", "item")])
    assert "  subsidiary: #1, #2\n" in text
