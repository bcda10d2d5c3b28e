"""Stripe price / plan, product / SKU and coupon → NetSuite items.

Items carry no default rate: every transaction line states its own rate and amount as
Stripe computed them, so an item never needs a price per currency.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from stripe_netsuite import exceptions, money
from stripe_netsuite.mapping.context import Dependency, MappingContext
from stripe_netsuite.mapping.metadata import ITEM_TYPES, mapped_fields, metadata_of
from stripe_netsuite.mapping.records import NetSuiteRecord, external_id_for

#: NetSuite's limit on an item's name (itemId).
ITEM_ID_LIMIT = 60
#: Metadata key choosing the record type a new item is created as.
ITEM_TYPE_KEY = "netsuite_item_type"
#: Item types a product (an order's goods) may become.
PRODUCT_TYPES = ("nonInventorySaleItem", "nonInventoryResaleItem", "inventoryItem")


def dependencies(obj: Mapping[str, Any]) -> list[Dependency]:
    """Items reference no other synced object."""
    return []


def item_name(text: str) -> str:
    """*text* fitted to NetSuite's item-name limit; a cut name keeps a hash so it stays unique."""
    if len(text) <= ITEM_ID_LIMIT:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[: ITEM_ID_LIMIT - 9]}~{digest}"


def item_type(obj: Mapping[str, Any], default: str, allowed: tuple[str, ...] = ITEM_TYPES) -> str:
    """The record type an item is created as: ``netsuite_item_type`` metadata, else *default*."""
    chosen = metadata_of(obj).get(ITEM_TYPE_KEY)
    if chosen is None or chosen == "":
        return default
    if chosen not in allowed:
        raise exceptions.MappingError(
            f"metadata {ITEM_TYPE_KEY}={chosen!r} is not one of {', '.join(allowed)}",
            stripe_id=str(obj.get("id")),
        )
    return str(chosen)


