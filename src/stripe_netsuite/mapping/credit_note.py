"""Stripe credit note → NetSuite credit memo, and what consumes its credit.

The credit memo reverses the credited lines (its lines add up to the credit note's
``total``). Its credit is then used the way Stripe used it:

* ``pre_payment_amount``: applied to the open NetSuite invoice;
* ``refund_amount``: consumed by the customer refunds of the Stripe refunds the credit
  note lists (posted by the refund mapping with their own ids; `refund_targets` tells
  the flow which credit memo they apply to), so a refund is never booked twice;
* the customer-balance part: moved to customer balance by a one-line invoice on the
  customer balance item (role ``balance_transfer``), which the credit memo pays; the
  invoice balance-credit memo later draws on the same item. Stripe names it by
  ``customer_balance_transaction`` (the balance transaction's id, or the object when
  expanded; the credit is minus its amount), not by an amount field of its own;
* ``out_of_band_amount``: a customer refund paid from the suspense account, for the
  accountant to reclassify to wherever the money really left.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stripe_netsuite import exceptions
from stripe_netsuite.mapping import lines as doc_lines
from stripe_netsuite.mapping import refund as refunds
from stripe_netsuite.mapping import transaction as tx
from stripe_netsuite.mapping.context import Dependency, MappingContext
from stripe_netsuite.mapping.metadata import linked_item
from stripe_netsuite.mapping.records import NetSuiteRecord, sublist

#: externalId prefix of the invoice moving credit to customer balance.
BALANCE_PREFIX = "bal"
#: externalId prefix of the customer refund for an out-of-band amount.
OUT_OF_BAND_PREFIX = "oob"
#: externalId prefix of the invoice reversing a voided credit note.
VOID_PREFIX = "void"


@dataclass(frozen=True)
class Split:
    """How a credit note's total is used, in minor units."""

    pre_payment: int
    refund: int
    credit: int
    out_of_band: int


def dependencies(credit_note: Mapping[str, Any]) -> list[Dependency]:
    """The customer and the credited invoice."""
    deps = []
    if customer := tx.id_of(credit_note.get("customer")):
        deps.append(Dependency("customer", customer))
    if invoice := tx.id_of(credit_note.get("invoice")):
        deps.append(Dependency("invoice", invoice))
    return deps


def split(credit_note: Mapping[str, Any], *, balance_credit: int | None = None) -> Split:
    """The pre-payment, refund, credit and out-of-band parts of the credit note.

    The credit part is *balance_credit* (minor units) when given, else minus the amount
    of an expanded ``customer_balance_transaction``, else ``credit_amount``; a
    ``customer_balance_transaction`` left as an id with no *balance_credit* is a
    `MappingError`, never a guess. Older payloads without ``pre_payment_amount`` are all
    pre-payment (``type`` = ``pre_payment``) or all post-payment; a post-payment
    remainder that no field names is taken as refunded.
    """
    sid = str(credit_note.get("id"))
    total = _int(credit_note, "total")
    if isinstance(credit_note.get("pre_payment_amount"), int):
        pre = int(credit_note["pre_payment_amount"])
    else:
        pre = total if credit_note.get("type") == "pre_payment" else 0
    post = credit_note.get("post_payment_amount")
    post = int(post) if isinstance(post, int) else total - pre
    credit = _balance_credit(credit_note, sid) if balance_credit is None else balance_credit
    oob = _int(credit_note, "out_of_band_amount")
    refund = credit_note.get("refund_amount")
    refund = int(refund) if isinstance(refund, int) else post - credit - oob
    if pre + post != total or refund + credit + oob != post or min(pre, refund, credit, oob) < 0:
        raise exceptions.MappingError(
            f"the credit note's parts do not add up: pre {pre} + refund {refund} + credit "
            f"{credit} + out of band {oob} against total {total}",
            stripe_id=sid,
        )
    return Split(pre, refund, credit, oob)


