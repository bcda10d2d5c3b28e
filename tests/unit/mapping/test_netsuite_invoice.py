"""NetSuite invoice / customer → Stripe parameters: lines, discounts, tax, due dates, caps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import netsuite_customer, netsuite_invoice
from stripe_netsuite.settings import FromNetSuite

TODAY = date(2026, 10, 5)


def ns_invoice(*amounts: str, **extra: Any) -> dict[str, Any]:
    lines = [
        {"item": {"id": "20", "refName": "Service"}, "amount": Decimal(a), "quantity": 1,
         "rate": Decimal(a), "line": n}
        for n, a in enumerate(amounts, start=1)
    ]  # fmt: skip
    total = sum((Decimal(a) for a in amounts), Decimal(0)) + extra.get("taxTotal", Decimal(0))
    return {"id": "1042", "tranId": "INV1042", "total": total, "item": {"items": lines}, **extra}


def test_each_line_is_an_item_and_a_discount_line_a_negative_one() -> None:
    plan = netsuite_invoice.map_invoice(
        ns_invoice("100.00", "-15.50"), currency="USD", rules=FromNetSuite(), today=TODAY
    )
    assert [(i["amount"], i["discountable"]) for i in plan.items] == [(10000, True), (-1550, False)]
    assert plan.total == 8450
    assert plan.invoice["currency"] == "usd"
    assert plan.invoice["metadata"] == {
        "netsuite_invoice_id": "1042", "netsuite_invoice_number": "INV1042",
        "sns_origin": "netsuite",
    }  # fmt: skip
    assert plan.invoice["collection_method"] == "send_invoice"
    assert plan.invoice["days_until_due"] == 30


@pytest.mark.parametrize(
    ("currency", "amount", "minor"),
    [("jpy", "1200", 1200), ("kwd", "1.234", 1234), ("eur", "9.99", 999)],
)
def test_amounts_are_minor_units_of_the_currency(currency: str, amount: str, minor: int) -> None:
    plan = netsuite_invoice.map_invoice(
        ns_invoice(amount), currency=currency, rules=FromNetSuite(), today=TODAY
    )
    assert plan.items[0]["amount"] == minor == plan.total


def test_tax_is_a_line_and_the_total_must_add_up() -> None:
    plan = netsuite_invoice.map_invoice(
        ns_invoice("200.00", taxTotal=Decimal("17.50")), currency="usd", rules=FromNetSuite(),
        today=TODAY,
    )  # fmt: skip
    assert plan.items[-1] == {"amount": 1750, "description": "Tax"}
    broken = ns_invoice("200.00")
    broken["total"] = Decimal("201.00")
    with pytest.raises(exceptions.MappingError, match="do not add up"):
        netsuite_invoice.map_invoice(broken, currency="usd", rules=FromNetSuite(), today=TODAY)


def test_a_due_date_is_kept_and_a_past_one_is_due_today() -> None:
    rules = FromNetSuite()
    later = netsuite_invoice.map_invoice(
        ns_invoice("1.00", dueDate="2026-11-04"), currency="usd", rules=rules, today=TODAY
    )
    assert later.invoice["due_date"] == int(
        datetime(2026, 11, 4, 23, 59, 59, tzinfo=UTC).timestamp()
    )
    past = netsuite_invoice.map_invoice(
        ns_invoice("1.00", dueDate="2026-09-01"), currency="usd", rules=rules, today=TODAY
    )
    assert past.invoice["due_date"] == int(
        datetime(2026, 10, 5, 23, 59, 59, tzinfo=UTC).timestamp()
    )
    automatic = netsuite_invoice.map_invoice(
        ns_invoice("1.00", dueDate="2026-11-04"), currency="usd",
        rules=FromNetSuite(collection_method="charge_automatically"), today=TODAY,
    )  # fmt: skip
    assert "due_date" not in automatic.invoice and "days_until_due" not in automatic.invoice


def test_more_than_250_lines_are_consolidated_with_their_detail() -> None:
    plan = netsuite_invoice.map_invoice(
        ns_invoice(*["1.00"] * 300), currency="usd", rules=FromNetSuite(), today=TODAY
    )
    assert len(plan.items) == netsuite_invoice.MAX_LINES
    assert sum(i["amount"] for i in plan.items) == 30000 == plan.total
    last = plan.items[-1]
    assert last["amount"] == 5100
    assert last["description"].startswith("51 more lines: Service; Service")
    assert len(last["description"]) <= netsuite_invoice.MAX_DESCRIPTION


@pytest.mark.parametrize(
    ("record", "state"),
    [
        ({"total": Decimal("5"), "amountRemaining": Decimal("5"), "status": {"id": "A"}}, "open"),
        ({"total": Decimal("5"), "amountRemaining": Decimal("0"), "status": {"id": "B"}}, "paid"),
        ({"total": Decimal("0"), "amountRemaining": Decimal("0"), "status": {"id": "V"}}, "void"),
        ({"total": Decimal("0"), "voided": True}, "void"),
    ],
)
def test_status_as_stripe_names_it(record: dict[str, Any], state: str) -> None:
    assert netsuite_invoice.status(record) == state


def test_an_invoice_without_lines_or_with_too_fine_amounts_is_refused() -> None:
    with pytest.raises(exceptions.MappingError, match="no lines"):
        netsuite_invoice.map_invoice(
            {"id": "7", "total": Decimal(0)}, currency="usd", rules=FromNetSuite(), today=TODAY
        )
    with pytest.raises(exceptions.MappingError, match="more decimals"):
        netsuite_invoice.map_invoice(
            ns_invoice("1.5"), currency="jpy", rules=FromNetSuite(), today=TODAY
        )


def test_customer_params_and_what_an_update_changes() -> None:
    record = {"id": "88", "companyName": "Harbor", "email": "ap@harbor.example"}
    params = netsuite_customer.map_customer(record)
    assert params == {
        "name": "Harbor", "email": "ap@harbor.example",
        "metadata": {"netsuite_customer_id": "88", "sns_origin": "netsuite"},
    }  # fmt: skip
    person = netsuite_customer.map_customer({"id": "9", "firstName": "Ada", "lastName": "Byron"})
    assert person["name"] == "Ada Byron"
    assert netsuite_customer.update_params(record, params) == {}
    moved = {**record, "email": "new@harbor.example"}
    assert netsuite_customer.update_params(moved, params) == {"email": "new@harbor.example"}
