"""Stripe order / checkout session → NetSuite sales order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, account, check_golden, context, schema_problems
from stripe_builders import MAY_3

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import MappingContext
from stripe_netsuite.mapping.context import Dependency
from stripe_netsuite.mapping.order import dependencies, map_order


def legacy_order(**kw: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "or_1", "object": "order", "amount": 5350, "currency": "usd", "created": MAY_3,
        "customer": "cus_Q1", "metadata": {}, "status": "paid",
        "items": [
            {"type": "sku", "parent": "sku_tee", "amount": 5000, "quantity": 2,
             "description": "T-shirt"},
            {"type": "discount", "parent": "20OFF", "amount": -500, "description": "20OFF"},
            {"type": "tax", "parent": None, "amount": 350, "description": "Sales tax"},
            {"type": "shipping", "parent": "ship_free", "amount": 500, "description": "Ground"},
        ],
    }  # fmt: skip
    obj.update(kw)
    return obj


def session(tax: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:
    line = {"id": "li_1", "object": "item", "amount_subtotal": 4000, "amount_discount": 400,
            "amount_tax": 0, "amount_total": 3600, "currency": "usd", "description": "Hoodie",
            "quantity": 2, "price": {"id": "price_hoodie", "product": "prod_hoodie"},
            "discounts": [{"amount": 400, "discount": {"id": "di_1", "object": "discount",
                                                       "source": {"coupon": "10OFF"}}}],
            "taxes": tax or []}  # fmt: skip
    tax_total = sum(t["amount"] for t in tax or [] if not t["rate"]["inclusive"])
    obj: dict[str, Any] = {
        "id": "cs_1", "object": "checkout.session", "amount_subtotal": 4000,
        "amount_total": 3600 + tax_total + 700, "currency": "usd", "created": MAY_3,
        "customer": "cus_Q1", "metadata": {}, "mode": "payment", "payment_status": "paid",
        "line_items": {"object": "list", "data": [line], "has_more": False},
        "shipping_cost": {"amount_subtotal": 700, "amount_tax": 0, "amount_total": 700,
                          "taxes": []},
    }  # fmt: skip
    obj.update(kw)
    return obj


def ctx(**options: Any) -> MappingContext:
    ids = {"sku_tee": "710", "price_hoodie": "720"}
    return context(account(options=options), customer_id="1041", item_ids=ids,
                   discount_item_ids={"10OFF": "810"})  # fmt: skip


def amounts(body: Any) -> list[tuple[str, Decimal]]:
    return [(ln["item"]["id"], ln["amount"]) for ln in body["item"]["items"]]


def test_legacy_order() -> None:
    record = map_order(legacy_order(), ctx())
    assert record.record_type == "salesOrder"
    assert record.role == "sales_order"
    assert record.external_id == f"{ACCOUNT}:or_1"
    assert record.body["orderStatus"] == {"id": "B"}
    assert amounts(record.body) == [("710", Decimal("50.00")), ("501", Decimal("-5.00")),
                                    ("502", Decimal("3.50")), ("503", Decimal("5.00"))]  # fmt: skip
    assert record.body["item"]["items"][0]["quantity"] == 2


def test_checkout_session() -> None:
    record = map_order(session(), ctx())
    assert record.external_id == f"{ACCOUNT}:cs_1"
    assert amounts(record.body) == [("720", Decimal("40.00")), ("810", Decimal("-4.00")),
                                    ("503", Decimal("7.00"))]  # fmt: skip


@pytest.mark.parametrize("mode", ["lines", "codes"])
def test_checkout_session_exclusive_tax(mode: str) -> None:
    tax = [{"amount": 288, "rate": {"id": "txr_state", "inclusive": False}}]
    c = context(account(options={"tax": mode}), customer_id="1041",
                item_ids={"price_hoodie": "720"}, tax_code_ids={"txr_state": "91"})  # fmt: skip
    body = map_order(session(tax), c).body
    total = sum((ln["amount"] + ln.get("tax1Amt", 0) for ln in body["item"]["items"]), Decimal(0))
    assert total == Decimal("45.88")


def test_unexpanded_line_items_are_refused() -> None:
    with pytest.raises(exceptions.MappingError, match="line_items are not expanded"):
        map_order(session(line_items=None), ctx())


def test_totals_must_tie_out() -> None:
    with pytest.raises(exceptions.MappingError, match="Stripe total"):
        map_order(legacy_order(amount=5351), ctx())


def test_other_objects_are_refused() -> None:
    with pytest.raises(exceptions.MappingError, match="not a Stripe order"):
        map_order({"id": "in_1", "object": "invoice"}, ctx())


def test_dependencies() -> None:
    assert dependencies(legacy_order()) == [Dependency("customer", "cus_Q1"),
                                            Dependency("sku", "sku_tee")]  # fmt: skip
    assert dependencies(session()) == [Dependency("customer", "cus_Q1"),
                                       Dependency("price", "price_hoodie")]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "build"), [("order_legacy", legacy_order), ("order_checkout", session)]
)
def test_golden(name: str, build: Any) -> None:
    record = map_order(build(), ctx())
    assert schema_problems(record.record_type, record.body) == []
    check_golden(name, record)
