"""Stripe invoice → NetSuite invoice, plus a credit memo for customer balance applied.

The invoice's lines add up to the Stripe ``total`` exactly: item lines at Stripe's line
amounts, a discount line after each discounted line, billing-credit lines, a shipping
line and, with ``options.tax = lines``, one tax line per Stripe tax amount. Anything that
does not add up raises `MappingError` rather than posting a wrong invoice.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import records
from stripe_netsuite.mapping import transaction as tx
from stripe_netsuite.mapping.context import Dependency, MappingContext
from stripe_netsuite.mapping.metadata import metadata_of
from stripe_netsuite.mapping.records import NetSuiteRecord, sublist

#: externalId prefix of the credit memo for customer balance applied to an invoice.
BALANCE_PREFIX = "bal"


def dependencies(invoice: Mapping[str, Any]) -> list[Dependency]:
    """The customer, each line's price (or product) and each coupon used."""
    deps = [Dependency("customer", cid)] if (cid := tx.id_of(invoice.get("customer"))) else []
    for line in _lines(invoice):
        keys = tx.price_keys(line)
        if keys:
            kind = "product" if keys[0].startswith("prod_") else "price"
            deps.append(Dependency(kind, keys[0]))
    for coupon in _coupons(invoice):
        deps.append(Dependency("coupon", coupon))
    unique: list[Dependency] = []
    for dep in deps:
        if dep not in unique:
            unique.append(dep)
    return unique


def map_invoice(invoice: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """The NetSuite invoice for a finalized Stripe invoice."""
    sid = tx.stripe_id(invoice, "invoice", "in_")
    currency = tx.currency_of(invoice, sid)
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=document_time(invoice),
        memo=_text(invoice.get("description")),
    )
    if isinstance(invoice.get("due_date"), int):
        body["dueDate"] = records.tran_date(invoice["due_date"])
    if _text(invoice.get("number")):
        body["otherRefNum"] = _text(invoice.get("number"))
    if ctx.account.gl.receivables:
        body["account"] = {"id": ctx.account.gl.receivables}
    if ctx.sales_order_id:
        body["createdFrom"] = {"id": ctx.sales_order_id}
    lines = invoice_lines(invoice, ctx, currency=currency, sid=sid)
    tx.check_total(lines, tx.amount(invoice.get("total"), currency, where="invoice.total"), sid=sid)
    body["item"] = sublist(lines)
    body.update(tx.body_fields(ctx, "invoice", invoice))
    return NetSuiteRecord("invoice", body["externalId"], body, sid, "invoice", replace=("item",))


def document_time(invoice: Mapping[str, Any]) -> int:
    """The invoice's accounting date: ``effective_at``, else finalization, else creation."""
    transitions = invoice.get("status_transitions") or {}
    for value in (
        invoice.get("effective_at"),
        transitions.get("finalized_at"),
        invoice.get("created"),
    ):
        if isinstance(value, int):
            return value
    raise exceptions.MappingError("the invoice has no date", stripe_id=str(invoice.get("id")))


def balance_applied(invoice: Mapping[str, Any]) -> int:
    """Customer credit (minor units) Stripe used to pay the invoice; 0 when none.

    A negative balance is credit: the invoice consumed ``ending - starting``. A positive
    starting balance (the customer owed money) adds to ``amount_due`` but is not credit.
    """
    start, end = invoice.get("starting_balance"), invoice.get("ending_balance")
    if not isinstance(start, int) or not isinstance(end, int):
        return 0
    return max(end - start, 0) if start < 0 else 0


def map_balance_credit(invoice: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord | None:
    """A credit memo for the customer balance Stripe applied, applied to the NetSuite invoice.

    None when no balance was applied. Needs ``ctx.invoice_id`` (post the invoice first)
    and ``ctx.customer_balance_item_id``.
    """
    sid = tx.stripe_id(invoice, "invoice", "in_")
    used = balance_applied(invoice)
    if not used:
        return None
    currency = tx.currency_of(invoice, sid)
    value = tx.amount(used, currency, where="invoice.starting_balance")
    if not ctx.invoice_id:
        raise exceptions.MappingError(
            "the NetSuite invoice is not known; post the invoice before its balance credit",
            stripe_id=sid,
            missing="invoice_id",
        )
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=document_time(invoice),
        role_prefix=BALANCE_PREFIX,
        memo="customer balance applied",
    )
    if ctx.account.gl.receivables:
        body["account"] = {"id": ctx.account.gl.receivables}
    item = ctx.require_balance_item(sid)
    body["item"] = sublist([tx.item_line(item, value, description="Stripe customer balance")])
    body["apply"] = sublist([tx.apply_line(ctx.invoice_id, value)])
    return NetSuiteRecord("creditMemo", body["externalId"], body, sid, "balance_credit")


def invoice_lines(
    invoice: Mapping[str, Any], ctx: MappingContext, *, currency: str, sid: str
) -> list[dict[str, Any]]:
    """Every NetSuite line of the invoice, in Stripe's order."""
    tax_mode = ctx.account.options.tax
    sources = _discount_sources(invoice)
    meta = metadata_of(invoice)
    lines: list[dict[str, Any]] = []
    per_line_discounts = Decimal(0)
    for stripe_line in _lines(invoice):
        line_meta = metadata_of(stripe_line)
        extra = tx.line_fields(ctx, "invoice", line_meta, meta)
        value = tx.amount(
            stripe_line.get("amount"), currency, where=f"line {stripe_line.get('id')}"
        )
        line = tx.item_line(
            tx.line_item_id(stripe_line, ctx, owner=sid),
            value,
            quantity=_quantity(stripe_line),
            description=_text(stripe_line.get("description")),
            period=stripe_line.get("period"),
        )
        if tax_mode == "codes":
            _code_line_tax(line, stripe_line, ctx, currency=currency, sid=sid)
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
            "the invoice carries exclusive tax but options.tax is 'none'", stripe_id=sid
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
    entries = [e for e in invoice.get("total_discount_amounts") or [] if e.get("amount")]
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
    return [line]


def _doc_taxes(invoice: Mapping[str, Any]) -> list[tx.Tax]:
    return tx.taxes(invoice, "total_taxes", "total_tax_amounts")


def _tax_lines(
    invoice: Mapping[str, Any], ctx: MappingContext, *, currency: str, sid: str
) -> list[dict[str, Any]]:
    """One line per exclusive tax amount; inclusive tax is already inside the line amounts."""
    lines = []
    for tax in _doc_taxes(invoice):
        if tax.inclusive or not tax.amount:
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
    code = ctx.tax_code_ids.get(key)
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


def _lines(invoice: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    lines = invoice.get("lines")
    if not isinstance(lines, Mapping):
        return []
    if lines.get("has_more"):
        raise exceptions.MappingError(
            "the invoice's lines are not all listed; fetch every page of lines first",
            stripe_id=str(invoice.get("id")),
        )
    return [ln for ln in lines.get("data") or [] if isinstance(ln, Mapping)]


def _discount_sources(invoice: Mapping[str, Any]) -> list[Any]:
    sources = list(invoice.get("discounts") or [])
    for line in _lines(invoice):
        sources += list(line.get("discounts") or [])
    return sources


def _coupons(invoice: Mapping[str, Any]) -> list[str]:
    sources = _discount_sources(invoice)
    refs = [e.get("discount") for e in invoice.get("total_discount_amounts") or []]
    coupons = [tx.coupon_of(r, sources) for r in refs]
    return [c for c in coupons if c]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
