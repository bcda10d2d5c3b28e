"""Stripe order (the legacy Orders API) or Checkout Session → NetSuite sales order.

Lines follow Stripe's amounts exactly, like an invoice's: item lines, discount lines,
shipping and (``options.tax = lines``) tax lines, adding up to the order's total. The
order is approved (``orderStatus`` B, pending fulfillment): Stripe has taken the money.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import transaction as tx
from stripe_netsuite.mapping.context import Dependency, MappingContext
from stripe_netsuite.mapping.metadata import linked_item
from stripe_netsuite.mapping.records import NetSuiteRecord, sublist

#: Sales order status "Pending Fulfillment" (approved).
APPROVED = {"id": "B"}


def dependencies(order: Mapping[str, Any]) -> list[Dependency]:
    """The customer and the SKUs / prices / products on its lines."""
    deps = []
    if customer := tx.id_of(order.get("customer")):
        deps.append(Dependency("customer", customer))
    for line in _order_items(order):
        if line.get("type") == "sku" and (sku := tx.id_of(line.get("parent"))):
            deps.append(Dependency("sku", sku))
    for line in _session_items(order):
        keys = tx.price_keys(line)
        if keys:
            deps.append(Dependency("product" if keys[0].startswith("prod_") else "price", keys[0]))
    return deps


def map_order(order: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """The sales order for a Stripe order (``or_…``) or Checkout Session (``cs_…``)."""
    kind = order.get("object")
    if kind == "order":
        sid = tx.stripe_id(order, "order", "or_")
        currency = tx.currency_of(order, sid)
        lines = _legacy_lines(order, ctx, sid=sid, currency=currency)
        total = order.get("amount")
    elif kind == "checkout.session":
        sid = tx.stripe_id(order, "checkout session", "cs_")
        currency = tx.currency_of(order, sid)
        lines = session_lines(order, ctx, sid=sid, currency=currency)
        total = order.get("amount_total")
    else:
        raise exceptions.MappingError(
            "not a Stripe order or checkout session", stripe_id=str(order.get("id"))
        )
    created = order.get("created")
    if not isinstance(created, int):
        raise exceptions.MappingError("the order has no created time", stripe_id=sid)
    body = tx.header(ctx, sid=sid, currency=currency, when=created)
    body["orderStatus"] = APPROVED
    tx.check_total(lines, tx.amount(total, currency, where="order total"), sid=sid)
    body["item"] = sublist(lines)
    body.update(tx.body_fields(ctx, "salesOrder", order))
    return NetSuiteRecord("salesOrder", body["externalId"], body, sid, "sales_order", ("item",))


def _legacy_lines(
    order: Mapping[str, Any], ctx: MappingContext, *, sid: str, currency: str
) -> list[dict[str, Any]]:
    items = ctx.account.items
    lines = []
    for entry in _order_items(order):
        kind = entry.get("type")
        value = tx.amount(entry.get("amount"), currency, where=f"order item {kind}")
        text = _text(entry.get("description"))
        parent = tx.id_of(entry.get("parent"))
        if kind == "sku":
            item = _item(entry, parent, ctx, sid)
            lines.append(
                tx.item_line(item, value, quantity=entry.get("quantity"), description=text)
            )
        elif kind == "discount":
            item = tx.discount_item_id(parent, ctx, owner=sid)
            # Discount items carry a negative amount whatever sign Stripe used.
            lines.append(tx.item_line(item, -abs(value), description=text or "Discount"))
        elif kind in ("tax", "shipping"):
            special = items.tax_item if kind == "tax" else items.shipping_item
            if not special:
                raise exceptions.MappingError(
                    f"the order has {kind} but items.{kind}_item is not set", stripe_id=sid
                )
            lines.append(tx.item_line(special, value, description=text or kind.title()))
        else:
            raise exceptions.MappingError(f"unknown order item type {kind!r}", stripe_id=sid)
    return lines


def session_lines(
    session: Mapping[str, Any], ctx: MappingContext, *, sid: str, currency: str
) -> list[dict[str, Any]]:
    """The session's lines: items (net of inclusive tax), discounts, shipping and tax."""
    lines: list[dict[str, Any]] = []
    tax_lines: list[dict[str, Any]] = []
    for entry in _session_items(session):
        value = tx.amount(entry.get("amount_subtotal"), currency, where="line amount_subtotal")
        keys = tx.price_keys(entry)
        item = _item(entry, keys[0] if keys else None, ctx, sid, keys)
        line = tx.item_line(
            item, value, quantity=entry.get("quantity"), description=_text(entry.get("description"))
        )
        lines.append(line)
        discounts = entry.get("discounts") or []
        for disc in discounts:
            off = tx.amount(disc.get("amount"), currency, where="line discount")
            coupon = tx.coupon_of(disc.get("discount"), [])
            item_id = tx.discount_item_id(coupon, ctx, owner=sid)
            lines.append(
                tx.item_line(item_id, -off, description=f"Discount {coupon or ''}".strip())
            )
        if not discounts and entry.get("amount_discount"):
            off = tx.amount(entry["amount_discount"], currency, where="line amount_discount")
            item_id = tx.discount_item_id(None, ctx, owner=sid)
            lines.append(tx.item_line(item_id, -off, description="Discount"))
        tax_lines += _session_taxes(entry, line, ctx, sid=sid, currency=currency)
    shipping = session.get("shipping_cost")
    if isinstance(shipping, Mapping) and shipping.get("amount_subtotal"):
        if not ctx.account.items.shipping_item:
            raise exceptions.MappingError(
                "the session has shipping but items.shipping_item is not set", stripe_id=sid
            )
        value = tx.amount(shipping["amount_subtotal"], currency, where="shipping_cost")
        ship_line = tx.item_line(ctx.account.items.shipping_item, value, description="Shipping")
        lines.append(ship_line)
        tax_lines += _session_taxes(shipping, ship_line, ctx, sid=sid, currency=currency)
    return lines + tax_lines


