"""Stripe invoice → NetSuite invoice, plus a credit memo for customer balance applied.

The invoice's lines add up to the Stripe ``total`` exactly: item lines at Stripe's line
amounts, a discount line after each discounted line, billing-credit lines, a shipping
line and, with ``options.tax = lines``, one tax line per Stripe tax amount. Anything that
does not add up raises `MappingError` rather than posting a wrong invoice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import lines as doc_lines
from stripe_netsuite.mapping import records
from stripe_netsuite.mapping import transaction as tx
from stripe_netsuite.mapping.context import Dependency, MappingContext
from stripe_netsuite.mapping.records import NetSuiteRecord, sublist

#: externalId prefix of the credit memo for customer balance applied to an invoice.
BALANCE_PREFIX = "bal"


def dependencies(invoice: Mapping[str, Any]) -> list[Dependency]:
    """The customer, each line's price (or product) and each coupon used."""
    deps = [Dependency("customer", cid)] if (cid := tx.id_of(invoice.get("customer"))) else []
    for line in doc_lines.stripe_lines(invoice):
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
    lines = doc_lines.document_lines(
        invoice, ctx, currency=currency, sid=sid, record_type="invoice"
    )
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


def _coupons(invoice: Mapping[str, Any]) -> list[str]:
    sources = doc_lines.discount_sources(invoice)
    refs = [e.get("discount") for e in invoice.get("total_discount_amounts") or []]
    coupons = [tx.coupon_of(r, sources) for r in refs]
    return [c for c in coupons if c]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
