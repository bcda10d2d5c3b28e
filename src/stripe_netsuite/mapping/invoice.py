"""Stripe invoice → NetSuite invoice, plus what its balance, void and write-off book.

The invoice's lines add up to the Stripe ``total`` exactly: item lines at Stripe's line
amounts (net of tax inside the price), a discount line after each discounted line,
billing-credit lines, a shipping line and, with ``options.tax = lines``, one tax line per
Stripe tax amount. Anything that does not add up raises `MappingError` rather than
posting a wrong invoice. Around it: the credit memo for customer balance applied, the
balance the customer owed carried onto it, a negative total made a customer credit, the
reversal of a voided invoice and the write-off of an uncollectible one.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import lines as doc_lines
from stripe_netsuite.mapping import records
from stripe_netsuite.mapping import transaction as tx
from stripe_netsuite.mapping.context import Dependency, MappingContext
from stripe_netsuite.mapping.records import NetSuiteRecord, sublist

#: externalId prefix of the credit memo for customer balance applied to an invoice.
BALANCE_PREFIX = "bal"
#: externalId prefix of the credit memo offsetting a balance carried onto an invoice.
CARRY_PREFIX = "carry"
#: externalId prefix of the credit memo reversing a voided invoice (link role ``void``).
VOID_PREFIX = "void"
#: externalId prefix of the journal writing an uncollectible invoice off (role ``write_off``).
WRITE_OFF_PREFIX = "wo"


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
    """The NetSuite invoice for a finalized Stripe invoice (a negative total: see
    `map_negative_invoice`, as NetSuite has no negative invoice)."""
    sid, body, lines = _document(invoice, ctx, "invoice")
    currency = tx.currency_of(invoice, sid)
    owed = balance_carried(invoice)
    if owed:
        # What the customer owed is collected with this invoice: carried onto it, so the
        # payment of ``amount_due`` applies in full (`map_carry_credit` clears the journal).
        value = tx.amount(owed, currency, where="invoice.starting_balance")
        item = ctx.require_balance_item(sid)
        lines.append(tx.item_line(item, value, description="Stripe customer balance carried"))
    body["item"] = sublist(lines)
    return NetSuiteRecord("invoice", body["externalId"], body, sid, "invoice", replace=("item",))


def map_negative_invoice(invoice: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """A negative-total invoice as a credit memo (role ``invoice``): its lines turned,
    applied to the balance transfer (``ctx.balance_invoice_id``, `map_negative_transfer`)
    that puts the credit on customer balance, as Stripe does."""
    sid, body, lines = _document(invoice, ctx, "creditMemo")
    total = tx.amount(invoice.get("total"), tx.currency_of(invoice, sid), where="invoice.total")
    if not ctx.balance_invoice_id:
        raise exceptions.MappingError(
            "a negative invoice's balance transfer is not known; post it first",
            stripe_id=sid,
            missing="balance_invoice_id",
        )
    body.pop("dueDate", None)
    body.pop("createdFrom", None)
    body["item"] = sublist([_turned(line) for line in lines])
    body["apply"] = sublist([tx.apply_line(ctx.balance_invoice_id, -total)])
    return NetSuiteRecord(
        "creditMemo", body["externalId"], body, sid, "invoice", replace=("item", "apply")
    )


def is_negative(invoice: Mapping[str, Any]) -> bool:
    """Whether the invoice's total is below zero (a credit, not a sale)."""
    total = invoice.get("total")
    return isinstance(total, int) and total < 0


def _document(
    invoice: Mapping[str, Any], ctx: MappingContext, record_type: str
) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """The header and the lines (adding up to ``total``) of the invoice's main record."""
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
        invoice, ctx, currency=currency, sid=sid, record_type=record_type
    )
    total = tx.amount(invoice.get("total"), currency, where="invoice.total")
    tx.check_total(lines, total, sid=sid)
    body.update(tx.body_fields(ctx, record_type, invoice))
    return sid, body, lines