def map_price(price: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """The item for a Stripe price or (legacy) plan; ``product`` may be expanded.

    The item's name is the price id (unique across Stripe); the display name is the
    product name with the price's nickname or billing interval.
    """
    stripe_id = _id(price, "price")
    if price.get("object") not in ("price", "plan"):
        raise exceptions.MappingError("not a Stripe price or plan", stripe_id=stripe_id)
    record_type = item_type(price, ctx.account.items.price_item_type)
    product = price.get("product")
    product = product if isinstance(product, Mapping) else {}
    body = _item_body(ctx, record_type, stripe_id)
    body["itemId"] = item_name(stripe_id)
    body["displayName"] = _display_name(price, product)
    description = _text(product.get("description"))
    if description:
        body["description"] = description
        body["salesDescription"] = description
    income = ctx.account.items.income_account
    if income:
        body["incomeAccount"] = {"id": income}
    body.update(mapped_fields(ctx.account, record_type, metadata_of(price)))
    return NetSuiteRecord(record_type, body["externalId"], body, stripe_id, "item")


def map_product(product: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """The item for a Stripe product or (legacy) SKU sold through orders.

    A non-inventory sale item unless ``netsuite_item_type`` names another type; an
    inventory item also needs its asset and COGS accounts through field mappings.
    """
    stripe_id = _id(product, "product")
    if product.get("object") not in ("product", "sku"):
        raise exceptions.MappingError("not a Stripe product or SKU", stripe_id=stripe_id)
    record_type = item_type(product, "nonInventorySaleItem", PRODUCT_TYPES)
    body = _item_body(ctx, record_type, stripe_id)
    body["itemId"] = item_name(stripe_id)
    name = _text(product.get("name"))
    if product.get("object") == "sku":
        parent = product.get("product")
        parent_name = _text(parent.get("name")) if isinstance(parent, Mapping) else ""
        attributes = product.get("attributes")
        details = (
            ", ".join(str(v) for v in attributes.values())
            if isinstance(attributes, Mapping)
            else ""
        )
        name = " · ".join(p for p in (parent_name, details) if p)
    body["displayName"] = name or stripe_id
    description = _text(product.get("description"))
    if description:
        body["description"] = description
        body["salesDescription"] = description
    income = ctx.account.items.income_account
    if income:
        body["incomeAccount"] = {"id": income}
    body.update(mapped_fields(ctx.account, record_type, metadata_of(product)))
    return NetSuiteRecord(record_type, body["externalId"], body, stripe_id, "item")


def map_coupon(coupon: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """The discount item for a Stripe coupon.

    Coupon ids are chosen by the user and repeat across Stripe accounts, so the item's
    name is the externalId (account-prefixed). No rate: each invoice discount line
    carries the amount Stripe computed.
    """
    stripe_id = _id(coupon, "coupon")
    if coupon.get("object") != "coupon":
        raise exceptions.MappingError("not a Stripe coupon", stripe_id=stripe_id)
    body = _item_body(ctx, "discountItem", stripe_id)
    body["itemId"] = item_name(body["externalId"])
    body["displayName"] = _text(coupon.get("name")) or stripe_id
    body["description"] = coupon_terms(coupon)
    # Stripe applies discounts before tax.
    body["isPreTax"] = True
    income = ctx.account.items.income_account
    if income:
        body["account"] = {"id": income}
    body.update(mapped_fields(ctx.account, "discountItem", metadata_of(coupon)))
    return NetSuiteRecord("discountItem", body["externalId"], body, stripe_id, "discount_item")


def coupon_terms(coupon: Mapping[str, Any]) -> str:
    """``25.5% off, forever`` / ``10.00 EUR off, for 3 months``: what the coupon gives."""
    if coupon.get("percent_off") is not None:
        value = f"{coupon['percent_off']}% off"
    elif coupon.get("amount_off") is not None and coupon.get("currency"):
        amount = money.to_decimal(int(coupon["amount_off"]), str(coupon["currency"]))
        value = f"{amount} {str(coupon['currency']).upper()} off"
    else:
        value = "discount"
    duration = coupon.get("duration")
    if duration == "repeating" and coupon.get("duration_in_months"):
        return f"{value}, for {coupon['duration_in_months']} months"
    return f"{value}, {duration}" if duration else value


def _item_body(ctx: MappingContext, record_type: str, stripe_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {"externalId": external_id_for(ctx.stripe_account_id, stripe_id)}
    if ctx.account.subsidiary:
        # Items list their subsidiaries; children inherit so one Stripe account can feed
        # a parent and its child subsidiaries.
        body["subsidiary"] = {"items": [{"id": ctx.account.subsidiary}]}
        body["includeChildren"] = True
    return body


_ADVERBS = {"day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}


def _display_name(price: Mapping[str, Any], product: Mapping[str, Any]) -> str:
    raw_product = price.get("product")
    base = _text(product.get("name")) or _text(raw_product) or str(price["id"])
    detail = _text(price.get("nickname"))
    if not detail:
        recurring = price.get("recurring")
        # Prices keep the interval under ``recurring``; legacy plans at the top level.
        source = recurring if isinstance(recurring, Mapping) else price
        interval = source.get("interval")
        count = source.get("interval_count") or 1
        parts = []
        if interval:
            parts.append(
                _ADVERBS.get(str(interval), str(interval))
                if count == 1
                else f"every {count} {interval}s"
            )
        if price.get("currency"):
            parts.append(str(price["currency"]).upper())
        detail = ", ".join(parts)
    return f"{base} ({detail})" if detail else base


def _id(obj: Mapping[str, Any], kind: str) -> str:
    stripe_id = obj.get("id")
    if not isinstance(stripe_id, str) or not stripe_id:
        raise exceptions.MappingError(f"the Stripe {kind} has no id", stripe_id=str(stripe_id))
    return stripe_id


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
