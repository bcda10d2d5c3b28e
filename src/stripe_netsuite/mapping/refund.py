"""Stripe refund → NetSuite credit memo (for invoiced charges) + customer refund.

A refund of an invoiced charge reverses what the sale posted with a credit memo (the
invoice's lines and tax, pro rata: `mapping.reversal`), and a customer refund paid from
the Stripe clearing account consumes that credit. A refund of a payment left unapplied
is a customer refund applied to the payment itself. Each refund, partial or full, has its
own records, so several refunds of one charge never collide. A refund that fails after it
succeeded is booked back the other way round (`map_refund_failure`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import reversal
from stripe_netsuite.mapping import transaction as tx
from stripe_netsuite.mapping.context import Dependency, MappingContext
from stripe_netsuite.mapping.metadata import linked_id, linked_item, metadata_of
from stripe_netsuite.mapping.records import NetSuiteRecord, sublist

#: externalId prefix of the credit memo a refund makes.
CREDIT_MEMO_PREFIX = "cm"


def dependencies(refund: Mapping[str, Any]) -> list[Dependency]:
    """The refunded charge (its payment, and through it the customer and invoice)."""
    charge = tx.id_of(refund.get("charge"))
    return [Dependency("charge", charge)] if charge else []


def needs_credit_memo(refund: Mapping[str, Any], ctx: MappingContext) -> bool:
    """Whether the refund gets a credit memo: its charge paid a NetSuite invoice.

    A ``netsuite_credit_memo_id`` on the refund, or a credit memo already known for it
    (its credit note's, see `credit_note.refund_targets`), means none is needed.
    """
    sid = tx.id_of(refund.get("id")) or ""
    known = linked_id(refund, "credit_memo") or ctx.credit_memo_ids.get(sid)
    return bool(ctx.invoice_id) and not known


def map_refund_credit_memo(
    refund: Mapping[str, Any],
    ctx: MappingContext,
    *,
    sale: Sequence[reversal.SaleLine] = (),
) -> NetSuiteRecord:
    """The credit memo reversing the refunded part of the sale's lines (*sale*: the
    NetSuite invoice's lines), pro rata; one refund-item line when the sale is unknown."""
    sid = tx.stripe_id(refund, "refund", ("re_", "pyr_"))
    currency = tx.currency_of(refund, sid)
    return credit_memo(
        ctx,
        sid=sid,
        currency=currency,
        when=_when(refund, sid),
        value=_amount(refund, sid),
        text=f"Refund {sid}",
        source=refund,
        balance_transaction=refund.get("balance_transaction"),
        sale=sale,
    )


def map_customer_refund(refund: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """The customer refund, applied to the refund's credit memo or to the charge's payment."""
    sid = tx.stripe_id(refund, "refund", ("re_", "pyr_"))
    currency = tx.currency_of(refund, sid)
    charge = tx.id_of(refund.get("charge"))
    target = linked_id(refund, "credit_memo") or ctx.credit_memo_ids.get(sid)
    if not target:
        if needs_credit_memo(refund, ctx):
            raise exceptions.MappingError(
                "the refund's credit memo is not known; post it first",
                stripe_id=sid,
                missing=f"credit_memo_ids[{sid}]",
            )
        if not charge:
            raise exceptions.MappingError("the refund names no charge", stripe_id=sid)
        target = ctx.lookup("payment_ids", charge, owner=sid)
    return customer_refund(
        ctx,
        sid=sid,
        currency=currency,
        when=_when(refund, sid),
        value=_amount(refund, sid),
        apply_to=target,
        source=refund,
        balance_transaction=refund.get("balance_transaction"),
        memo=_text(refund.get("reason")) or None,
    )


#: externalId prefixes of what books a failed refund back.
FAILURE_INVOICE_PREFIX = "rfinv"
FAILURE_PREFIX = "rf"


def failed(refund: Mapping[str, Any]) -> bool:
    """Whether Stripe reports the refund failed (after it had succeeded)."""
    return refund.get("status") == "failed"


def map_refund_failure_invoice(
    refund: Mapping[str, Any],
    ctx: MappingContext,
    *,
    sale: Sequence[reversal.SaleLine] = (),
) -> NetSuiteRecord:
    """For a failed refund that had a credit memo: an invoice booking the same lines again,
    so the sale's revenue, tax and receivable stand as before the refund."""
    sid = tx.stripe_id(refund, "refund", ("re_", "pyr_"))
    return credit_memo(
        ctx,
        sid=sid,
        currency=tx.currency_of(refund, sid),
        when=_failed_at(refund, sid),
        value=_amount(refund, sid),
        text=f"Refund {sid} failed",
        source=refund,
        balance_transaction=refund.get("failure_balance_transaction"),
        prefix=FAILURE_INVOICE_PREFIX,
        sale=sale,
        record_type="invoice",
        role="refund_failure_invoice",
    )


def map_refund_failure(
    refund: Mapping[str, Any], ctx: MappingContext, *, apply_to: str | None
) -> NetSuiteRecord:
    """The money of a failed refund coming back: a customer payment into Stripe clearing
    (the account the refund was paid from, and which the ``refund_failure`` balance
    transaction's deposit line clears), applied to *apply_to* (the failure invoice) when
    the refund had a credit memo, else left unapplied against the customer refund."""
    sid = tx.stripe_id(refund, "refund", ("re_", "pyr_"))
    currency = tx.currency_of(refund, sid)
    value = _amount(refund, sid)
    reason = _text(refund.get("failure_reason")) or "refund failed"
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=_failed_at(refund, sid),
        role_prefix=FAILURE_PREFIX,
        entity_field="customer",
        memo=f"refund failed ({reason})",
    )
    body["payment"] = value
    tx.put_exchange_rate(body, ctx, refund.get("failure_balance_transaction"), currency)
    clearing = ctx.account.gl.stripe_clearing
    if clearing:
        body["undepFunds"] = False
        body["account"] = {"id": clearing}
    else:
        body["undepFunds"] = True
    if ctx.account.gl.receivables:
        body["arAcct"] = {"id": ctx.account.gl.receivables}
    if apply_to:
        body["apply"] = sublist([tx.apply_line(apply_to, value)])
    body.update(tx.body_fields(ctx, "customerPayment", refund))
    return NetSuiteRecord(
        "customerPayment",
        body["externalId"],
        body,
        sid,
        "refund_failure",
        replace=("apply",) if apply_to else (),
    )


def credit_memo(
    ctx: MappingContext,
    *,
    sid: str,
    currency: str,
    when: int,
    value: Decimal,
    text: str,
    source: Mapping[str, Any],
    balance_transaction: Any = None,
    prefix: str = CREDIT_MEMO_PREFIX,
    sale: Sequence[reversal.SaleLine] = (),
    record_type: str = "creditMemo",
    role: str = "credit_memo",
) -> NetSuiteRecord:
    """A credit memo for *value*, left open for a customer refund to consume.

    Its lines are the sale's, pro rata, when *sale* is given, else one line on the
    refund item. With ``record_type = "invoice"`` the same lines book the sale again
    (a won dispute, a failed refund).
    """
    body = tx.header(ctx, sid=sid, currency=currency, when=when, role_prefix=prefix, memo=text)
    tx.put_exchange_rate(body, ctx, balance_transaction, currency)
    if ctx.account.gl.receivables:
        body["account"] = {"id": ctx.account.gl.receivables}
    if sale:
        lines = reversal.pro_rata(sale, value, currency=currency, sid=sid, text=text)
    else:
        lines = [tx.item_line(refund_item(ctx, source, sid), value, description=text)]
    extra = tx.line_fields(ctx, record_type, metadata_of(source))
    for line in lines:
        line.update(extra)
    tx.check_total(lines, value, sid=sid)
    body["item"] = sublist(lines)
    body.update(tx.body_fields(ctx, record_type, source))
    return NetSuiteRecord(record_type, body["externalId"], body, sid, role, replace=("item",))


def customer_refund(
    ctx: MappingContext,
    *,
    sid: str,
    currency: str,
    when: int,
    value: Decimal,
    apply_to: str | None,
    source: Mapping[str, Any],
    balance_transaction: Any = None,
    memo: str | None = None,
    prefix: str | None = None,
    account: str | None = None,
    role: str = "refund",
) -> NetSuiteRecord:
    """A customer refund of *value* paid from the Stripe clearing account (or *account*)."""
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=when,
        role_prefix=prefix,
        entity_field="customer",
        memo=memo,
    )
    tx.put_exchange_rate(body, ctx, balance_transaction, currency)
    paid_from = account or ctx.account.gl.stripe_clearing
    if paid_from:
        body["account"] = {"id": paid_from}
    if ctx.account.gl.receivables:
        body["arAcct"] = {"id": ctx.account.gl.receivables}
    if apply_to:
        body["apply"] = sublist([tx.apply_line(apply_to, value)])
    body.update(tx.body_fields(ctx, "customerRefund", source))
    return NetSuiteRecord(
        "customerRefund",
        body["externalId"],
        body,
        sid,
        role,
        replace=("apply",) if apply_to else (),
    )


def refund_item(ctx: MappingContext, source: Mapping[str, Any], sid: str) -> str:
    """The item of a refund line: item metadata on the object, else ``ctx.refund_item_id``,
    else the account's generic service item."""
    linked = linked_item(source)
    if linked:
        return linked[1]
    found = ctx.refund_item_id or ctx.account.items.service_sale_item
    if not found:
        raise exceptions.MappingError(
            "no item for refund lines: neither a refund item nor items.service_sale_item",
            stripe_id=sid,
            missing="refund_item_id",
        )
    return found


def _amount(refund: Mapping[str, Any], sid: str) -> Decimal:
    return tx.amount(refund.get("amount"), tx.currency_of(refund, sid), where="refund.amount")


def _when(obj: Mapping[str, Any], sid: str) -> int:
    created = obj.get("created")
    if not isinstance(created, int):
        raise exceptions.MappingError("the object has no created time", stripe_id=sid)
    return created


def _failed_at(refund: Mapping[str, Any], sid: str) -> int:
    bt = tx.expanded(refund.get("failure_balance_transaction"))
    if bt and isinstance(bt.get("created"), int):
        return int(bt["created"])
    return _when(refund, sid)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
