"""Pieces shared by every transaction mapping: header fields, amounts, item lines, taxes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions, money
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.metadata import linked_item, mapped_fields, metadata_of
from stripe_netsuite.mapping.records import external_id_for, period_dates, tran_date

#: Decimals kept in a unit rate before falling back to quantity 1 (NetSuite keeps 8).
RATE_PLACES = 8


def stripe_id(obj: Mapping[str, Any], kind: str, prefix: str | tuple[str, ...]) -> str:
    """The object's id; `MappingError` when it is missing or of another kind."""
    value = obj.get("id")
    if not isinstance(value, str) or not value.startswith(prefix):
        raise exceptions.MappingError(f"not a Stripe {kind}: id is {value!r}", stripe_id=str(value))
    return value


def id_of(value: Any) -> str | None:
    """The id of a reference that may be expanded (``"ch_1"`` or ``{"id": "ch_1", …}``)."""
    if isinstance(value, Mapping):
        found = value.get("id")
        return str(found) if found else None
    return str(value) if value else None


def expanded(value: Any) -> Mapping[str, Any] | None:
    """The object of an expanded reference, None when it is a bare id."""
    return value if isinstance(value, Mapping) else None


def amount(minor: Any, currency: str, *, where: str) -> Decimal:
    """Minor units → `Decimal`, with an error naming the field when it is not an integer."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise exceptions.MappingError(f"{where} is not an integer amount: {minor!r}")
    return money.to_decimal(minor, currency)


def currency_of(obj: Mapping[str, Any], sid: str) -> str:
    """The object's lower-case ISO currency code."""
    currency = obj.get("currency")
    if not isinstance(currency, str) or not currency:
        raise exceptions.MappingError("the Stripe object has no currency", stripe_id=sid)
    return currency.lower()


def header(
    ctx: MappingContext,
    *,
    sid: str,
    currency: str,
    when: int,
    role_prefix: str | None = None,
    entity_field: str | None = "entity",
    memo: str | None = None,
) -> dict[str, Any]:
    """externalId, entity/customer, tranDate, currency, subsidiary and memo."""
    body: dict[str, Any] = {"externalId": external_id_for(ctx.stripe_account_id, sid, role_prefix)}
    if entity_field:
        body[entity_field] = ctx.require_customer(sid)
    body["tranDate"] = tran_date(when)
    cur = ctx.currency_ref(currency, stripe_id=sid)
    if cur:
        body["currency"] = cur
    sub = ctx.subsidiary_ref()
    if sub:
        body["subsidiary"] = sub
    body["memo"] = f"Stripe {sid}: {memo}" if memo else f"Stripe {sid}"
    return body


def exchange_rate(balance_transaction: Any, currency: str) -> Decimal | None:
    """Stripe's rate from *currency* to the settlement currency, from an expanded BT.

    None when the BT is not expanded, has no rate, or settles in the same currency.
    """
    bt = expanded(balance_transaction)
    if not bt or bt.get("exchange_rate") in (None, ""):
        return None
    if str(bt.get("currency", "")).lower() == currency.lower():
        return None
    # Through str: Stripe sends the rate as a JSON number and it must stay exact.
    return Decimal(str(bt["exchange_rate"]))


def put_exchange_rate(
    body: dict[str, Any], ctx: MappingContext, balance_transaction: Any, currency: str
) -> Decimal | None:
    """Stripe's rate as the transaction's ``exchangeRate`` (multi-currency accounts only).

    Returns the rate whether or not it was written, None when the money did not change
    currency.
    """
    rate = exchange_rate(balance_transaction, currency)
    if rate is not None and ctx.account.options.multi_currency:
        body["exchangeRate"] = rate
    return rate


def apply_line(doc_id: str, value: Decimal) -> dict[str, Any]:
    """An ``apply`` sublist line applying *value* to the NetSuite transaction *doc_id*."""
    return {"doc": {"id": doc_id}, "apply": True, "amount": value}


