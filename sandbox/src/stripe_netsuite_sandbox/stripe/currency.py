"""Currency rules the sandbox enforces, fixed exchange rates, and Stripe's fee schedule.

The exponent table is the sandbox's own, written from Stripe's currency documentation
(https://docs.stripe.com/currencies) rather than taken from the engine: the sandbox is
the oracle the engine is tested against, so it must not share the engine's mistakes.

Rates are fixed so that scenarios are reproducible; amounts are integers of minor
units and every conversion goes through `Decimal`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from stripe_netsuite_sandbox.stripe import errors

#: Stripe's zero-decimal currencies: an API amount counts whole units (``100`` JPY is ¥100).
#: Stripe's list also names UGX, but keeps it two-decimal; see `WHOLE_UNITS_WRITTEN_AS_CENTS`.
ZERO_DECIMAL: frozenset[str] = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf vnd vuv xaf xof xpf".split()
)

#: Three-decimal currencies; Stripe requires the last digit of an amount to be 0.
THREE_DECIMAL: frozenset[str] = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

#: ISK and UGX are charged in whole units, but for backward compatibility are written
#: with two decimals that must be 00: 5 ISK is sent as ``500``.
WHOLE_UNITS_WRITTEN_AS_CENTS: frozenset[str] = frozenset({"isk", "ugx"})

#: HUF and TWD charge two-decimal amounts but pay out whole units only (multiples of 100);
#: ISK and UGX, whole units throughout, are under the same payout rule.
WHOLE_UNIT_PAYOUTS: frozenset[str] = frozenset({"huf", "twd"}) | WHOLE_UNITS_WRITTEN_AS_CENTS

#: Decimals of each currency's API amounts where they are not the usual two.
EXPONENTS: dict[str, int] = {
    **{code: 0 for code in ZERO_DECIMAL},
    **{code: 3 for code in THREE_DECIMAL},
}

#: US dollars per one major unit of each currency (fixed sandbox rates).
USD_PER_UNIT: dict[str, Decimal] = {
    "usd": Decimal("1"),
    "eur": Decimal("1.08"),
    "gbp": Decimal("1.27"),
    "cad": Decimal("0.74"),
    "aud": Decimal("0.66"),
    "nzd": Decimal("0.61"),
    "chf": Decimal("1.13"),
    "sek": Decimal("0.095"),
    "nok": Decimal("0.094"),
    "dkk": Decimal("0.145"),
    "pln": Decimal("0.25"),
    "czk": Decimal("0.043"),
    "huf": Decimal("0.0028"),
    "isk": Decimal("0.0072"),
    "twd": Decimal("0.031"),
    "ugx": Decimal("0.00027"),
    "jpy": Decimal("0.0067"),
    "krw": Decimal("0.00073"),
    "clp": Decimal("0.0011"),
    "vnd": Decimal("0.00004"),
    "inr": Decimal("0.012"),
    "sgd": Decimal("0.74"),
    "hkd": Decimal("0.128"),
    "mxn": Decimal("0.055"),
    "brl": Decimal("0.18"),
    "zar": Decimal("0.055"),
    "aed": Decimal("0.2723"),
    "bhd": Decimal("2.65"),
    "jod": Decimal("1.41"),
    "kwd": Decimal("3.25"),
    "omr": Decimal("2.60"),
    "tnd": Decimal("0.32"),
    "xof": Decimal("0.00165"),
    "xaf": Decimal("0.00165"),
    "pyg": Decimal("0.00013"),
    "bif": Decimal("0.00035"),
    "djf": Decimal("0.0056"),
    "gnf": Decimal("0.000116"),
    "kmf": Decimal("0.0022"),
    "mga": Decimal("0.00022"),
    "rwf": Decimal("0.00075"),
    "vuv": Decimal("0.0084"),
    "xpf": Decimal("0.009"),
}

#: Stripe's card pricing in the sandbox: 2.9% + 0.30 USD (or its equivalent).
PERCENT_FEE = Decimal("0.029")
FIXED_FEE_USD = Decimal("0.30")
DISPUTE_FEE_USD = Decimal("15.00")
MINIMUM_CHARGE_USD = Decimal("0.50")


def exponent(currency: str) -> int:
    """Decimals of the currency's minor unit in the API (two unless the table says not)."""
    return EXPONENTS.get(currency.lower(), 2)