def map_credit_note(credit_note: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """The credit memo, applied to the invoice (pre-payment part) and to the balance
    transfer invoice (credit part); ``ctx.invoice_id`` / ``ctx.balance_invoice_id``."""
    sid = tx.stripe_id(credit_note, "credit note", "cn_")
    currency = tx.currency_of(credit_note, sid)
    parts = split(credit_note)
    when = _when(credit_note, sid)
    body = tx.header(ctx, sid=sid, currency=currency, when=when, memo=_memo(credit_note))
    if ctx.account.gl.receivables:
        body["account"] = {"id": ctx.account.gl.receivables}
    if _text(credit_note.get("number")):
        body["otherRefNum"] = _text(credit_note.get("number"))

    lines = _lines(credit_note, ctx, sid=sid, currency=currency, record_type="creditMemo")
    body["item"] = sublist(lines)
    applies = []
    if parts.pre_payment:
        invoice = ctx.invoice_id
        if not invoice:
            raise exceptions.MappingError(
                "the credited NetSuite invoice is not known", stripe_id=sid, missing="invoice_id"
            )
        applies.append(tx.apply_line(invoice, _dec(parts.pre_payment, currency)))
    if parts.credit:
        if not ctx.balance_invoice_id:
            raise exceptions.MappingError(
                "the balance transfer invoice is not known; post it before the credit memo",
                stripe_id=sid,
                missing="balance_invoice_id",
            )
        applies.append(tx.apply_line(ctx.balance_invoice_id, _dec(parts.credit, currency)))
    if applies:
        body["apply"] = sublist(applies)
    body.update(tx.body_fields(ctx, "creditMemo", credit_note))
    replace = ("item", "apply") if applies else ("item",)
    return NetSuiteRecord(
        "creditMemo", body["externalId"], body, sid, "credit_memo", replace=replace
    )


def _lines(
    credit_note: Mapping[str, Any],
    ctx: MappingContext,
    *,
    sid: str,
    currency: str,
    record_type: str,
) -> list[dict[str, Any]]:
    """The credited lines; each credits the item its invoice line used (`invoice_line_items`
    in ``ctx.item_ids``), else the refund item."""

    def item_for(line: Mapping[str, Any]) -> str:
        linked = linked_item(line)
        if linked:
            return linked[1]
        source = tx.id_of(line.get("invoice_line_item"))
        if source and source in ctx.item_ids:
            return ctx.item_ids[source]
        return refunds.refund_item(ctx, credit_note, sid)

    lines = doc_lines.document_lines(
        credit_note, ctx, currency=currency, sid=sid, record_type=record_type, item_for=item_for
    )
    total = tx.amount(credit_note.get("total"), currency, where="credit_note.total")
    tx.check_total(lines, total, sid=sid)
    return lines


def map_void(credit_note: Mapping[str, Any], ctx: MappingContext) -> NetSuiteRecord:
    """The invoice reversing a voided credit note (link role ``void``).

    Its lines are the credit note's, booked again, less a line giving back the part
    credited to customer balance (Stripe takes that credit back); the credit memo is
    then re-applied to it (`map_credit_note` with this invoice as ``ctx.invoice_id``),
    freeing the original invoice for the amount Stripe reopens. A credit note that was
    refunded or paid out of band cannot be voided this way: that money has left.
    """
    sid = tx.stripe_id(credit_note, "credit note", "cn_")
    currency = tx.currency_of(credit_note, sid)
    parts = split(credit_note)
    if parts.refund or parts.out_of_band:
        raise exceptions.MappingError(
            "a voided credit note that refunded money or was paid out of band cannot be "
            "reversed; reverse its refund by hand",
            stripe_id=sid,
        )
    when = credit_note.get("voided_at")
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=when if isinstance(when, int) else _when(credit_note, sid),
        role_prefix=VOID_PREFIX,
        memo="credit note voided in Stripe",
    )
    if ctx.account.gl.receivables:
        body["account"] = {"id": ctx.account.gl.receivables}
    lines = _lines(credit_note, ctx, sid=sid, currency=currency, record_type="invoice")
    if parts.credit:
        item = ctx.require_balance_item(sid)
        value = _dec(parts.credit, currency)
        lines.append(tx.item_line(item, -value, description="Stripe customer balance taken back"))
    body["item"] = sublist(lines)
    return NetSuiteRecord("invoice", body["externalId"], body, sid, "void", replace=("item",))


def map_balance_transfer(
    credit_note: Mapping[str, Any], ctx: MappingContext
) -> NetSuiteRecord | None:
    """The invoice moving ``credit_amount`` to customer balance; None when nothing is credited."""
    sid = tx.stripe_id(credit_note, "credit note", "cn_")
    parts = split(credit_note)
    if not parts.credit:
        return None
    currency = tx.currency_of(credit_note, sid)
    body = tx.header(
        ctx,
        sid=sid,
        currency=currency,
        when=_when(credit_note, sid),
        role_prefix=BALANCE_PREFIX,
        memo="credited to customer balance",
    )
    if ctx.account.gl.receivables:
        body["account"] = {"id": ctx.account.gl.receivables}
    value = _dec(parts.credit, currency)
    item = ctx.require_balance_item(sid)
    body["item"] = sublist([tx.item_line(item, value, description="Stripe customer balance")])
    return NetSuiteRecord("invoice", body["externalId"], body, sid, "balance_transfer")


