"""Foreign-currency money on a single-currency NetSuite account (``multi_currency = false``).

Such an account has one currency, so a record carries no currency and every amount is
read in the base currency. A Stripe object in another currency must therefore never be
posted at face value: it is converted at Stripe's own rate (the balance transaction's
``exchange_rate``, into the currency Stripe settled in, which is the account's) or, with
``options.foreign_currency = "refuse"``, refused with an error naming the object.

Conversion rounds each amount to the settlement currency; the item lines are then
evened out on the largest line so that they still add up to the converted total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stripe_netsuite import exceptions, money
from stripe_netsuite.mapping import transaction as tx
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.records import NetSuiteRecord

#: Body and line fields that hold money.
MONEY_FIELDS = frozenset({"amount", "payment", "rate", "tax1Amt", "debit", "credit"})


def for_account(
    record: NetSuiteRecord,
    ctx: MappingContext,
    *,
    balance_transaction: Any,
    currency: str,
) -> NetSuiteRecord:
    """*record* as a single-currency account must get it: unchanged on a multi-currency
    account or when the money did not change currency; converted or refused otherwise."""
    if ctx.account.options.multi_currency:
        return record
    bt = tx.expanded(balance_transaction)
    settled = str(bt.get("currency", "")).lower() if bt else ""
    if not settled or settled == currency.lower():
        return record
    if ctx.account.options.foreign_currency == "refuse":
        raise exceptions.MappingError(
            f"{record.stripe_id} is in {currency.upper()} but this NetSuite account has one"
            f" currency (settled in {settled.upper()}); options.foreign_currency = refuse",
            stripe_id=record.stripe_id,
        )
    rate = tx.exchange_rate(bt, currency)
    if rate is None:
        raise exceptions.MappingError(
            f"{record.stripe_id} is in {currency.upper()} and its balance transaction has no"
            " exchange rate to convert it with",
            stripe_id=record.stripe_id,
        )
    body = convert(record.body, rate, settled)
    return replace(record, body=body)


def convert(body: Mapping[str, Any], rate: Decimal, currency: str) -> dict[str, Any]:
    """A copy of *body* with every amount times *rate*, rounded to *currency*."""
    places = Decimal(1).scaleb(-money.exponent(currency))
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in MONEY_FIELDS and isinstance(value, Decimal):
            out[key] = _round(value * rate, places) if key != "rate" else value * rate
        elif isinstance(value, Mapping):
            out[key] = convert(value, rate, currency)
        elif isinstance(value, list):
            out[key] = [convert(v, rate, currency) if isinstance(v, Mapping) else v for v in value]
        else:
            out[key] = value
    memo = body.get("memo")
    if isinstance(memo, str):
        out["memo"] = f"{memo} (converted at Stripe's rate {rate})"[:999]
    _even_out(body, out, rate, places)
    return out


def _even_out(
    before: Mapping[str, Any], after: dict[str, Any], rate: Decimal, places: Decimal
) -> None:
    """Keep the converted item lines summing to the converted total, on the largest line."""
    sub = after.get("item")
    lines = sub.get("items") if isinstance(sub, Mapping) else None
    old = before.get("item")
    old_lines = old.get("items") if isinstance(old, Mapping) else None
    if not lines or not old_lines:
        return
    total = sum((ln["amount"] + ln.get("tax1Amt", 0) for ln in old_lines), Decimal(0))
    wanted = _round(total * rate, places)
    got = sum((ln["amount"] + ln.get("tax1Amt", 0) for ln in lines), Decimal(0))
    if got != wanted:
        largest = max(lines, key=lambda ln: abs(ln["amount"]))
        largest["amount"] += wanted - got
    for line in lines:
        # Quantity × rate must still give the amount, or NetSuite recomputes it.
        qty = line.get("quantity")
        if isinstance(qty, Decimal) and qty and line["amount"] / qty * qty == line["amount"]:
            line["rate"] = line["amount"] / qty
        elif "rate" in line:
            line["quantity"], line["rate"] = Decimal(1), line["amount"]


def _round(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, ROUND_HALF_UP)