def item_line(
    item_id: str,
    total: Decimal,
    *,
    quantity: Decimal | int | None = None,
    description: str | None = None,
    period: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An item line whose amount is exactly *total*.

    The rate is *total* / quantity when that division is exact to `RATE_PLACES`
    decimals; otherwise the line is quantity 1 at *total* and the description keeps the
    real quantity, so NetSuite's rate × quantity can never drift from Stripe's amount.
    """
    line: dict[str, Any] = {"item": {"id": item_id}}
    qty = Decimal(quantity) if quantity is not None else Decimal(1)
    text = description or ""
    if qty == 0 and total == 0:
        rate = total
    else:
        # A flat fee on zero usage has quantity 0 and an amount: that is no rate either.
        rate = total / qty if qty else Decimal(0)
        exact = rate == rate.quantize(Decimal(1).scaleb(-RATE_PLACES)) and rate * qty == total
        if not qty or not exact:
            text = f"{text} (quantity {qty})".strip()
            qty, rate = Decimal(1), total
    line["quantity"] = qty
    line["rate"] = rate
    line["amount"] = total
    if text:
        line["description"] = text[:4000]
    if period and isinstance(period.get("start"), int) and isinstance(period.get("end"), int):
        start, end = period_dates(period["start"], period["end"])
        line["revRecStartDate"] = start
        line["revRecEndDate"] = end
    return line


def line_fields(
    ctx: MappingContext, record_type: str, *metadatas: Mapping[str, Any]
) -> dict[str, Any]:
    """Line-level field mappings; the first metadata holding a key wins (line over parent)."""
    merged: dict[str, Any] = {}
    for meta in reversed(metadatas):
        merged.update(meta)
    return mapped_fields(ctx.account, record_type, merged, level="line")


def body_fields(ctx: MappingContext, record_type: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """Body-level field mappings from the object's metadata."""
    return mapped_fields(ctx.account, record_type, metadata_of(obj))


@dataclass(frozen=True)
class Tax:
    """One tax amount on a line or document."""

    amount: int
    inclusive: bool
    rate_id: str | None


def taxes(obj: Mapping[str, Any], new_key: str, old_key: str) -> list[Tax]:
    """Taxes from ``taxes`` / ``total_taxes`` (basil and later) or the older ``*tax_amounts``."""
    found: list[Tax] = []
    for entry in obj.get(new_key) or []:
        details = entry.get("tax_rate_details") or {}
        found.append(
            Tax(
                int(entry["amount"]),
                entry.get("tax_behavior") == "inclusive",
                id_of(details.get("tax_rate")),
            )
        )
    if not found:
        for entry in obj.get(old_key) or []:
            found.append(
                Tax(
                    int(entry["amount"]), bool(entry.get("inclusive")), id_of(entry.get("tax_rate"))
                )
            )
    return found


def line_item_id(line: Mapping[str, Any], ctx: MappingContext, *, owner: str) -> str:
    """The NetSuite item of a Stripe line.

    A metadata link on the line wins, then the line's price, plan or product, then the
    account's generic service item (one-off prices have no item of their own).
    """
    linked = linked_item(line)
    if linked:
        return linked[1]
    for key in price_keys(line):
        if key in ctx.item_ids:
            return ctx.item_ids[key]
    if ctx.account.items.service_sale_item:
        return ctx.account.items.service_sale_item
    keys = ", ".join(price_keys(line)) or "(no price)"
    raise exceptions.MappingError(
        f"no NetSuite item for line {line.get('id')} ({keys}) and no items.service_sale_item",
        stripe_id=owner,
        missing="item_ids",
    )


def price_keys(line: Mapping[str, Any]) -> list[str]:
    """Stripe ids identifying a line's item, most specific first: price, plan, product."""
    keys: list[str] = []
    pricing = line.get("pricing")
    details = pricing.get("price_details") if isinstance(pricing, Mapping) else None
    if isinstance(details, Mapping):
        keys += [k for k in (id_of(details.get("price")), id_of(details.get("product"))) if k]
    for field in ("price", "plan"):
        ref = line.get(field)
        if ref:
            keys.append(id_of(ref) or "")
            obj = expanded(ref)
            if obj and obj.get("product"):
                keys.append(id_of(obj["product"]) or "")
    seen: list[str] = []
    for key in keys:
        if key and key not in seen:
            seen.append(key)
    return seen


def coupon_of(discount: Any, sources: Iterable[Any]) -> str | None:
    """The coupon id behind a discount reference, looking through expanded discounts."""
    obj = expanded(discount)
    if obj is None:
        wanted = id_of(discount)
        obj = next((d for d in sources if isinstance(d, Mapping) and d.get("id") == wanted), None)
    if obj is None:
        return None
    if obj.get("object") == "coupon":
        return id_of(obj)
    source = obj.get("source")
    if isinstance(source, Mapping) and source.get("coupon"):
        return id_of(source["coupon"])
    return id_of(obj.get("coupon"))


def discount_item_id(coupon_id: str | None, ctx: MappingContext, *, owner: str) -> str:
    """The discount item for a coupon, else the account's generic discount item."""
    if coupon_id and coupon_id in ctx.discount_item_ids:
        return ctx.discount_item_ids[coupon_id]
    if ctx.account.items.discount_item:
        return ctx.account.items.discount_item
    raise exceptions.MappingError(
        f"no NetSuite discount item for coupon {coupon_id or '(unknown)'}"
        " and no items.discount_item",
        stripe_id=owner,
        missing=f"discount_item_ids[{coupon_id}]",
    )


def check_total(lines: list[dict[str, Any]], expected: Decimal, *, sid: str) -> None:
    """Refuse lines whose amounts (plus line tax) do not add up to the Stripe total."""
    got = sum((ln["amount"] + ln.get("tax1Amt", 0) for ln in lines), Decimal(0))
    if got != expected:
        raise exceptions.MappingError(
            f"NetSuite lines add up to {got} but the Stripe total is {expected}",
            stripe_id=sid,
            difference=str(expected - got),
        )
