"""Stripe invoice → NetSuite invoice (+ balance credit memo)."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from typing import Any

import pytest
from mapping_support import ACCOUNT, account, check_golden, context, schema_problems
from stripe_builders import JUNE_1, MAY_1, discount, invoice, line

from stripe_netsuite import exceptions, money
from stripe_netsuite.mapping import MappingContext
from stripe_netsuite.mapping.context import Dependency
from stripe_netsuite.mapping.invoice import (
    balance_applied,
    dependencies,
    map_balance_credit,
    map_invoice,
)

IDS: dict[str, Any] = {
    "customer_id": "1041",
    "item_ids": {"price_pro": "700", "price_seat": "701", "prod_addon": "702"},
    "discount_item_ids": {"20OFF": "800", "5OFF": "801"},
    "tax_code_ids": {"txr_vat": "90", "txr_state": "91", "txr_city": "92",
                     "txr_city+txr_state": "93"},
    "customer_balance_item_id": "850",
}  # fmt: skip


def ctx(**options: Any) -> MappingContext:
    extra = {k: v for k, v in options.items() if k in ("items",)}
    opts = {k: v for k, v in options.items() if k not in ("items",)}
    return context(account(options=opts, **extra), **IDS)


def items(record_body: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = record_body["item"]["items"]
    return result


def line_sum(record_body: Any) -> Decimal:
    return sum((ln["amount"] + ln.get("tax1Amt", 0) for ln in items(record_body)), Decimal(0))


def test_header() -> None:
    record = map_invoice(invoice(), ctx())
    body = record.body
    assert record.record_type == "invoice"
    assert record.role == "invoice"
    assert record.external_id == f"{ACCOUNT}:in_1"
    assert body["externalId"] == record.external_id
    assert body["entity"] == {"id": "1041"}
    assert body["tranDate"] == "2026-05-01"
    assert body["dueDate"] == "2026-05-31"
    assert body["currency"] == {"id": "1"}
    assert body["subsidiary"] == {"id": "1"}
    assert body["account"] == {"id": "121"}
    assert body["otherRefNum"] == "INV-0001"
    assert body["memo"] == "Stripe in_1"
    assert record.replace == ("item",)


def test_item_line_quantity_rate_and_revrec_dates() -> None:
    inv = invoice([line(14700, quantity=3)])
    (only,) = items(map_invoice(inv, ctx()).body)
    assert only["item"] == {"id": "700"}
    assert (only["quantity"], only["rate"], only["amount"]) == (3, Decimal("49"), Decimal("147.00"))
    assert (only["revRecStartDate"], only["revRecEndDate"]) == ("2026-05-01", "2026-05-31")


def test_rate_that_does_not_divide_keeps_amount_exact() -> None:
    (only,) = items(map_invoice(invoice([line(1000, quantity=3)]), ctx()).body)
    assert (only["quantity"], only["rate"], only["amount"]) == (1, Decimal("10.00"),
                                                                Decimal("10.00"))  # fmt: skip
    assert only["description"].endswith("(quantity 3)")


@pytest.mark.parametrize(
    ("stripe_line", "item_id"),
    [
        (line(100, price="price_seat"), "701"),
        (line(100, price="price_unknown", product="prod_addon"), "702"),
        (line(100, price="price_unknown", product="prod_unknown"), "500"),
        (line(100, price=None), "500"),
        (line(100, metadata={"netsuite_service_sale_item_id": "42"}), "42"),
    ],
)
def test_line_item_resolution(stripe_line: dict[str, Any], item_id: str) -> None:
    (only,) = items(map_invoice(invoice([stripe_line]), ctx()).body)
    assert only["item"] == {"id": item_id}


def test_missing_item_without_generic_item_names_the_gap() -> None:
    c = context(account(items={"service_sale_item": None}), **IDS)
    with pytest.raises(exceptions.MappingError, match="no NetSuite item for line il_1"):
        map_invoice(invoice([line(100, price="price_unknown")]), c)


@pytest.mark.parametrize("clover", [True, False])
def test_discount_line_follows_its_line(clover: bool) -> None:
    inv = invoice([line(5000, discounts=[("di_1", 1000)])], discounts=[discount(clover=clover)])
    first, disc = items(map_invoice(inv, ctx()).body)
    assert disc["item"] == {"id": "800"}
    assert disc["amount"] == Decimal("-10.00")
    assert disc["revRecStartDate"] == first["revRecStartDate"]


def test_discount_lines_per_coupon_and_line() -> None:
    inv = invoice(
        [line(5000, discounts=[("di_1", 1000), ("di_2", 500)]),
         line(3000, line_id="il_2", price="price_seat", discounts=[("di_1", 600)])],
        discounts=[discount("di_1", "20OFF"), discount("di_2", "5OFF")],
    )  # fmt: skip
    body = map_invoice(inv, ctx()).body
    got = [(ln["item"]["id"], ln["amount"]) for ln in items(body)]
    assert got == [("700", Decimal("50.00")), ("800", Decimal("-10.00")),
                   ("801", Decimal("-5.00")), ("701", Decimal("30.00")),
                   ("800", Decimal("-6.00"))]  # fmt: skip
    assert line_sum(body) == Decimal("59.00")


def test_invoice_level_discounts_when_lines_carry_none() -> None:
    inv = invoice([line(5000)], total_discount_amounts=[{"amount": 700, "discount": "di_1"}],
                  total=4300, discounts=[discount()])  # fmt: skip
    body = map_invoice(inv, ctx()).body
    assert [ln["amount"] for ln in items(body)] == [Decimal("50.00"), Decimal("-7.00")]


def test_unknown_coupon_falls_back_to_generic_discount_item() -> None:
    inv = invoice([line(5000, discounts=[("di_9", 100)])], discounts=["di_9"])
    assert items(map_invoice(inv, ctx()).body)[1]["item"] == {"id": "501"}


@pytest.mark.parametrize("tax_mode", ["lines", "codes", "none"])
def test_inclusive_tax(tax_mode: str) -> None:
    inv = invoice([line(1200, taxes=[(200, True, "txr_vat")])])
    body = map_invoice(inv, ctx(tax=tax_mode)).body
    assert line_sum(body) == Decimal("12.00")
    first = items(body)[0]
    if tax_mode == "codes":
        assert (first["amount"], first["tax1Amt"], first["taxCode"]) == (
            Decimal("10.00"),
            Decimal("2.00"),
            {"id": "90"},
        )
    elif tax_mode == "lines":
        # The net to income, the tax inside the price to the tax item.
        assert [(ln["item"]["id"], ln["amount"]) for ln in items(body)] == [
            ("700", Decimal("10.00")),
            ("502", Decimal("2.00")),
        ]
    else:
        assert first["amount"] == Decimal("12.00")
        assert len(items(body)) == 1


def test_exclusive_tax_as_lines() -> None:
    inv = invoice([line(1000, taxes=[(80, False, "txr_state"), (20, False, "txr_city")])])
    body = map_invoice(inv, ctx(tax="lines")).body
    assert [(ln["item"]["id"], ln["amount"]) for ln in items(body)] == [
        ("700", Decimal("10.00")),
        ("502", Decimal("0.80")),
        ("502", Decimal("0.20")),
    ]
    assert line_sum(body) == Decimal("11.00")


def test_exclusive_tax_as_codes_uses_a_group_for_combined_rates() -> None:
    inv = invoice([line(1000, taxes=[(80, False, "txr_state"), (20, False, "txr_city")])])
    (only,) = items(map_invoice(inv, ctx(tax="codes")).body)
    assert only["taxCode"] == {"id": "93"}
    assert only["tax1Amt"] == Decimal("1.00")


def test_tax_code_missing_is_named() -> None:
    inv = invoice([line(1000, taxes=[(80, False, "txr_unknown")])])
    with pytest.raises(exceptions.MappingError, match="txr_unknown"):
        map_invoice(inv, ctx(tax="codes"))


def test_exclusive_tax_refused_when_tax_is_none() -> None:
    inv = invoice([line(1000, taxes=[(80, False, "txr_state")])])
    with pytest.raises(exceptions.MappingError, match=r"options\.tax is 'none'"):
        map_invoice(inv, ctx(tax="none"))


def test_shipping_line() -> None:
    inv = invoice([line(1000)], shipping=500)
    body = map_invoice(inv, ctx()).body
    assert items(body)[-1]["item"] == {"id": "503"}
    assert line_sum(body) == Decimal("15.00")


def test_proration_lines_keep_sign_and_periods() -> None:
    inv = invoice([
        line(-2500, line_id="il_a", description="Unused time on Pro", proration=True,
             period=(MAY_1 + 15 * 86400, JUNE_1)),
        line(5000, line_id="il_b", price="price_seat", description="Remaining time on Team",
             proration=True, period=(MAY_1 + 15 * 86400, JUNE_1)),
    ])  # fmt: skip
    body = map_invoice(inv, ctx()).body
    first = items(body)[0]
    assert first["amount"] == Decimal("-25.00")
    assert first["revRecStartDate"] == "2026-05-16"
    assert line_sum(body) == Decimal("25.00")


def test_zero_amount_trial_invoice_maps_to_zero_lines() -> None:
    body = map_invoice(invoice([line(0, quantity=1)]), ctx()).body
    assert items(body)[0]["amount"] == Decimal("0.00")


def test_lines_not_adding_up_are_refused() -> None:
    with pytest.raises(exceptions.MappingError, match=r"add up to 10\.00 but the Stripe total"):
        map_invoice(invoice([line(1000)], total=1001), ctx())


def test_paginated_lines_are_refused() -> None:
    inv = invoice()
    inv["lines"]["has_more"] = True
    with pytest.raises(exceptions.MappingError, match="not all listed"):
        map_invoice(inv, ctx())


def test_customer_must_be_resolved() -> None:
    with pytest.raises(exceptions.MappingError, match="customer is not known"):
        map_invoice(invoice(), context())


def test_currency_must_be_resolved() -> None:
    with pytest.raises(exceptions.MappingError, match="no NetSuite currency is known for CHF"):
        map_invoice(invoice([line(1000, currency="chf")], currency="chf"), ctx())


def test_body_and_line_field_mappings() -> None:
    acct = account(fields={"invoice": [
        {"metadata": "dept", "field": "department", "kind": "ref"},
        {"metadata": "project", "field": "custcol_project", "level": "line"}]})  # fmt: skip
    inv = invoice([line(1000, metadata={"project": "P-2"}), line(500, line_id="il_2")],
                  metadata={"dept": "7", "project": "P-1"})  # fmt: skip
    body = map_invoice(inv, context(acct, **IDS)).body
    assert body["department"] == {"id": "7"}
    assert [ln["custcol_project"] for ln in items(body)] == ["P-2", "P-1"]


def test_dependencies() -> None:
    inv = invoice([line(100, discounts=[("di_1", 10)]), line(100, line_id="il_2", price=None)],
                  discounts=[discount()])  # fmt: skip
    assert dependencies(inv) == [
        Dependency("customer", "cus_Q1"), Dependency("price", "price_pro"),
        Dependency("coupon", "20OFF")]  # fmt: skip


@pytest.mark.parametrize(
    ("starting", "total", "used"),
    [(0, 1000, 0), (-300, 1000, 300), (-3000, 1000, 1000), (500, 1000, 0)],
)
def test_balance_applied(starting: int, total: int, used: int) -> None:
    assert balance_applied(invoice([line(total)], starting_balance=starting)) == used


def test_balance_credit_memo_applies_to_the_invoice() -> None:
    inv = invoice([line(1000)], starting_balance=-300)
    c = context(account(), invoice_id="5031", **IDS)
    memo = map_balance_credit(inv, c)
    assert memo is not None
    assert memo.record_type == "creditMemo"
    assert memo.role == "balance_credit"
    assert memo.external_id == f"{ACCOUNT}:bal:in_1"
    assert memo.body["item"]["items"][0]["item"] == {"id": "850"}
    assert memo.body["item"]["items"][0]["amount"] == Decimal("3.00")
    assert memo.body["apply"]["items"] == [{"doc": {"id": "5031"}, "apply": True,
                                           "amount": Decimal("3.00")}]  # fmt: skip


def test_balance_credit_needs_the_invoice_first() -> None:
    with pytest.raises(exceptions.MappingError, match="post the invoice before"):
        map_balance_credit(invoice([line(1000)], starting_balance=-300), ctx())


def test_no_balance_no_credit_memo() -> None:
    assert map_balance_credit(invoice(), ctx()) is None


CURRENCIES = ["usd", "jpy", "kwd", "isk", "huf", "twd", "ugx"]
SCENARIOS = list(itertools.product(CURRENCIES, ["lines", "codes"], [0, 1, 2, 3]))


def scenario(currency: str, variant: int) -> dict[str, Any]:
    """A varied, internally consistent invoice in *currency*."""
    unit = 10 ** money.exponent(currency)
    step = 10 if currency in money.THREE_DECIMAL else 1
    whole = 100 if currency in money.WHOLE_UNIT_SPECIAL else step
    a = 4999 * whole * (variant + 1)
    lines = [
        line(a, quantity=variant + 1, currency=currency,
             discounts=[("di_1", 7 * whole)] if variant % 2 else None,
             taxes=[(13 * whole, variant == 3, "txr_vat")] if variant else None),
        line(-(unit * 3), line_id="il_2", price="price_seat", proration=True, currency=currency),
        line(2 * whole * 333, line_id="il_3", quantity=7, currency=currency,
             discounts=[("di_2", whole * 11)] if variant >= 2 else None),
    ]  # fmt: skip
    return invoice(lines, currency=currency, shipping=variant * whole * 50,
                   discounts=[discount("di_1", "20OFF"), discount("di_2", "5OFF")])  # fmt: skip


@pytest.mark.parametrize(("currency", "tax_mode", "variant"), SCENARIOS)
def test_lines_always_add_up_to_the_stripe_total(
    currency: str, tax_mode: str, variant: int
) -> None:
    inv = scenario(currency, variant)
    body = map_invoice(inv, ctx(tax=tax_mode)).body
    assert line_sum(body) == money.to_decimal(inv["total"], currency)
    for ln in items(body):
        assert ln["amount"].as_tuple().exponent >= -money.exponent(currency)


@pytest.mark.parametrize(
    ("name", "inv", "options"),
    [
        ("invoice_discounts_tax_lines", scenario("usd", 3), {"tax": "lines"}),
        ("invoice_tax_codes_eur", invoice(
            [line(2000, currency="eur", taxes=[(380, True, "txr_vat")])], currency="eur"),
         {"tax": "codes"}),
        ("invoice_jpy_shipping", invoice([line(5000, currency="jpy", quantity=2)],
                                          currency="jpy", shipping=800), {}),
        ("invoice_kwd", scenario("kwd", 1), {}),
    ],
)  # fmt: skip
def test_golden(name: str, inv: dict[str, Any], options: dict[str, Any]) -> None:
    record = map_invoice(inv, ctx(**options))
    assert schema_problems(record.record_type, record.body) == []
    check_golden(name, record)


def test_golden_balance_credit() -> None:
    inv = invoice([line(1000)], starting_balance=-300)
    memo = map_balance_credit(inv, context(account(), invoice_id="5031", **IDS))
    assert memo is not None
    assert schema_problems(memo.record_type, memo.body) == []
    check_golden("invoice_balance_credit", memo)


@pytest.mark.parametrize(
    ("amount", "quantity", "expected"),
    [
        (0, 0, (0, Decimal("0.00"), Decimal("0.00"))),
        (500, 0, (1, Decimal("5.00"), Decimal("5.00"))),
        (100, 1000, (1000, Decimal("0.001"), Decimal("1.00"))),
        (-2500, 1, (1, Decimal("-25.00"), Decimal("-25.00"))),
    ],
)
def test_quantity_and_rate_edge_cases(
    amount: int, quantity: int, expected: tuple[int, Decimal, Decimal]
) -> None:
    (only,) = items(map_invoice(invoice([line(amount, quantity=quantity)]), ctx()).body)
    assert (only["quantity"], only["rate"], only["amount"]) == expected


def random_invoice(seed: int) -> tuple[dict[str, Any], str]:
    """A random but internally consistent invoice, and a tax mode for it."""
    rng = random.Random(seed)
    currency = rng.choice(CURRENCIES)
    step = 100 if currency in money.WHOLE_UNIT_SPECIAL else (
        10 if currency in money.THREE_DECIMAL else 1)  # fmt: skip
    inclusive = rng.random() < 0.3
    lines = []
    for n in range(rng.randint(1, 6)):
        quantity = rng.randint(0, 12)
        amount = rng.randint(-50000, 200000) * step
        discounts = (
            [(f"di_{rng.randint(1, 2)}", rng.randint(1, 900) * step)]
            if rng.random() < 0.4
            else None
        )
        taxes = (
            [(rng.randint(0, 5000) * step, inclusive, rng.choice(["txr_vat", "txr_state"]))]
            if rng.random() < 0.6
            else None
        )
        lines.append(line(amount, line_id=f"il_{n}", quantity=quantity, currency=currency,
                          price=rng.choice(["price_pro", "price_seat", None]),
                          discounts=discounts, taxes=taxes,
                          proration=amount < 0))  # fmt: skip
    inv = invoice(lines, currency=currency, shipping=rng.choice([0, 0, 1234]) * step,
                  discounts=[discount("di_1", "20OFF"), discount("di_2", "5OFF")])  # fmt: skip
    return inv, rng.choice(["lines", "codes"])


@pytest.mark.parametrize("seed", range(200))
def test_random_invoices_add_up_to_the_stripe_total(seed: int) -> None:
    inv, tax_mode = random_invoice(seed)
    body = map_invoice(inv, ctx(tax=tax_mode)).body
    assert line_sum(body) == money.to_decimal(inv["total"], inv["currency"])
    assert schema_problems("invoice", body) == []


def test_balance_item_from_config_or_refused() -> None:
    inv = invoice([line(1000)], starting_balance=-300)
    configured = context(account(items={"customer_balance_item": "851"}), invoice_id="5031",
                         customer_id="1041")  # fmt: skip
    memo = map_balance_credit(inv, configured)
    assert memo is not None
    assert memo.body["item"]["items"][0]["item"] == {"id": "851"}
    bare = context(account(), invoice_id="5031", customer_id="1041")
    with pytest.raises(exceptions.MappingError, match="no customer balance item"):
        map_balance_credit(inv, bare)