def check_known(currency: str, param: str = "currency") -> str:
    """Lower-case *currency*, refusing codes the sandbox does not support."""
    cur = currency.lower()
    if cur not in USD_PER_UNIT:
        raise errors.invalid(
            f"Invalid currency: {cur}. Stripe currently supports these currencies: "
            + ", ".join(sorted(USD_PER_UNIT)),
            param=param,
        )
    return cur


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def usd_equivalent_minor(usd: Decimal, currency: str) -> int:
    """A USD amount expressed in *currency*'s minor units (rounded)."""
    major = usd / USD_PER_UNIT[currency]
    minor = _round(major.scaleb(exponent(currency)))
    if currency in WHOLE_UNITS_WRITTEN_AS_CENTS:
        minor = _round(Decimal(minor) / 100) * 100
    return minor


def rate(src: str, dst: str) -> Decimal:
    """Exchange rate: *src* major units × rate = *dst* major units."""
    return (USD_PER_UNIT[src] / USD_PER_UNIT[dst]).quantize(Decimal("0.000001"))


def convert(amount: int, src: str, dst: str) -> tuple[int, Decimal | None]:
    """Minor units of *src* → minor units of *dst*, plus the rate used (None if same)."""
    if src == dst:
        return amount, None
    r = rate(src, dst)
    major = Decimal(amount).scaleb(-exponent(src)) * r
    return _round(major.scaleb(exponent(dst))), r


def card_fee(amount: int, currency: str) -> int:
    """2.9% + the fixed fee, in the settlement currency's minor units."""
    if amount <= 0:
        return 0
    return _round(Decimal(amount) * PERCENT_FEE) + usd_equivalent_minor(FIXED_FEE_USD, currency)


def dispute_fee(currency: str) -> int:
    """The 15.00 USD dispute fee in *currency*."""
    return usd_equivalent_minor(DISPUTE_FEE_USD, currency)


def check_charge_amount(amount: int, currency: str, param: str = "amount") -> None:
    """Stripe's rules for charge amounts: positive, minimum, three-decimal and whole-unit cases."""
    if amount <= 0:
        raise errors.invalid("This value must be greater than or equal to 1.", param=param)
    if currency in THREE_DECIMAL and amount % 10 != 0:
        raise errors.invalid(
            f"Invalid amount: {currency.upper()} is a three-decimal currency and the amount "
            f"must be rounded to the nearest ten (the last digit must be 0), got {amount}.",
            param=param,
            code="amount_invalid",
        )
    if currency in WHOLE_UNITS_WRITTEN_AS_CENTS and amount % 100 != 0:
        raise errors.invalid(
            f"Invalid amount: {currency.upper()} amounts are whole units written with two "
            f"decimals that are always 00 (to charge 5 {currency.upper()}, send 500), "
            f"got {amount}.",
            param=param,
            code="amount_invalid",
        )
    minimum = usd_equivalent_minor(MINIMUM_CHARGE_USD, currency)
    if amount < minimum:
        shown = Decimal(minimum).scaleb(-exponent(currency))
        raise errors.invalid(
            f"Amount must be at least {shown} {currency}",
            param=param,
            code="amount_too_small",
        )


def check_payout_amount(amount: int, currency: str, param: str = "amount") -> None:
    """HUF and TWD payouts (and ISK/UGX) must be whole units: multiples of 100."""
    if amount <= 0:
        raise errors.invalid("This value must be greater than or equal to 1.", param=param)
    if currency in WHOLE_UNIT_PAYOUTS and amount % 100 != 0:
        raise errors.invalid(
            f"Invalid amount: payouts in {currency.upper()} must be in whole units, an amount "
            f"evenly divisible by 100, got {amount}.",
            param=param,
            code="amount_invalid",
        )
    if currency in THREE_DECIMAL and amount % 10 != 0:
        raise errors.invalid(
            f"Invalid amount: {currency.upper()} amounts must have 0 as their last digit, "
            f"got {amount}.",
            param=param,
            code="amount_invalid",
        )
