"""The lines of an invoice-like Stripe document (invoice, credit note) as NetSuite lines.

Item lines at Stripe's line amounts, a discount line after each discounted line,
billing-credit lines, a shipping line and, with ``options.tax = lines``, one tax line
per Stripe tax amount (a tax-inclusive line is booked at its net, its tax on the tax
line); with ``codes``, a tax code and Stripe's tax on each line (inclusive tax likewise
taken out of the amount). The result adds up to the document's ``total`` (checked by the callers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import transaction as tx
from stripe_netsuite.mapping.context import MappingContext
from stripe_netsuite.mapping.metadata import metadata_of


def document_lines(
    doc: Mapping[str, Any],
    ctx: MappingContext,
    *,
    currency: str,
    sid: str,
    record_type: str,
    item_for: Callable[[Mapping[str, Any]], str] | None = None,
) -> list[dict[str, Any]]:
    """Every NetSuite line of an invoice or credit note, in Stripe's order.

    *item_for* picks a Stripe line's item (by default: metadata link, price, product,
    generic service item).
    """
    invoice = doc
    tax_mode = ctx.account.options.tax
    sources = discount_sources(invoice)
    meta = metadata_of(invoice)
    lines: list[dict[str, Any]] = []
    per_line_discounts = Decimal(0)
    for stripe_line in stripe_lines(invoice):
        line_meta = metadata_of(stripe_line)
        extra = tx.line_fields(ctx, record_type, line_meta, meta)
        value = tx.amount(
            stripe_line.get("amount"), currency, where=f"line {stripe_line.get('id')}"
        )
        line = tx.item_line(
            item_for(stripe_line) if item_for else tx.line_item_id(stripe_line, ctx, owner=sid),
            value,
            quantity=_quantity(stripe_line),
            description=_text(stripe_line.get("description")),
            period=stripe_line.get("period"),
        )
        if tax_mode == "codes":
            _code_line_tax(line, stripe_line, ctx, currency=currency, sid=sid)
        elif tax_mode == "lines":
            _take_out_inclusive(line, stripe_line, currency=currency)
        lines.append({**line, **extra})
        for entry in stripe_line.get("discount_amounts") or []:
            if not entry.get("amount"):
                continue
            off = tx.amount(entry["amount"], currency, where="discount_amounts.amount")
            per_line_discounts += off
            coupon = tx.coupon_of(entry.get("discount"), sources)
            lines.append(_discount_line(coupon, off, ctx, sid, line, extra))
        for entry in stripe_line.get("pretax_credit_amounts") or []:
            if entry.get("type") == "credit_balance_transaction" and entry.get("amount"):
                off = tx.amount(entry["amount"], currency, where="pretax_credit_amounts.amount")
                lines.append(_credit_line(off, ctx, sid, line, extra))
    lines += _invoice_level_discounts(invoice, ctx, per_line_discounts, currency, sid, sources)
    lines += _shipping_lines(invoice, ctx, currency=currency, sid=sid)
    if tax_mode == "lines":
        lines += _tax_lines(invoice, ctx, currency=currency, sid=sid)
    elif tax_mode == "none" and any(not t.inclusive and t.amount for t in _doc_taxes(invoice)):
        raise exceptions.MappingError(
            "the document carries exclusive tax but options.tax is 'none'", stripe_id=sid
        )
    return lines


def _quantity(line: Mapping[str, Any]) -> Decimal:
    raw = line.get("quantity_decimal") or line.get("quantity")
    return Decimal(str(raw)) if raw is not None else Decimal(1)


def _discount_line(
    coupon: str | None,
    off: Decimal,
    ctx: MappingContext,
    sid: str,
    after: Mapping[str, Any] | None,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    item = tx.discount_item_id(coupon, ctx, owner=sid)
    line = tx.item_line(item, -off, description=f"Discount {coupon}" if coupon else "Discount")
    if after is not None:
        # Same service period as the line it reduces, so revenue is recognised net.
        for key in ("revRecStartDate", "revRecEndDate"):
            if key in after:
                line[key] = after[key]
    return {**line, **extra}


def _credit_line(
    off: Decimal, ctx: MappingContext, sid: str, after: Mapping[str, Any], extra: Mapping[str, Any]
) -> dict[str, Any]:
    line = tx.item_line(ctx.require_balance_item(sid), -off, description="Stripe billing credit")
    for key in ("revRecStartDate", "revRecEndDate"):
        if key in after:
            line[key] = after[key]
    return {**line, **extra}


def _invoice_level_discounts(
    invoice: Mapping[str, Any],
    ctx: MappingContext,
    per_line: Decimal,
    currency: str,
    sid: str,
    sources: list[Any],
) -> list[dict[str, Any]]:
    """Discounts not already placed after their lines (lines not listed, older payloads)."""
    total = Decimal(0)
    # Invoices list them as total_discount_amounts, credit notes as discount_amounts.
    raw = invoice.get("total_discount_amounts")
    if raw is None and invoice.get("object") == "credit_note":
        raw = invoice.get("discount_amounts")
    entries = [e for e in raw or [] if e.get("amount")]
    for entry in entries:
        total += tx.amount(entry["amount"], currency, where="total_discount_amounts.amount")
    if total == per_line:
        return []
    if per_line:
        raise exceptions.MappingError(
            f"line discounts add up to {per_line} but the invoice's discounts to {total}",
            stripe_id=sid,
        )
    return [
        _discount_line(
            tx.coupon_of(e.get("discount"), sources),
            tx.amount(e["amount"], currency, where="total_discount_amounts.amount"),
            ctx,
            sid,
            None,
            {},
        )
        for e in entries
    ]


def _shipping_lines(
    invoice: Mapping[str, Any], ctx: MappingContext, *, currency: str, sid: str
) -> list[dict[str, Any]]:
    cost = invoice.get("shipping_cost")
    raw = invoice.get("amount_shipping")
    if not raw and isinstance(cost, Mapping):
        raw = cost.get("amount_subtotal")
    if not raw:
        return []
    item = ctx.account.items.shipping_item
    if not item:
        raise exceptions.MappingError(
            "the invoice has shipping but items.shipping_item is not set", stripe_id=sid
        )
    line = tx.item_line(
        item, tx.amount(raw, currency, where="amount_shipping"), description="Shipping"
    )
    if ctx.account.options.tax == "codes" and isinstance(cost, Mapping):
        _code_line_tax(line, cost, ctx, currency=currency, sid=sid)
    elif ctx.account.options.tax == "lines" and isinstance(cost, Mapping):
        _take_out_inclusive(line, cost, currency=currency)
    return [line]


def _doc_taxes(invoice: Mapping[str, Any]) -> list[tx.Tax]:
    found = tx.taxes(invoice, "total_taxes", "total_tax_amounts")
    if found:
        return found
    # Some payloads (older credit notes) carry taxes on the lines only.
    for line in stripe_lines(invoice):
        found += tx.taxes(line, "taxes", "tax_amounts")
    return found


def _inclusive_tax(source: Mapping[str, Any], currency: str) -> Decimal:
    found = tx.taxes(source, "taxes", "tax_amounts")
    return sum(
        (tx.amount(t.amount, currency, where="taxes") for t in found if t.inclusive), Decimal(0)
    )


def _take_out_inclusive(line: dict[str, Any], source: Mapping[str, Any], *, currency: str) -> None:
    """``options.tax = lines``: the tax inside a tax-inclusive price leaves the item line.

    The line keeps its net (amount less the inclusive tax, so income is booked net) and
    the tax goes out on the tax lines with the exclusive tax.
    """
    inclusive = _inclusive_tax(source, currency)
    if not inclusive:
        return
    kept: dict[str, Any] = {k: line[k] for k in ("revRecStartDate", "revRecEndDate") if k in line}
    line.update(
        tx.item_line(
            line["item"]["id"],
            line["amount"] - inclusive,
            quantity=line["quantity"],
            description=line.get("description"),
        )
    )
    line.update(kept)


def _tax_lines(
    invoice: Mapping[str, Any], ctx: MappingContext, *, currency: str, sid: str
) -> list[dict[str, Any]]:
    """One line per Stripe tax amount, inclusive ones taken out of their lines first.

    An inclusive tax the lines do not carry (a payload with document totals only) cannot
    be taken out of any line, so it is refused rather than booked twice.
    """
    lines = []
    inside = sum((_inclusive_tax(ln, currency) for ln in stripe_lines(invoice)), Decimal(0))
    cost = invoice.get("shipping_cost")
    if isinstance(cost, Mapping):
        inside += _inclusive_tax(cost, currency)
    doc_taxes = _doc_taxes(invoice)
    named = sum(
        (tx.amount(t.amount, currency, where="total_taxes") for t in doc_taxes if t.inclusive),
        Decimal(0),
    )
    if named != inside:
        raise exceptions.MappingError(
            f"the document's inclusive tax is {named} but its lines carry {inside}",
            stripe_id=sid,
        )
    for tax in doc_taxes:
        if not tax.amount:
            continue
        item = ctx.account.items.tax_item
        if not item:
            raise exceptions.MappingError(
                "the invoice carries tax but items.tax_item is not set", stripe_id=sid
            )
        text = f"Tax {tax.rate_id}" if tax.rate_id else "Tax"
        lines.append(
            tx.item_line(
                item, tx.amount(tax.amount, currency, where="total_taxes"), description=text
            )
        )
    return lines


def _code_line_tax(
    line: dict[str, Any], source: Mapping[str, Any], ctx: MappingContext, *, currency: str, sid: str
) -> None:
    """``options.tax = codes``: the line's tax code and Stripe's tax amount on the line.

    An inclusive tax is taken out of the amount so amount + tax stays Stripe's figure.
    """
    found = tx.taxes(source, "taxes", "tax_amounts")
    if not found:
        return
    rate_ids = {t.rate_id for t in found}
    if len(rate_ids) > 1:
        # NetSuite's legacy tax takes one code per line; a combined rate needs a tax group.
        key = "+".join(sorted(r or "" for r in rate_ids))
    else:
        key = next(iter(rate_ids)) or ""
    code = ctx.tax_code_ids.get(key) or ctx.tax_code_ids.get("*")
    if not code:
        raise exceptions.MappingError(
            f"no NetSuite tax code for Stripe tax rate {key or '(automatic tax)'}",
            stripe_id=sid,
            missing=f"tax_code_ids[{key}]",
        )
    inclusive = sum(
        (tx.amount(t.amount, currency, where="taxes") for t in found if t.inclusive), Decimal(0)
    )
    exclusive = sum(
        (tx.amount(t.amount, currency, where="taxes") for t in found if not t.inclusive), Decimal(0)
    )
    if inclusive:
        net = line["amount"] - inclusive
        line.update(
            tx.item_line(
                line["item"]["id"],
                net,
                quantity=line["quantity"],
                description=line.get("description"),
            )
        )
    line["taxCode"] = {"id": code}
    line["tax1Amt"] = inclusive + exclusive


def stripe_lines(invoice: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    lines = invoice.get("lines")
    if not isinstance(lines, Mapping):
        return []
    if lines.get("has_more"):
        raise exceptions.MappingError(
            "the invoice's lines are not all listed; fetch every page of lines first",
            stripe_id=str(invoice.get("id")),
        )
    return [ln for ln in lines.get("data") or [] if isinstance(ln, Mapping)]


def discount_sources(invoice: Mapping[str, Any]) -> list[Any]:
    sources = list(invoice.get("discounts") or [])
    for line in stripe_lines(invoice):
        sources += list(line.get("discounts") or [])
    return sources


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
