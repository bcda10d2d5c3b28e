"""Foreign money on a single-currency NetSuite account: converted at Stripe's rate, or refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mapping_support import account, context
from stripe_builders import balance_transaction, charge

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import MappingContext
from stripe_netsuite.mapping.conversion import for_account
from stripe_netsuite.mapping.payment import map_charge_invoice, map_payment

d = Decimal
EUR_BT = balance_transaction(1085, currency="usd", exchange_rate=1.085)


def single(foreign_currency: str = "convert") -> MappingContext:
    options = {"multi_currency": False, "foreign_currency": foreign_currency}
    return context(account(options=options), customer_id="1041", invoice_id="5031")


def test_a_foreign_payment_is_converted_at_stripe_rate_never_at_face_value() -> None:
    ctx = single()
    eur = charge(1000, currency="eur", bt=EUR_BT)
    record = for_account(map_payment(eur, ctx), ctx, balance_transaction=EUR_BT, currency="eur")
    assert record.body["payment"] == d("10.85")
    assert record.body["apply"]["items"][0]["amount"] == d("10.85")
    assert "currency" not in record.body and "exchangeRate" not in record.body
    assert "1.085" in record.body["memo"]


def test_converted_lines_still_add_up() -> None:
    ctx = single()
    bt = balance_transaction(3334, currency="usd", exchange_rate=1.1113)
    eur = charge(3000, currency="eur", bt=bt)
    record = for_account(map_charge_invoice(eur, ctx), ctx, balance_transaction=bt, currency="eur")
    (line,) = record.body["item"]["items"]
    assert line["amount"] == d("33.34") and line["quantity"] * line["rate"] == line["amount"]


def test_refused_with_the_object_named() -> None:
    ctx = single("refuse")
    eur = charge(1000, currency="eur", bt=EUR_BT)
    with pytest.raises(exceptions.MappingError, match="ch_1 is in EUR"):
        for_account(map_payment(eur, ctx), ctx, balance_transaction=EUR_BT, currency="eur")


def test_same_currency_and_multi_currency_accounts_are_left_alone() -> None:
    ctx = single("refuse")
    usd_bt = balance_transaction(1000)
    usd = charge(1000, bt=usd_bt)
    record = map_payment(usd, ctx)
    assert for_account(record, ctx, balance_transaction=usd_bt, currency="usd") is record
    multi = context(account(), customer_id="1041", currency_ids={"eur": "4"})
    eur = map_payment(charge(1000, currency="eur", bt=EUR_BT), multi)
    assert for_account(eur, multi, balance_transaction=EUR_BT, currency="eur") is eur
