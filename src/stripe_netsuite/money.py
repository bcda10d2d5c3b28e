"""Stripe currency exponents and conversion between minor units and `Decimal`.

Stripe amounts are integers in the currency's minor unit. Most currencies have two
decimals; the zero-decimal ones have none and the three-decimal ones three. Stripe's
special cases (ISK, UGX, HUF, TWD) are *represented* with two decimals in the API but
charged as whole units, so their exponent for amounts on the wire stays 2.
"""

from __future__ import annotations

from decimal import Decimal

#: Currencies whose API amounts are whole units (https://docs.stripe.com/currencies).
ZERO_DECIMAL = frozenset(
    {
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg",
        "rwf", "vnd", "vuv", "xaf", "xof", "xpf",
    }
)  # fmt: skip

#: Currencies whose API amounts carry three decimals; Stripe requires the last digit 0.
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

#: Shown with two decimals in the API, but only whole units may be charged / paid out.
WHOLE_UNIT_SPECIAL = frozenset({"isk", "ugx", "huf", "twd"})


def exponent(currency: str) -> int:
    """Number of decimals of the currency's minor unit as Stripe's API uses it."""
    cur = currency.lower()
    if cur in ZERO_DECIMAL:
        return 0
    if cur in THREE_DECIMAL:
        return 3
    return 2


def to_decimal(amount: int, currency: str) -> Decimal:
    """Minor units → major units, exact."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an integer of minor units, got {amount!r}")
    return Decimal(amount).scaleb(-exponent(currency))


def to_minor(value: Decimal | str | int, currency: str) -> int:
    """Major units → minor units; refuses a value finer than the currency allows."""
    dec = Decimal(value)
    scaled = dec.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more decimals than {currency.upper()} allows")
    return int(scaled)
