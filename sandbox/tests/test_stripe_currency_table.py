"""The Stripe emulator's currency table: Stripe's documented facts, and agreement with the engine.

The emulator keeps its own table so that it can catch the engine's exponent mistakes;
the cross-check here is the one place the two meet.
"""

from __future__ import annotations

import pytest

from stripe_netsuite import money
from stripe_netsuite_sandbox.stripe import currency, errors

#: Every currency the emulator's table names, plus every currency it accepts.
KNOWN = sorted(
    set(currency.USD_PER_UNIT)
    | currency.ZERO_DECIMAL
    | currency.THREE_DECIMAL
    | currency.WHOLE_UNITS_WRITTEN_AS_CENTS
    | currency.WHOLE_UNIT_PAYOUTS
)


@pytest.mark.parametrize("code", KNOWN)
def test_exponent_agrees_with_the_engine(code: str) -> None:
    assert currency.exponent(code) == money.exponent(code)


@pytest.mark.parametrize(
    ("code", "decimals"),
    [
        ("usd", 2),
        ("eur", 2),
        ("gbp", 2),
        ("jpy", 0),
        ("krw", 0),
        ("vnd", 0),
        ("clp", 0),
        ("xof", 0),
        ("kwd", 3),
        ("bhd", 3),
        ("jod", 3),
        ("omr", 3),
        ("tnd", 3),
        # ISO 4217 gives ISK and UGX no decimals; Stripe's API writes them with two.
        ("isk", 2),
        ("ugx", 2),
        # Two-decimal for charges, whole units only for payouts.
        ("huf", 2),
        ("twd", 2),
    ],
)
def test_documented_exponents(code: str, decimals: int) -> None:
    assert currency.exponent(code) == decimals
    assert currency.exponent(code.upper()) == decimals


def test_special_currencies_are_all_accepted() -> None:
    special = (
        currency.ZERO_DECIMAL
        | currency.THREE_DECIMAL
        | currency.WHOLE_UNITS_WRITTEN_AS_CENTS
        | currency.WHOLE_UNIT_PAYOUTS
    )
    assert special <= set(currency.USD_PER_UNIT)
    assert not currency.ZERO_DECIMAL & currency.THREE_DECIMAL
    assert not currency.ZERO_DECIMAL & currency.WHOLE_UNITS_WRITTEN_AS_CENTS


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (5120, "kwd"),  # 5.124 KWD rounded to the nearest ten
        (10000, "isk"),  # 100 ISK
        (200000, "ugx"),  # 2000 UGX
        (20045, "huf"),  # HUF charges may carry decimals
        (500, "usd"),
        (500, "jpy"),
    ],
)
def test_charge_amounts_stripe_accepts(amount: int, code: str) -> None:
    currency.check_charge_amount(amount, code)


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (5124, "kwd"),  # the last digit of a three-decimal amount must be 0
        (10050, "isk"),  # no fractions of ISK
        (200050, "ugx"),
    ],
)
def test_charge_amounts_stripe_refuses(amount: int, code: str) -> None:
    with pytest.raises(errors.StripeError) as caught:
        currency.check_charge_amount(amount, code)
    assert caught.value.code == "amount_invalid"


@pytest.mark.parametrize("code", ["huf", "twd", "isk", "ugx"])
def test_whole_unit_payouts(code: str) -> None:
    currency.check_payout_amount(1000, code)
    with pytest.raises(errors.StripeError) as caught:
        currency.check_payout_amount(1045, code)
    assert caught.value.code == "amount_invalid"


def test_two_decimal_payouts_may_carry_cents() -> None:
    currency.check_payout_amount(1045, "usd")
    with pytest.raises(errors.StripeError):
        currency.check_payout_amount(1045, "kwd")