def _session_taxes(
    entry: Mapping[str, Any],
    line: dict[str, Any],
    ctx: MappingContext,
    *,
    sid: str,
    currency: str,
) -> list[dict[str, Any]]:
    """Tax lines (mode ``lines``), or the tax code and amount set on *line* (``codes``)."""
    mode = ctx.account.options.tax
    out = []
    for tax in entry.get("taxes") or []:
        rate = tax.get("rate") or {}
        inclusive = bool(rate.get("inclusive")) if isinstance(rate, Mapping) else False
        value = tx.amount(tax.get("amount"), currency, where="line tax")
        if mode == "codes":
            rate_id = tx.id_of(rate) or ""
            code = ctx.tax_code_ids.get(rate_id)
            if not code:
                raise exceptions.MappingError(
                    f"no NetSuite tax code for Stripe tax rate {rate_id}",
                    stripe_id=sid,
                    missing=f"tax_code_ids[{rate_id}]",
                )
            if inclusive:
                # Keep amount + tax equal to Stripe's line amount.
                net = line["amount"] - value
                qty, text = line["quantity"], line.get("description")
                line.update(tx.item_line(line["item"]["id"], net, quantity=qty, description=text))
            line["taxCode"] = {"id": code}
            line["tax1Amt"] = line.get("tax1Amt", Decimal(0)) + value
        elif not inclusive or mode == "lines":
            if mode == "none":
                raise exceptions.MappingError(
                    "the session carries exclusive tax but options.tax is 'none'", stripe_id=sid
                )
            if not ctx.account.items.tax_item:
                raise exceptions.MappingError(
                    "the session carries tax but items.tax_item is not set", stripe_id=sid
                )
            if inclusive:
                # The price holds its tax: the line keeps the net, the tax goes to tax.
                net = line["amount"] - value
                qty, text = line["quantity"], line.get("description")
                line.update(tx.item_line(line["item"]["id"], net, quantity=qty, description=text))
            out.append(tx.item_line(ctx.account.items.tax_item, value, description="Tax"))
    return out


def _item(
    entry: Mapping[str, Any],
    key: str | None,
    ctx: MappingContext,
    sid: str,
    keys: list[str] | None = None,
) -> str:
    linked = linked_item(entry)
    if linked:
        return linked[1]
    for candidate in keys or ([key] if key else []):
        if candidate in ctx.item_ids:
            return ctx.item_ids[candidate]
    if ctx.account.items.service_sale_item:
        return ctx.account.items.service_sale_item
    raise exceptions.MappingError(
        f"no NetSuite item for {key or 'an order line'}", stripe_id=sid, missing="item_ids"
    )


def _order_items(order: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if order.get("object") != "order":
        return []
    return [e for e in order.get("items") or [] if isinstance(e, Mapping)]


def _session_items(session: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if session.get("object") != "checkout.session":
        return []
    items = session.get("line_items")
    if not isinstance(items, Mapping):
        raise exceptions.MappingError(
            "the checkout session's line_items are not expanded", stripe_id=str(session.get("id"))
        )
    if items.get("has_more"):
        raise exceptions.MappingError(
            "the checkout session's line_items are not all listed",
            stripe_id=str(session.get("id")),
        )
    return [e for e in items.get("data") or [] if isinstance(e, Mapping)]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