def map_negative_transfer(invoice: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord | None:
    """For an invoice whose total is negative: the one-line invoice on the customer balance
    item moving that credit to customer balance (role ``balance_transfer``), which the
    credit memo `map_negative_invoice` makes of it pays. None for any other invoice."""
    sid = tx.stripe_id(invoice, "invoice", "in_")
    currency = tx.currency_of(invoice, sid)
    total = tx.amount(invoice.get("total"), currency, where="invoice.total")
    if total >= 0:
        return None
    body = _balance_body(
        invoice, ctx, sid, currency, -total, "negative invoice credited to customer balance"
    )
    return NetSuiteRecord(
        "invoice", body["externalId"], body, sid, "balance_transfer", replace=("item",)
    )


def map_void(invoice: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """The credit memo reversing a voided invoice, applied to its NetSuite invoice.

    Its lines are the invoice's (items, discounts, tax), so every account the invoice
    posted to is reversed; customer balance the invoice had used goes back to customer
    credit (a negative line on the balance item), as Stripe gives it back. Needs
    ``ctx.invoice_id``.
    """
    sid = tx.stripe_id(invoice, "invoice", "in_")
    currency = tx.currency_of(invoice, sid)
    if not ctx.invoice_id:
        raise exceptions.MappingError(
            "the voided invoice's NetSuite invoice is not known",
            stripe_id=sid,
            missing="invoice_id",
        )
    transitions = invoice.get("status_transitions") or {}
    when = transitions.get("voided_at")
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=when if isinstance(when, int) else document_time(invoice),
        role_prefix=VOID_PREFIX,
        memo="invoice voided in Stripe",
    )
    if ctx.account.gl.receivables:
        body["account"] = {"id": ctx.account.gl.receivables}
    lines = doc_lines.document_lines(
        invoice, ctx, currency=currency, sid=sid, record_type="creditMemo"
    )
    total = tx.amount(invoice.get("total"), currency, where="invoice.total")
    tx.check_total(lines, total, sid=sid)
    used = tx.amount(balance_applied(invoice), currency, where="invoice.starting_balance")
    if used:
        item = ctx.require_balance_item(sid)
        lines.append(tx.item_line(item, -used, description="Stripe customer balance returned"))
    body["item"] = sublist(lines)
    credited = tx.amount(
        invoice.get("pre_payment_credit_notes_amount") or 0, currency, where="invoice.credited"
    )
    open_part = total - used - credited
    if open_part > 0:
        body["apply"] = sublist([tx.apply_line(ctx.invoice_id, open_part)])
    return NetSuiteRecord(
        "creditMemo", body["externalId"], body, sid, "void", replace=("item", "apply")
    )


def map_write_off(invoice: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord | None:
    """The journal writing an uncollectible invoice's ``amount_remaining`` off:
    Dr ``gl.bad_debt`` / Cr receivables (the customer). None when nothing remains."""
    sid = tx.stripe_id(invoice, "invoice", "in_")
    currency = tx.currency_of(invoice, sid)
    remaining = tx.amount(
        invoice.get("amount_remaining") or 0, currency, where="invoice.amount_remaining"
    )
    if remaining <= 0:
        return None
    bad_debt, receivables = ctx.account.gl.bad_debt, ctx.account.gl.receivables
    if not bad_debt or not receivables:
        raise exceptions.MappingError(
            "an uncollectible invoice is written off to gl.bad_debt against gl.receivables; "
            "set both",
            stripe_id=sid,
            missing="gl.bad_debt" if not bad_debt else "gl.receivables",
        )
    transitions = invoice.get("status_transitions") or {}
    when = transitions.get("marked_uncollectible_at")
    text = f"uncollectible invoice {_text(invoice.get('number')) or sid} written off"
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=when if isinstance(when, int) else document_time(invoice),
        role_prefix=WRITE_OFF_PREFIX,
        entity_field=None,
        memo=text,
    )
    customer = ctx.require_customer(sid)
    body["line"] = sublist(
        [
            {"account": {"id": bad_debt}, "debit": remaining, "memo": text,
             "entity": dict(customer)},
            {"account": {"id": receivables}, "credit": remaining, "memo": text,
             "entity": dict(customer)},
        ]
    )  # fmt: skip
    return NetSuiteRecord(
        "journalEntry", body["externalId"], body, sid, "write_off", replace=("line",)
    )


def _turned(line: dict[str, Any]) -> dict[str, Any]:
    turned = tx.item_line(
        line["item"]["id"], -line["amount"], quantity=line.get("quantity"),
        description=line.get("description"),
    )  # fmt: skip
    extra = {k: v for k, v in line.items() if k not in turned and k not in ("rate", "quantity")}
    if "tax1Amt" in extra:
        extra["tax1Amt"] = -extra["tax1Amt"]
    return {**extra, **turned}


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


def balance_carried(invoice: Mapping[str, Any]) -> int:
    """What the customer owed (a positive ``starting_balance``, minor units) that Stripe
    added to this invoice's ``amount_due``; 0 when none."""
    start = invoice.get("starting_balance")
    if not isinstance(start, int) or isinstance(start, bool) or start <= 0:
        return 0
    total = invoice.get("total")
    return start if isinstance(total, int) and total >= 0 else 0


def map_carry_credit(invoice: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord | None:
    """The credit memo taking a carried balance out of the customer-credit account again.

    The hand debit that made the balance (`customer_balance.map_adjustment`: Dr receivables)
    is already a receivable; the invoice carries it too (a line on the balance item), so
    this memo (Dr customer credit / Cr receivables, left to offset that journal) keeps it
    counted once. None when the invoice carries nothing.
    """
    sid = tx.stripe_id(invoice, "invoice", "in_")
    owed = balance_carried(invoice)
    if not owed:
        return None
    currency = tx.currency_of(invoice, sid)
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=document_time(invoice),
        role_prefix=CARRY_PREFIX,
        memo="customer balance carried to the invoice",
    )
    if ctx.account.gl.receivables:
        body["account"] = {"id": ctx.account.gl.receivables}
    value = tx.amount(owed, currency, where="invoice.starting_balance")
    item = ctx.require_balance_item(sid)
    body["item"] = sublist([tx.item_line(item, value, description="Stripe customer balance")])
    return NetSuiteRecord(
        "creditMemo", body["externalId"], body, sid, "balance_carry", replace=("item",)
    )


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
    body = _balance_body(invoice, ctx, sid, currency, value, "customer balance applied")
    body["apply"] = sublist([tx.apply_line(ctx.invoice_id, value)])
    return NetSuiteRecord("creditMemo", body["externalId"], body, sid, "balance_credit")


def _balance_body(
    invoice: Mapping[str, Any],
    ctx: MappingContext,
    sid: str,
    currency: str,
    value: Decimal,
    memo: str,
) -> dict[str, Any]:
    """A one-line document on the customer balance item, against receivables: how the
    balance moves between an invoice and customer credit."""
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=document_time(invoice),
        role_prefix=BALANCE_PREFIX,
        memo=memo,
    )
    if ctx.account.gl.receivables:
        body["account"] = {"id": ctx.account.gl.receivables}
    item = ctx.require_balance_item(sid)
    body["item"] = sublist([tx.item_line(item, value, description="Stripe customer balance")])
    return body


def _coupons(invoice: Mapping[str, Any]) -> list[str]:
    sources = doc_lines.discount_sources(invoice)
    refs = [e.get("discount") for e in invoice.get("total_discount_amounts") or []]
    coupons = [tx.coupon_of(r, sources) for r in refs]
    return [c for c in coupons if c]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