def map_out_of_band_refund(
    credit_note: Mapping[str, Any], ctx: MappingContext
) -> NetSuiteRecord | None:
    """A customer refund for ``out_of_band_amount``, paid from ``gl.out_of_band_refunds``
    (else the suspense account) and
    applied to the credit memo (``ctx.credit_memo_ids[cn_…]``); None when there is none."""
    sid = tx.stripe_id(credit_note, "credit note", "cn_")
    parts = split(credit_note)
    if not parts.out_of_band:
        return None
    currency = tx.currency_of(credit_note, sid)
    memo_id = ctx.lookup("credit_memo_ids", sid, owner=sid)
    suspense = ctx.account.gl.out_of_band_refunds or ctx.account.gl.suspense
    if not suspense:
        raise exceptions.MappingError(
            "an out-of-band credit needs gl.out_of_band_refunds (or gl.suspense) to pay from",
            stripe_id=sid,
        )
    return refunds.customer_refund(
        ctx,
        sid=sid,
        currency=currency,
        when=_when(credit_note, sid),
        value=_dec(parts.out_of_band, currency),
        apply_to=memo_id,
        source=credit_note,
        memo="refunded outside Stripe; reclassify from suspense",
        prefix=OUT_OF_BAND_PREFIX,
        account=suspense,
        role="out_of_band_refund",
    )


def refund_targets(credit_note: Mapping[str, Any], credit_memo_id: str) -> dict[str, str]:
    """Stripe refund id → the credit note's NetSuite credit memo, for the refund flow.

    Merged into ``ctx.credit_memo_ids`` when mapping those refunds, so each applies to
    this credit memo instead of getting a credit memo of its own.
    """
    targets: dict[str, str] = {}
    for entry in credit_note.get("refunds") or []:
        ref = entry.get("refund") if isinstance(entry, Mapping) else entry
        rid = tx.id_of(ref)
        if rid:
            targets[rid] = credit_memo_id
    return targets


def invoice_line_items(invoice: Mapping[str, Any], ctx: MappingContext) -> dict[str, str]:
    """The NetSuite item each line of the credited invoice used, by Stripe line id.

    *ctx* is the invoice's own mapping context, so a credit note line credits exactly the
    item (and so the income account) its invoice line was booked to.
    """
    owner = str(invoice.get("id"))
    return {
        str(line["id"]): tx.line_item_id(line, ctx, owner=owner)
        for line in doc_lines.stripe_lines(invoice)
        if line.get("id")
    }


def balance_transaction_id(credit_note: Mapping[str, Any]) -> str | None:
    """The id of the customer balance transaction the credit note made, if any."""
    return tx.id_of(credit_note.get("customer_balance_transaction"))


def balance_credit_of(entry: Mapping[str, Any]) -> int:
    """The credit (minor units, positive) a credit note's balance transaction gave."""
    amount = entry.get("amount")
    return -int(amount) if isinstance(amount, int) and not isinstance(amount, bool) else 0


def _balance_credit(credit_note: Mapping[str, Any], sid: str) -> int:
    ref = credit_note.get("customer_balance_transaction")
    if isinstance(ref, Mapping):
        return balance_credit_of(ref)
    if ref:
        raise exceptions.MappingError(
            "the credit note credits customer balance; expand customer_balance_transaction "
            "or pass its amount",
            stripe_id=sid,
            missing="customer_balance_transaction",
        )
    return _int(credit_note, "credit_amount")


def _memo(credit_note: Mapping[str, Any]) -> str | None:
    parts = [_text(credit_note.get("reason")), _text(credit_note.get("memo"))]
    text = "; ".join(p for p in parts if p)
    return text or None


def _dec(minor: int, currency: str) -> Decimal:
    return tx.amount(minor, currency, where="credit note amount")


def _int(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def _when(obj: Mapping[str, Any], sid: str) -> int:
    for key in ("effective_at", "created"):
        if isinstance(obj.get(key), int):
            return int(obj[key])
    raise exceptions.MappingError("the credit note has no date", stripe_id=sid)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
