"""Prices, plans, products, SKUs and coupons → NetSuite items."""

from __future__ import annotations

from typing import Any

import pytest
from mapping_support import ACCOUNT, account, check_golden, context, schema_problems

from stripe_netsuite import exceptions
from stripe_netsuite.mapping.item import (
    coupon_terms,
    dependencies,
    item_name,
    map_coupon,
    map_price,
    map_product,
)

PRODUCT = {"id": "prod_pro", "object": "product", "name": "Pro plan",
           "description": "Everything in Pro", "metadata": {}}  # fmt: skip


def price(**overrides: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": "price_pro_m",
        "object": "price",
        "currency": "usd",
        "metadata": {},
        "nickname": None,
        "product": PRODUCT,
        "recurring": {"interval": "month", "interval_count": 1},
        "type": "recurring",
        "unit_amount": 4900,
    }
    obj.update(overrides)
    return obj


def coupon(**overrides: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": "20OFF", "object": "coupon", "name": "20% off",
                           "percent_off": 20.0, "amount_off": None, "currency": None,
                           "duration": "forever", "metadata": {}}  # fmt: skip
    obj.update(overrides)
    return obj


@pytest.mark.parametrize(
    ("overrides", "display"),
    [
        ({}, "Pro plan (monthly, USD)"),
        ({"nickname": "Pro monthly"}, "Pro plan (Pro monthly)"),
        ({"recurring": {"interval": "month", "interval_count": 3}},
         "Pro plan (every 3 months, USD)"),
        ({"recurring": None, "type": "one_time", "currency": "jpy"}, "Pro plan (JPY)"),
        ({"product": "prod_pro"}, "prod_pro (monthly, USD)"),
        ({"object": "plan", "id": "gold", "recurring": None, "interval": "year",
          "interval_count": 1}, "Pro plan (yearly, USD)"),
    ],
)  # fmt: skip
def test_price_display_name(overrides: dict[str, Any], display: str) -> None:
    record = map_price(price(**overrides), context())
    assert record.body["displayName"] == display
    assert record.body["itemId"] == record.stripe_id


@pytest.mark.parametrize(
    ("config_type", "meta", "expected"),
    [
        ("serviceSaleItem", {}, "serviceSaleItem"),
        ("nonInventorySaleItem", {}, "nonInventorySaleItem"),
        ("serviceSaleItem", {"netsuite_item_type": "serviceResaleItem"}, "serviceResaleItem"),
    ],
)
def test_price_item_type(config_type: str, meta: dict[str, str], expected: str) -> None:
    ctx = context(account(items={"price_item_type": config_type}))
    assert map_price(price(metadata=meta), ctx).record_type == expected


def test_unknown_item_type_is_refused() -> None:
    with pytest.raises(exceptions.MappingError, match="netsuite_item_type='gizmo'"):
        map_price(price(metadata={"netsuite_item_type": "gizmo"}), context())


def test_price_identity_and_accounts() -> None:
    record = map_price(price(), context())
    assert record.external_id == f"{ACCOUNT}:price_pro_m"
    assert record.role == "item"
    assert record.body["incomeAccount"] == {"id": "400"}
    assert record.body["subsidiary"] == {"items": [{"id": "1"}]}
    assert "rate" not in record.body


def test_price_field_mappings() -> None:
    acct = account(fields={"serviceSaleItem": [
        {"metadata": "netsuite_deferred_revenue_account", "field": "deferredRevenueAccount",
         "kind": "ref"}]})  # fmt: skip
    meta = {"netsuite_deferred_revenue_account": "250"}
    body = map_price(price(metadata=meta), context(acct)).body
    assert body["deferredRevenueAccount"] == {"id": "250"}


@pytest.mark.parametrize(
    ("obj", "expected_type", "display"),
    [
        (PRODUCT, "nonInventorySaleItem", "Pro plan"),
        ({**PRODUCT, "metadata": {"netsuite_item_type": "inventoryItem"}}, "inventoryItem",
         "Pro plan"),
        ({"id": "sku_1", "object": "sku", "product": PRODUCT,
          "attributes": {"size": "M", "color": "grey"}, "metadata": {}},
         "nonInventorySaleItem", "Pro plan · M, grey"),
    ],
)  # fmt: skip
def test_product(obj: dict[str, Any], expected_type: str, display: str) -> None:
    record = map_product(obj, context())
    assert record.record_type == expected_type
    assert record.body["displayName"] == display


def test_product_cannot_be_a_service_item() -> None:
    with pytest.raises(exceptions.MappingError, match="netsuite_item_type"):
        map_product({**PRODUCT, "metadata": {"netsuite_item_type": "serviceSaleItem"}}, context())


@pytest.mark.parametrize(
    ("overrides", "terms"),
    [
        ({}, "20.0% off, forever"),
        ({"percent_off": None, "amount_off": 1000, "currency": "eur", "duration": "once"},
         "10.00 EUR off, once"),
        ({"percent_off": None, "amount_off": 500, "currency": "jpy", "duration": "repeating",
          "duration_in_months": 3}, "500 JPY off, for 3 months"),
        ({"percent_off": None, "amount_off": 1230, "currency": "kwd", "duration": "once"},
         "1.230 KWD off, once"),
    ],
)  # fmt: skip
def test_coupon_terms(overrides: dict[str, Any], terms: str) -> None:
    assert coupon_terms(coupon(**overrides)) == terms


def test_coupon_item_is_named_per_account() -> None:
    a = map_coupon(coupon(), context(account(stripe_account_id="acct_A")))
    b = map_coupon(coupon(), context(account(stripe_account_id="acct_B")))
    assert a.body["itemId"] != b.body["itemId"]
    assert a.record_type == "discountItem"
    assert a.role == "discount_item"
    assert a.body["isPreTax"] is True
    assert "rate" not in a.body


def test_item_name_fits_and_stays_unique() -> None:
    a, b = item_name("x" * 70 + "a"), item_name("x" * 70 + "b")
    assert len(a) == 60 and len(b) == 60 and a != b
    assert item_name("short") == "short"


@pytest.mark.parametrize(
    ("func", "obj"),
    [(map_price, {"id": "x", "object": "coupon"}), (map_product, {"id": "x", "object": "price"}),
     (map_coupon, {"id": "x", "object": "price"}), (map_price, {"object": "price"})],
)  # fmt: skip
def test_wrong_objects_are_refused(func: Any, obj: dict[str, Any]) -> None:
    with pytest.raises(exceptions.MappingError):
        func(obj, context())


def test_items_have_no_dependencies() -> None:
    assert dependencies(price()) == []


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("item_price", lambda: map_price(price(), context())),
        ("item_product", lambda: map_product(PRODUCT, context())),
        ("item_coupon", lambda: map_coupon(coupon(), context())),
    ],
)
def test_golden(name: str, build: Any) -> None:
    record = build()
    assert schema_problems(record.record_type, record.body) == []
    check_golden(name, record)
